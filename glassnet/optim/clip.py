"""Gradient clipping: cap the size of a step before the optimizer takes it.

Exploding gradients (a deep or recurrent network, a learning rate on the edge) show up as
a gradient norm that jumps by orders of magnitude; clipping rescales it so one bad batch
cannot throw the weights far away. Call between ``loss.backward()`` and ``opt.step()``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import positive_number
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _with_grads(params) -> list:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    return [p for p in params if p.grad is not None]


def clip_grad_norm(
    params: Module | Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> float:
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    Formula:  ‖g‖ = (Σᵢ |gᵢ|ᵖ)^(1/p) over every element of every gradient (p = norm_type;
              p = inf: max |gᵢ|)
              c = max_norm / (‖g‖ + 1e-6);  if c < 1: every g ← c·g
    Returns:  ‖g‖ before clipping (worth logging: a sudden jump means trouble).
    Notes:    one global norm keeps the direction of the whole step; gradients are replaced
              by scaled copies, never changed in place. Matches
              ``torch.nn.utils.clip_grad_norm_``.
    """
    max_norm = positive_number("clip_grad_norm", "max_norm", max_norm)
    if not (norm_type == math.inf or (isinstance(norm_type, int | float) and norm_type > 0)):
        raise ConfigError(
            message("clip_grad_norm", "norm_type must be > 0 or inf", repr(norm_type), "e.g. 2.0")
        )
    params = _with_grads(params)
    if not params:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.abs(p.grad).max(initial=0.0)) for p in params)
    elif norm_type == 2:
        total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    else:
        total = sum(float(np.sum(np.abs(p.grad) ** norm_type)) for p in params) ** (1 / norm_type)
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad = p.grad * scale
    return total


def clip_grad_value(params: Module | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value] (new arrays, not in place).

    Formula:  gᵢ ← min(max(gᵢ, −c), c)
    Notes:    unlike :func:`clip_grad_norm` this can change the step's direction.
    """
    clip_value = positive_number("clip_grad_value", "clip_value", clip_value)
    for p in _with_grads(params):
        p.grad = np.clip(p.grad, -clip_value, clip_value)
