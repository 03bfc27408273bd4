"""The layers of ONNX's training forms, which ``gn.onnx.load`` builds where a graph computes
them: BatchNormalization with ``training_mode=1`` (:class:`BatchStatNorm` for its output,
:class:`RunningStat` for the running statistics it hands on) and Dropout with a ``seed`` in
training mode (:class:`SeededDropout`).

All three read their input as K whole tensors (K, *ONNX shape): their numbers depend on
the whole tensor, so a graph holding one loads as a WholeBatchModel (glassnet.onnx.model)
and they do the same in ``predict`` as in ``fit``, since ONNX's training mode is part of
the graph, not a switch of the runtime. glassnet's own nn.BatchNorm and nn.Dropout are
unchanged: they follow ``model.train()`` / ``model.eval()`` as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._validate import choice, fraction, is_int, is_number, positive_int, positive_number
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.nn.module import Module, Parameter
from glassnet.tensor import Tensor, as_tensor
from glassnet.training.io import register_layer

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["BatchStatNorm", "RunningStat", "SeededDropout"]


def _channels(layer: Module, x: Tensor, channels: int) -> tuple[int, ...]:
    """The axes of x (K, N, C, *S) that a channel's statistics run over: N and S."""
    if x.ndim < 3 or x.shape[2] != channels:
        raise ShapeError(
            message(
                str(layer),
                f"input must be whole tensors (K, N, {channels}, ...) with the channels on axis 2",
                f"x.shape={fmt_shape(x.shape)}",
                f"(K, N, {channels}, ...)",
            )
        )
    return (1, *range(3, x.ndim))


class BatchStatNorm(Module):
    """ONNX BatchNormalization's training form: each whole tensor normalised with its own
    per-channel statistics, in ``predict`` too.

    Forward:   μ_c = mean of x over every axis but the channel's,  σ²_c = the biased variance
               y = γ ⊙ (x − μ) / √(σ² + ε) + β
    Backward:  by autograd through the mean, the variance and the elementwise ops
    Shapes:    x (K, N, C, *S): K whole tensors, channels on axis 2 → y (same);
               γ (C,) starts at 1, β (C,) at 0
    Notes:     keeps no running statistics (the graph's running outputs are RunningStat).
    Reference: the ONNX operator BatchNormalization (opset 15), training_mode=1.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, dtype: DTypeLike = np.float32
    ) -> None:
        super().__init__()
        self.num_features = positive_int("BatchStatNorm", "num_features", num_features)
        self.eps = positive_number("BatchStatNorm", "eps", eps)
        self.gamma = Parameter(np.ones(num_features, dtype))
        self.beta = Parameter(np.zeros(num_features, dtype))

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x, self.gamma)
        axes = _channels(self, x, self.num_features)
        centred = ops.sub(x, ops.mean(x, axis=axes, keepdims=True))
        var = ops.mean(ops.mul(centred, centred), axis=axes, keepdims=True)
        x_hat = ops.div(centred, ops.sqrt(ops.add(var, self.eps)))
        shape = (1, 1, self.num_features) + (1,) * (x.ndim - 3)
        scaled = ops.mul(x_hat, ops.reshape(self.gamma, shape))
        return ops.add(scaled, ops.reshape(self.beta, shape))

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "eps": self.eps}

    def __str__(self) -> str:
        return f"BatchStatNorm({self.num_features})"


class RunningStat(Module):
    """A running statistic that ONNX BatchNormalization's training form outputs: the input
    running mean or variance moved toward the whole tensor's own.

    Forward:   s_c = the mean ("mean") or the biased variance ("var") of x over every axis
               but the channel's;  r' = r · momentum + s · (1 − momentum)
    Backward:  dL/dx by autograd through the mean or variance (r is a constant)
    Shapes:    x (K, N, C, *S) → r' (K, C);  r (C,), the buffer ``running``
    Notes:     ONNX's rule, with its momentum (0.9 by default: PyTorch's is 1 − that), and
               the biased variance, as the spec's ReduceVar and onnx.reference compute it.
    Reference: the ONNX operator BatchNormalization (opset 15), outputs 1 and 2.
    """

    def __init__(
        self,
        num_features: int,
        statistic: str = "mean",
        momentum: float = 0.9,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.num_features = positive_int("RunningStat", "num_features", num_features)
        self.statistic = choice("RunningStat", "statistic", statistic, ("mean", "var"))
        if not is_number(momentum) or not 0 <= momentum <= 1:
            raise ConfigError(
                message("RunningStat", "momentum must be in [0, 1]", repr(momentum), "0 ≤ m ≤ 1")
            )
        self.momentum = float(momentum)
        start = np.zeros if statistic == "mean" else np.ones
        object.__setattr__(self, "running", start(num_features, dtype))

    def buffers(self) -> dict[str, np.ndarray]:
        return {"running": self.running}

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x, Tensor(self.running))
        axes = _channels(self, x, self.num_features)
        stat = ops.mean(x, axis=axes) if self.statistic == "mean" else ops.var(x, axis=axes)
        kept = (self.running * self.momentum).astype(x.dtype)
        return ops.add(ops.mul(stat, 1 - self.momentum), kept)

    def get_config(self) -> dict:
        return {
            "num_features": self.num_features,
            "statistic": self.statistic,
            "momentum": self.momentum,
        }

    def __str__(self) -> str:
        return f"RunningStat({self.num_features}, {self.statistic})"


class SeededDropout(Module):
    """ONNX Dropout's training form with a ``seed``: the mask drawn exactly as onnx's
    reference runtime draws it, so every run drops the same elements.

    Forward:   u = numpy.random.RandomState(seed).uniform(0, 1, S), a fresh generator per
               call;  m = u ≥ ratio;  y = x ⊙ m / (1 − ratio)   (``mask=True``: y = m)
    Backward:  dL/dx = dL/dy ⊙ m / (1 − ratio)   (by autograd through the multiply)
    Shapes:    x (K, *S) → y (K, *S): one mask of a whole tensor's shape S for all K
    Notes:     onnx.reference.ReferenceEvaluator (and the backend test data) draw NumPy's
               legacy seeded generator; onnxruntime draws from its own, so only onnx's
               reference runtime computes the same numbers from an ONNX file.
    Reference: the ONNX operator Dropout (opset 13); onnx/reference/ops/op_dropout.py.
    """

    def __init__(self, ratio: float = 0.5, seed: int = 0, mask: bool = False) -> None:
        super().__init__()
        self.ratio = fraction("SeededDropout", "ratio", ratio)
        if not is_int(seed) or not 0 <= seed < 2**32:
            raise ConfigError(
                message("SeededDropout", "seed must be an int", repr(seed), "0 ≤ seed < 2³²")
            )
        self.seed, self.mask = int(seed), bool(mask)

    def kept(self, shape: tuple[int, ...]) -> np.ndarray:
        """m for one whole tensor of ``shape``: True where the element is kept."""
        return np.random.RandomState(self.seed).uniform(0, 1.0, shape) >= self.ratio

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        kept = self.kept(x.shape[1:])
        if self.mask:
            return Tensor(np.broadcast_to(kept, x.shape).copy())
        scale = (kept * (1 / (1 - self.ratio))).astype(x.dtype)
        return ops.mul(x, Tensor._from_op(scale, None))

    def get_config(self) -> dict:
        return {"ratio": self.ratio, "seed": self.seed, "mask": self.mask}

    def __str__(self) -> str:
        return f"SeededDropout(ratio={self.ratio:g}, seed={self.seed})"


for _cls in (BatchStatNorm, RunningStat, SeededDropout):
    register_layer(_cls)
