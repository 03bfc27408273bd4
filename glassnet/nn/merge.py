"""Merge layers of the functional API: Add, Multiply and Concatenate take a list of tensors.

``y = Add()([h, x])`` is a residual connection; ``Concatenate(axis=1)([a, b])`` stacks
channels (NCHW). Each layer checks the shapes of its inputs and names itself in the error;
the work is done by the ops ``add``, ``mul`` and ``concatenate``, whose docstrings hold the
backward formulas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet.errors import ConfigError, ShapeError, message
from glassnet.nn.module import Module
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Add", "Multiply", "Concatenate"]


def _tensors(layer, xs) -> list[Tensor]:
    if not isinstance(xs, list | tuple) or len(xs) < 2:
        raise ConfigError(
            message(
                str(layer),
                "a merge layer takes a list of at least two tensors",
                type(xs).__name__ if not isinstance(xs, list | tuple) else f"{len(xs)} tensor(s)",
                "[a, b, ...]",
                f"write {type(layer).__name__}()([a, b])",
            )
        )
    return [as_tensor(x) for x in xs]


class _Elementwise(Module):
    """Shared shape rule of Add and Multiply: the inputs' per-sample shapes broadcast as
    NumPy's do (aligned from the right), over one batch axis they all share."""

    def _checked(self, xs) -> list[Tensor]:
        ts = _tensors(self, xs)
        shapes = [t.shape for t in ts]
        if len(set(shapes)) == 1:
            return ts
        try:
            np.broadcast_shapes(*(s[1:] for s in shapes))
            fits = all(s and s[0] == shapes[0][0] for s in shapes)
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(
                message(
                    str(self),
                    "every input must have the same shape (or per-sample shapes that "
                    "broadcast, over one batch size)",
                    ", ".join(str(s) for s in shapes),
                    "equal shapes",
                    "a residual branch must keep the channels and size: match its conv's "
                    "out_channels, stride and padding to the shortcut",
                )
            )
        rank = max(t.ndim for t in ts)
        return [ops.reshape(t, (t.shape[0],) + (1,) * (rank - t.ndim) + t.shape[1:]) for t in ts]

    def get_config(self) -> dict:
        return {}

    def __str__(self) -> str:
        return f"{type(self).__name__}()"


class Add(_Elementwise):
    """Sum of the inputs: a residual connection ``Add()([f(x), x])``.

    Forward:   y = x₁ + x₂ + … + xₖ
    Backward:  dL/dxᵢ = dL/dy   (every input receives the whole gradient)
    Shapes:    xᵢ (N, *) all equal → y (N, *); per-sample shapes that broadcast (3, 4)
               with (4,) give their broadcast shape, and the gradient of a broadcast input
               is summed over the axes it was stretched along
    """

    def forward(self, xs: Sequence[Tensor]) -> Tensor:
        ts = self._checked(xs)
        y = ts[0]
        for t in ts[1:]:
            y = ops.add(y, t)
        return y


class Multiply(_Elementwise):
    """Elementwise product of the inputs (gates, attention-style scaling).

    Forward:   y = x₁ ⊙ x₂ ⊙ … ⊙ xₖ
    Backward:  dL/dxᵢ = dL/dy ⊙ Πⱼ≠ᵢ xⱼ
    Shapes:    xᵢ (N, *) all equal → y (N, *), or per-sample shapes that broadcast (as Add)
    """

    def forward(self, xs: Sequence[Tensor]) -> Tensor:
        ts = self._checked(xs)
        y = ts[0]
        for t in ts[1:]:
            y = ops.mul(y, t)
        return y


class Concatenate(Module):
    """Join the inputs along ``axis`` (−1, the last, as in Keras; 1 for NCHW channels).

    Forward:   y = [x₁, x₂, …, xₖ] along axis
    Backward:  dL/dxᵢ = the slice of dL/dy that xᵢ filled
    Shapes:    xᵢ equal except along axis → y with the sizes along axis summed
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if not isinstance(axis, int) or isinstance(axis, bool) or axis == 0:
            raise ConfigError(
                message(
                    "Concatenate",
                    "axis must be a non-batch axis",
                    repr(axis),
                    "an int other than 0 (axis 0 is the batch)",
                )
            )
        self.axis = axis

    def forward(self, xs: Sequence[Tensor]) -> Tensor:
        ts = _tensors(self, xs)
        ndim = ts[0].ndim
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        rest = {t.shape[:axis] + t.shape[axis + 1 :] for t in ts} if axis else set()
        if axis in (None, 0) or any(t.ndim != ndim for t in ts) or len(rest) != 1:
            raise ShapeError(
                message(
                    str(self),
                    f"the inputs must have equal shapes except along axis {self.axis}",
                    ", ".join(str(t.shape) for t in ts),
                    f"shapes that differ only on axis {self.axis}",
                )
            )
        return ops.concatenate(ts, axis)

    def get_config(self) -> dict:
        return {"axis": self.axis}

    def __str__(self) -> str:
        return f"Concatenate(axis={self.axis})"

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
