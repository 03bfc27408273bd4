"""Mean: the average over some of a sample's axes (torch.mean, keras.ops.mean, ONNX ReduceMean).

It is global average pooling said in general: ``Mean(axis=(2, 3))`` of an (N, C, H, W)
batch is ``GlobalAvgPool2D()``, and ``Mean(axis=(2, 3), keepdims=True)`` keeps its
(N, C, 1, 1) shape, the form torch's ``AdaptiveAvgPool2d(1)`` exports as.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet import ops
from glassnet.errors import ConfigError, ShapeError, message
from glassnet.nn.module import Module
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["Mean"]


class Mean(Module):
    """The mean of each sample over ``axis``; axis 0 is the batch and is never averaged.

    Forward:   y[n] = (1/m) Σ x[n] over the axes in ``axis``   (m: how many elements each
               mean takes)
    Backward:  dL/dx[n] = dL/dy[n] / m, broadcast back over the averaged axes
    Shapes:    x (N, d₁, …, d_k) → y without the averaged axes, or with each kept as 1
               when ``keepdims`` (axes count from the batch axis, as Softmax's and
               Concatenate's do; negative ones from the end)
    """

    def __init__(self, axis: int | Sequence[int] = -1, keepdims: bool = False) -> None:
        super().__init__()
        axes = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ConfigError(
                message("Mean", "axis must be an int or ints", repr(axis), "e.g. -1 or (2, 3)")
            )
        if 0 in axes or len(set(axes)) != len(axes) or not isinstance(keepdims, bool):
            raise ConfigError(
                message(
                    "Mean",
                    "axis names each sample axis at most once, never the batch axis 0",
                    f"axis={axis!r}, keepdims={keepdims!r}",
                    "distinct axes ≥ 1 or < 0, keepdims a bool",
                )
            )
        self.axis, self.keepdims = axes if isinstance(axis, tuple | list) else axis, keepdims

    def axes(self, ndim: int) -> tuple[int, ...]:
        """The averaged axes of an ``ndim``-axis batch, each in 1 … ndim − 1."""
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        resolved = tuple(sorted(a % ndim for a in axes if -ndim <= a < ndim))
        if len(resolved) != len(axes) or 0 in resolved or len(set(resolved)) != len(axes):
            raise ShapeError(
                message(
                    str(self),
                    "an axis is outside the sample, or is the batch axis",
                    f"axis={self.axis!r} of a batch of {ndim} axes",
                    f"sample axes 1 … {ndim - 1} (or −1 … −{ndim - 1})",
                )
            )
        return resolved

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        return ops.mean(x, self.axes(x.ndim), keepdims=self.keepdims)

    def get_config(self) -> dict:
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {"axis": axis, "keepdims": self.keepdims}

    def extra_repr(self) -> str:
        return f"axis={self.axis}, keepdims={self.keepdims}"

    def __str__(self) -> str:
        return f"Mean({self.extra_repr()})"
