"""Layers for the tensor algebra of imported graphs: MatMul of two computed inputs, Permute
of a sample's axes (Keras's), Bias / Scale, a trainable constant added to or multiplied
with every sample (an ONNX Add or Mul whose other operand is a weight), and the second
outputs of ONNX's MaxPool (MaxPoolIndices) and of a Dropout that drops nothing (KeptMask).

Each works per sample: axis 0 is the batch and is never mixed with the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet.errors import ConfigError, ShapeError, message
from glassnet.nn.merge import _tensors
from glassnet.nn.module import Module, Parameter
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["MatMul", "Permute", "Bias", "Scale", "MaxPoolIndices", "KeptMask"]


class MatMul(Module):
    """The matrix product of two inputs, sample by sample, with NumPy's matmul rules.

    Forward:   y[n] = a[n] @ b[n]   (a 1-D a[n] is a row vector, a 1-D b[n] a column,
               and the extra axes broadcast, as np.matmul's)
    Backward:  dL/da[n] = dL/dy[n] @ b[n]ᵀ,  dL/db[n] = a[n]ᵀ @ dL/dy[n]  (summed over
               the axes broadcasting stretched)
    Shapes:    a (N, *A, M, K), b (N, *B, K, P) → y (N, *broadcast(A, B), M, P)
    """

    def forward(self, xs: Sequence[Tensor]) -> Tensor:
        ts = _tensors(self, xs)
        if len(ts) != 2 or ts[0].shape[:1] != ts[1].shape[:1] or min(t.ndim for t in ts) < 2:
            raise ShapeError(
                message(
                    str(self),
                    "MatMul takes two batches of equal size, each sample at least 1-D",
                    ", ".join(str(t.shape) for t in ts),
                    "[a (N, ..., M, K), b (N, ..., K, P)]",
                )
            )
        a, b = ts
        vec_a, vec_b = a.ndim == 2, b.ndim == 2
        a = ops.expand_dims(a, 1) if vec_a else a  # (N, K) → (N, 1, K)
        b = ops.expand_dims(b, 2) if vec_b else b  # (N, K) → (N, K, 1)
        rank = max(a.ndim, b.ndim)
        a, b = (ops.reshape(t, (t.shape[0],) + (1,) * (rank - t.ndim) + t.shape[1:])
                for t in (a, b))  # fmt: skip
        if a.shape[-1] != b.shape[-2]:
            raise ShapeError(
                message(
                    str(self),
                    "the inner sizes differ",
                    f"{a.shape} @ {b.shape}",
                    "a's last axis as long as b's second to last",
                )  # fmt: skip
            )
        y = ops.matmul(a, b)
        if vec_a and vec_b:
            return ops.reshape(y, y.shape[:-2])
        return ops.squeeze(y, -2) if vec_a else ops.squeeze(y, -1) if vec_b else y

    def get_config(self) -> dict:
        return {}

    def __str__(self) -> str:
        return "MatMul()"


class Permute(Module):
    """Reorder a sample's axes (Keras's Permute): ``dims`` numbers them from 1, the batch
    axis stays first.  y[n] = transpose(x[n], dims − 1);  dL/dx = the inverse permutation
    of dL/dy.  Shapes: x (N, d₁, …, d_k) → y (N, d_dims[0], …)."""

    def __init__(self, dims: Sequence[int]) -> None:
        super().__init__()
        dims = tuple(dims) if isinstance(dims, tuple | list) else None
        if not dims or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ConfigError(
                message("Permute", "dims must order the axes 1..k", repr(dims), "e.g. (2, 1)")
            )
        self.dims = tuple(int(d) for d in dims)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        if x.ndim != len(self.dims) + 1:
            raise ShapeError(
                message(
                    str(self),
                    f"a sample must have {len(self.dims)} axes",
                    f"x.shape={x.shape}",
                    f"(N, {len(self.dims)} axes)",
                )  # fmt: skip
            )
        return ops.permute(x, (0, *self.dims))

    def get_config(self) -> dict:
        return {"dims": list(self.dims)}

    def __str__(self) -> str:
        return f"Permute({self.dims})"


class _Constant(Module):
    """A trainable array ``w`` of a fixed shape that broadcasts against every sample."""

    def __init__(self, shape: Sequence[int], dtype: DTypeLike = np.float32) -> None:
        super().__init__()
        if not isinstance(shape, tuple | list) or not all(
            isinstance(s, int | np.integer) and s > 0 for s in shape
        ):
            raise ConfigError(
                message(type(self).__name__, "shape must be positive ints", repr(shape), "(3, 1)")
            )
        self.shape = tuple(int(s) for s in shape)
        self.w = Parameter(np.full(self.shape, self.start, dtype))

    def _checked(self, x: Tensor) -> Tensor:
        try:
            np.broadcast_shapes(x.shape[1:], self.shape)
            if len(self.shape) >= x.ndim:
                raise ValueError  # w would reach into the batch axis
        except ValueError:
            raise ShapeError(
                message(
                    str(self),
                    "the weight does not broadcast against a sample",
                    f"x.shape={x.shape}, w.shape={self.shape}",
                    "a w of at most a sample's rank that broadcasts against it",
                )  # fmt: skip
            ) from None
        return x

    def get_config(self) -> dict:
        return {"shape": list(self.shape)}

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.shape})"


class Bias(_Constant):
    """y[n] = x[n] + w (w broadcast as NumPy's; starts at 0).  dL/dx = dL/dy;
    dL/dw = Σ_n dL/dy[n] summed over the axes w was stretched along."""

    start = 0.0

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = self._checked(as_tensor(x, self.w))
        return ops.add(x, self.w)


class Scale(_Constant):
    """y[n] = x[n] ⊙ w (w broadcast as NumPy's; starts at 1).  dL/dx = dL/dy ⊙ w;
    dL/dw = Σ_n dL/dy[n] ⊙ x[n] summed over the axes w was stretched along."""

    start = 1.0

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = self._checked(as_tensor(x, self.w))
        return ops.mul(x, self.w)


class MaxPoolIndices(Module):
    """Where each max-pool window's maximum lies, as ONNX's MaxPool ``Indices`` output: a
    flat int64 index into the whole batch x (N, C, *S), first maximum on ties.

    Forward:   i[n, c, o] = (n·C + c)·|S| + s(argmax of the window o), s the row-major
               spatial index (storage_order=1: column-major, h + w·H for an image)
    Backward:  none (indices are integers; the layer has no gradient)
    Shapes:    x (N, C, *S) → i (N, C, *O), as the max pool with the same settings
    Notes:     the index counts the rows before it, so a model holding this layer runs its
               whole input at once (OnnxModel.predict never splits it into batches).
    """

    def __init__(
        self,
        kernel_size: Sequence[int],
        stride: Sequence[int],
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        ceil_mode: bool = False,
        storage_order: int = 0,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride = tuple(kernel_size), tuple(stride)
        self.padding = padding if isinstance(padding, int) else tuple(padding)
        self.dilation = dilation if isinstance(dilation, int) else tuple(dilation)
        self.ceil_mode, self.storage_order = bool(ceil_mode), int(storage_order)
        if self.storage_order not in (0, 1):
            raise ConfigError(
                message(
                    "MaxPoolIndices",
                    "storage_order must be 0 or 1",
                    repr(storage_order),
                    "0 (row-major) or 1 (column-major)",
                )  # fmt: skip
            )

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        rank = len(self.kernel_size)
        settings = (self.padding, self.dilation, self.ceil_mode, True, str(self))
        _, index = ops.pool_nd.max_pool_nd(x, rank, self.kernel_size, self.stride, *settings)
        spatial = x.shape[2:]
        index = index.numpy()
        if self.storage_order:
            coords = np.unravel_index(index, spatial)
            index = np.ravel_multi_index(coords, spatial, order="F")
        planes = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2] + (1,) * rank)
        return Tensor(index + planes * int(np.prod(spatial)))

    def get_config(self) -> dict:
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, int) else list(self.padding),
            "dilation": self.dilation if isinstance(self.dilation, int) else list(self.dilation),
            "ceil_mode": self.ceil_mode,
            "storage_order": self.storage_order,
        }

    def __str__(self) -> str:
        return f"MaxPoolIndices({'×'.join(map(str, self.kernel_size))})"


class KeptMask(Module):
    """The mask output of a Dropout that drops nothing (ONNX's Dropout at inference, or
    with a ratio of 0): every element kept.

    Forward:   m = True for every element of x;  Backward: none (a bool output)
    Shapes:    x (N, *) → m (N, *), dtype bool
    """

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return Tensor(np.ones(as_tensor(x).shape, bool))

    def get_config(self) -> dict:
        return {}

    def __str__(self) -> str:
        return "KeptMask()"
