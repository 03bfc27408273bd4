"""Batch normalisation: standardise each channel with batch statistics while training and
with running (population) statistics when evaluating.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["BatchNorm", "batch_norm"]


class BatchNorm(Function):
    """Per-channel normalisation followed by a learned scale γ and shift β.

    Forward:   x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β
               training: μ, σ² are the mean and biased variance of the batch over every
               axis but the channel axis (M = N·H·W values per channel);
               evaluation: μ, σ² are the running statistics
    Backward:  dL/dγ = Σ dL/dy ⊙ x̂,   dL/dβ = Σ dL/dy   (sums over all axes but C)
               training:   dL/dx = γ / (M·√(σ² + ε)) ⊙ (M·dL/dy − Σ dL/dy − x̂ ⊙ Σ dL/dy ⊙ x̂)
               evaluation: dL/dx = γ / √(σ² + ε) ⊙ dL/dy
    Shapes:    x (N, C) or (N, C, H, W), γ (C,), β (C,) → y (same as x)
    Notes:     in training the running statistics (when given) are updated in place, with
               PyTorch's convention: r ← (1 − momentum)·r + momentum·batch, momentum = 0.1,
               and the running variance takes the unbiased batch variance σ²·M / (M − 1).
               (Keras' momentum = 0.99 is the same rule with momentum ↔ 1 − momentum.)
    Reference: Ioffe & Szegedy (2015), "Batch Normalization", Algorithm 1 and 2.
    """

    def __init__(
        self,
        running_mean: np.ndarray | None = None,
        running_var: np.ndarray | None = None,
        training: bool = True,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.axes, self.shape = axes, shape
        if self.training:
            mean = x.mean(axis=axes, dtype=x.dtype)
            centred = x - mean.reshape(shape)
            var = np.mean(centred * centred, axis=axes, dtype=x.dtype)
            self._update_running(mean, var, x.size // x.shape[1])
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean.reshape(shape).astype(x.dtype, copy=False)
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        self.x_hat = centred * self.inv_std.reshape(shape)
        self.gamma = gamma
        return self.x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def _update_running(self, mean, var, m: int) -> None:
        if self.running_mean is None:
            return
        k = self.momentum
        self.running_mean *= 1 - k
        self.running_mean += k * mean
        self.running_var *= 1 - k
        self.running_var += k * var * (m / max(m - 1, 1))

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        axes, shape = self.axes, self.shape
        grad_beta = grad_y.sum(axis=axes)
        grad_gamma = np.sum(grad_y * self.x_hat, axis=axes)
        scale = (self.gamma * self.inv_std).reshape(shape)
        if not self.training:
            return grad_y * scale, grad_gamma, grad_beta
        m = grad_y.size // grad_y.shape[1]
        grad_x = (scale / m) * (
            m * grad_y - grad_beta.reshape(shape) - self.x_hat * grad_gamma.reshape(shape)
        )
        return grad_x, grad_gamma, grad_beta


def _check_batch_norm_shapes(x: Tensor, gamma: Tensor, beta: Tensor) -> None:
    """Raise ShapeError unless x is (N, C) or (N, C, H, W) and γ, β are (C,)."""
    if x.ndim not in (2, 4):
        raise ShapeError(
            message(
                "batch_norm",
                "x must be (N, C) features or (N, C, H, W) images",
                f"x.shape={fmt_shape(x.shape)}",
                "2 or 4 axes",
            )
        )
    C = x.shape[1]
    for name, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != (C,):
            raise ShapeError(
                message(
                    "batch_norm",
                    f"{name} needs one value per channel (x has {C} channels on axis 1)",
                    f"{name}.shape={fmt_shape(t.shape)}, x.shape={fmt_shape(x.shape)}",
                    f"({C},)",
                )
            )


def _check_batch_norm_mode(
    x: Tensor, running_mean: np.ndarray | None, running_var: np.ndarray | None, training: bool
) -> None:
    """Evaluation needs running statistics; training needs ≥ 2 values per channel."""
    if not training and (running_mean is None or running_var is None):
        raise ConfigError(
            message(
                "batch_norm",
                "evaluation mode normalises with the running statistics, but none were given",
                hint="pass running_mean and running_var, or training=True",
            )
        )
    if training and x.size // x.shape[1] < 2:
        raise ShapeError(
            message(
                "batch_norm",
                "training needs more than one value per channel to estimate a variance",
                f"x.shape={fmt_shape(x.shape)}",
                "a batch of at least 2 samples (or images with more than one pixel)",
                "use a larger batch, or evaluation mode (model.eval())",
            )
        )


def batch_norm(
    x: Tensor | ArrayLike,
    gamma: Tensor | ArrayLike,
    beta: Tensor | ArrayLike,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of x (N, C) or (N, C, H, W); see :class:`BatchNorm`.

    Mirrors ``torch.nn.functional.batch_norm``: in training the running statistics (float
    arrays of shape (C,), or None) are updated in place; in evaluation they are required.
    """
    gamma = as_tensor(gamma)
    x, beta = as_tensor(x, gamma), as_tensor(beta, gamma)
    _check_batch_norm_shapes(x, gamma, beta)
    _check_batch_norm_mode(x, running_mean, running_var, training)
    return BatchNorm.apply(
        x,
        gamma,
        beta,
        running_mean=running_mean,
        running_var=running_var,
        training=bool(training),
        momentum=float(momentum),
        eps=float(eps),
    )
