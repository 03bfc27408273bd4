"""Synchronised BatchNorm: statistics of the global batch, as one process would compute them.

By default each rank's BatchNorm normalises with the mean and variance of its own B rows
(ChainerMN's and Horovod's default; cheap, and fine for large B). ``SyncBatchNorm`` sums
the statistics over every rank instead, so P ranks of B rows behave exactly like one
process with BatchNorm over P·B rows (ChainerMN's MultiNodeBatchNormalization).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.autograd import Function
from glassnet.distributed import runtime
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.nn.conv import BatchNorm
from glassnet.ops.norm import _check_batch_norm_shapes
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["SyncBatchNorm", "SyncBatchNormOp", "convert_sync_batchnorm", "set_share"]

_share = [None]  # n_r / N of the current step; None: equal shares 1 / size


def set_share(value: float | None) -> None:
    """This rank's share n_r / N of the current global batch (``fit`` sets it per step)."""
    _share[0] = value


def _allreduce(array: np.ndarray) -> np.ndarray:
    from mpi4py import MPI

    runtime.comm().Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
    return array


class SyncBatchNormOp(Function):
    """BatchNorm in training mode with statistics summed over every rank.

    Forward:   μ = Σ_ranks Σ x / M,  σ² = Σ_ranks Σ (x − μ)² / M   (M rows·pixels of all ranks)
               x̂ = (x − μ) / √(σ² + ε),  y = γ ⊙ x̂ + β
    Backward:  with the global loss L = Σ_r s_r·L_r (s_r = n_r / N, rank r's share) and
               G = dL_r/dy on this rank:
               S₁ = Σ_ranks s_r·Σ G,   S₂ = Σ_ranks s_r·Σ G ⊙ x̂
               dL_r/dx = γ / (M·√(σ² + ε)) ⊙ (M·G − (S₁ + x̂ ⊙ S₂) / s_r)
               dL_r/dγ = Σ G ⊙ x̂,  dL_r/dβ = Σ G   (this rank's sums; the gradient
               Allreduce then weights them by s_r, which gives dL/dγ and dL/dβ)
    Shapes:    x (N, C) or (N, C, H, W), γ (C,), β (C,) → y (same as x)
    Notes:     two Allreduces of 2C values forward (mean first, then the centred squares,
               as one process does), one of 2C backward. Running statistics update as in
               BatchNorm, with the unbiased global variance σ²·M / (M − 1).
    Reference: Ioffe & Szegedy (2015), Algorithm 1; Akiba et al. (2017), ChainerMN.
    """

    def __init__(
        self, running_mean: np.ndarray, running_var: np.ndarray, momentum: float, eps: float
    ) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.momentum, self.eps = momentum, eps

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.axes, self.shape = axes, shape
        sums = _allreduce(np.append(x.sum(axis=axes), x.size // x.shape[1]).astype(np.float64))
        m = int(sums[-1])
        if m < 2:
            raise ShapeError(
                message(
                    "SyncBatchNorm",
                    "training needs more than one value per channel across all ranks",
                    f"{m} value(s) per channel in the global batch, x.shape={fmt_shape(x.shape)}",
                    "a global batch of at least 2 samples",
                )
            )
        mean = (sums[:-1] / m).astype(x.dtype)
        centred = x - mean.reshape(shape)
        var = (_allreduce(np.sum(centred * centred, axis=axes, dtype=np.float64)) / m).astype(
            x.dtype
        )
        self.m = m
        self._update_running(mean, var, m)
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        self.x_hat = centred * self.inv_std.reshape(shape)
        self.gamma = gamma
        return self.x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def _update_running(self, mean, var, m: int) -> None:
        k = self.momentum
        self.running_mean *= 1 - k
        self.running_mean += k * mean
        self.running_var *= 1 - k
        self.running_var += k * var * (m / (m - 1))

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        axes, shape, m = self.axes, self.shape, self.m
        grad_beta = grad_y.sum(axis=axes)
        grad_gamma = np.sum(grad_y * self.x_hat, axis=axes)
        share = _share[0] if _share[0] is not None else 1 / runtime.size()
        sums = _allreduce(np.concatenate([grad_beta, grad_gamma]).astype(np.float64) * share)
        if share == 0:  # this rank has no rows: it only took part in the sum
            return np.zeros_like(grad_y), grad_gamma, grad_beta
        c = len(grad_beta)
        s1, s2 = (sums[:c] / share).astype(grad_y.dtype), (sums[c:] / share).astype(grad_y.dtype)
        scale = (self.gamma * self.inv_std).reshape(shape) / m
        grad_x = scale * (m * grad_y - s1.reshape(shape) - self.x_hat * s2.reshape(shape))
        return grad_x, grad_gamma, grad_beta


class SyncBatchNorm(BatchNorm):
    """BatchNorm whose training statistics cover the global batch of every rank.

    Forward:   as BatchNorm, with μ and σ² over all ranks' rows (see SyncBatchNormOp)
    Shapes:    x (N, C) or (N, C, H, W) → y (same);  γ (C,) starts at 1, β (C,) at 0
    Notes:     in one process (before ``gn.distributed.init()`` or with one rank), and in
               evaluation, it is exactly BatchNorm, so a saved model loads and predicts
               anywhere. In training mode in a job of several ranks, every forward pass
               is a collective: all ranks must run it (as fit does), as with PyTorch's
               SyncBatchNorm.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not (self.training and self.trainable and runtime.size() > 1):
            return super().forward(x)
        x = as_tensor(x, self.gamma)
        _check_batch_norm_shapes(x, self.gamma, self.beta)
        if x.shape[1] != self.num_features:
            return super().forward(x)  # BatchNorm's channel error, in the layer's words
        return SyncBatchNormOp.apply(
            x,
            self.gamma,
            self.beta,
            running_mean=self.running_mean,
            running_var=self.running_var,
            momentum=self.momentum,
            eps=self.eps,
        )

    def __str__(self) -> str:
        return f"SyncBatchNorm({self.num_features})"


def convert_sync_batchnorm(model: Module) -> int:
    """Turn every BatchNorm in ``model`` into a SyncBatchNorm in place; returns how many.

    The new layers share the old ones' γ, β and running statistics (PyTorch's
    ``convert_sync_batchnorm``).
    """
    count = 0
    for module in list(model.modules()):
        for name, child in list(module._modules.items()):
            if type(child) is not BatchNorm:
                continue
            sync = SyncBatchNorm(child.num_features, child.momentum, child.eps)
            sync.gamma, sync.beta = child.gamma, child.beta
            sync.set_buffer("running_mean", child.running_mean)
            sync.set_buffer("running_var", child.running_var)
            sync.train(child.training)
            setattr(module, name, sync)
            _replace_in_lists(module, child, sync)
            count += 1
    return count


def _replace_in_lists(module, old, new) -> None:
    """Containers such as Sequential also keep their layers in a list: swap it there too."""
    for value in vars(module).values():
        if isinstance(value, list):
            value[:] = [new if item is old else item for item in value]
