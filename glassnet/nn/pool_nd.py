"""Pooling layers for signals and volumes: MaxPool1D, AvgPool1D (N, C, L) and MaxPool3D,
AvgPool3D (N, C, D, H, W), as Keras and PyTorch have them.

Each applies one op of :mod:`glassnet.ops.pool_nd`, whose docstrings hold the forward and
backward formulas; ``get_config()`` returns the constructor arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet import ops
from glassnet._validate import int_sizes
from glassnet.errors import ConfigError, message
from glassnet.nn.module import Module
from glassnet.ops.pool_nd import _sides
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MaxPool1D", "MaxPool3D", "AvgPool1D", "AvgPool3D"]


class _PoolND(Module):
    """Shared settings of the N-d pooling layers (stride defaults to the kernel size)."""

    rank = 1
    defaults: dict = {}  # the options beyond the window, with their defaults

    def __init__(self, kernel_size=2, stride=None, padding=0, **options) -> None:
        super().__init__()
        name, rank = type(self).__name__, self.rank
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise ConfigError(
                message(name, "unknown option", ", ".join(sorted(unknown)), str(self.defaults))
            )
        self.kernel_size = int_sizes(name, "kernel_size", kernel_size, rank)
        self.stride = (
            self.kernel_size if stride is None else int_sizes(name, "stride", stride, rank)
        )
        self.options = {**self.defaults, **options}
        self.options["dilation"] = int_sizes(name, "dilation", self.options["dilation"], rank)
        _sides(padding, rank, self.kernel_size, self.options["dilation"], name)  # validates
        self.padding = padding if isinstance(padding, int) else tuple(int(p) for p in padding)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        fn = ops.pool_nd.max_pool_nd if self.kind == "max" else ops.pool_nd.avg_pool_nd
        return fn(as_tensor(x), self.rank, self.kernel_size, self.stride, self.padding,
                  **self.options, where=str(self))  # fmt: skip

    def get_config(self) -> dict:
        changed = {k: v for k, v in self.options.items() if v != self._default(k)}
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, int) else list(self.padding),
            **{k: list(v) if isinstance(v, tuple) else v for k, v in changed.items()},
        }

    def _default(self, key: str):
        value = self.defaults[key]
        return (value,) * self.rank if key == "dilation" else value

    def __str__(self) -> str:
        return f"{type(self).__name__}({'×'.join(map(str, self.kernel_size))})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _Max(_PoolND):
    """y = the maximum of each window (ties: the gradient goes to the first maximum)."""

    kind = "max"
    defaults = {"dilation": 1, "ceil_mode": False}


class _Avg(_PoolND):
    """y = the mean of each window (padded zeros count unless count_include_pad=False)."""

    kind = "avg"
    defaults = {"dilation": 1, "ceil_mode": False, "count_include_pad": True}


class MaxPool1D(_Max):
    """Max pooling of signals: y[n, c, o] = max_k x̃[n, c, o·s + k·d]  (x̃: −∞-padded).

    Shapes:    x (N, C, L) → y (N, C, ⌊(L + p_l + p_r − d·(k − 1) − 1) / s⌋ + 1)
    Options:   ``dilation`` d, ``ceil_mode``, as in PyTorch's MaxPool1d; ``padding`` an int
               or (left, right).
    """

    rank = 1


class MaxPool3D(_Max):
    """Max pooling of volumes: y[n, c, o] = max_k x̃[n, c, o·s + k·d] per axis (D, H, W).

    Shapes:    x (N, C, D, H, W) → y (N, C, Do, Ho, Wo), each as MaxPool1D's L
    Options:   ``dilation``, ``ceil_mode``, as in PyTorch's MaxPool3d; ``padding`` an int,
               three ints, or six sides (left, right, top, bottom, front, back).
    """

    rank = 3


class AvgPool1D(_Avg):
    """Average pooling of signals: y[n, c, o] = (1 / m[o]) Σ_k x̃[n, c, o·s + k·d].

    Shapes:    x (N, C, L) → y (N, C, Lo), Lo as MaxPool1D's
    Options:   ``ceil_mode``, ``count_include_pad`` (m counts the padding too), as in
               PyTorch's AvgPool1d, and ``dilation`` d as ONNX's AveragePool has it.
    """

    rank = 1


class AvgPool3D(_Avg):
    """Average pooling of volumes: y[n, c, o] = (1 / m[o]) Σ_k x̃[n, c, o·s + k·d].

    Shapes:    x (N, C, D, H, W) → y (N, C, Do, Ho, Wo)
    Options:   ``ceil_mode``, ``count_include_pad``, as in PyTorch's AvgPool3d, and
               ``dilation`` as ONNX's AveragePool has it.
    """

    rank = 3
