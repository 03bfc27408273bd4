"""The slopes a chain-rule explanation multiplies: the loss's slope at the prediction and each
layer's local backward, written out for Dense layers and elementwise activations.

Everything here works on float64 NumPy arrays of one small batch (usually one data point).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, losses, nn
from glassnet.explain.render import factor, num
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from glassnet.losses import Loss
    from glassnet.nn.module import Module

__all__ = ["float64_copy", "loss_slope", "layer_backward"]


def float64_copy(model: Module) -> Module:
    """A deep copy of ``model`` whose parameters and float buffers are float64.

    Gradients are cleared on the copy; the original model is not touched.
    """
    twin = copy.deepcopy(model)
    for p in twin.parameters():
        p.data = p.data.astype(np.float64)
        p.grad = None
    for module in twin.modules():
        for name, value in module.buffers().items():
            value = np.asarray(value)
            if value.dtype.kind == "f":
                module.set_buffer(name, value.astype(np.float64))
    return twin


def loss_slope(loss: Loss, a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, str]:
    """dL/da at the prediction a (a logit when the loss takes logits) and its formula, as
    the loss states them (:meth:`glassnet.losses.Loss.slope`).

    m is the number of elements the loss averages over, N the batch size. A plain callable
    loss gets its slope from autograd on the prediction alone.
    """
    if isinstance(loss, losses.Loss):
        return loss.slope(a, y), loss.slope_formula
    return losses.autograd_slope(loss, a, y), losses.Loss.slope_formula


def resolve_loss(loss: str | Loss) -> Loss:
    """A Loss object from a name, class or instance (``losses.get``)."""
    return losses.get(loss)


def layer_backward(
    layer: Module, x: np.ndarray, out: np.ndarray, grad_y: np.ndarray
) -> np.ndarray:
    """dL/d(layer input) from dL/d(layer output): one step of backpropagation.

    Dense: dL/dx = dL/dz·wᵀ (each input node sums the slopes of the paths leaving it);
    an elementwise activation: dL/dz = dL/da ⊙ f′(z); any other layer: its own backward,
    run by autograd on that layer alone.
    """
    if isinstance(layer, nn.Dense):
        return grad_y @ layer.w.data.T
    act = activations.of(layer, elementwise=True)
    if act is not None:
        return grad_y * act.slope(x, out, layer)
    xt = Tensor(x, requires_grad=True)
    layer(xt).backward(grad_y)
    return xt.grad if xt.grad is not None else np.zeros_like(x)


def path_sum(layer: Module, grad_next: np.ndarray, j: int, name: str = "a") -> list[str]:
    """The sum over paths for node j feeding a Dense layer: dL/da[j] = Σₘ dL/dz′[m]·w′[j, m]
    (``name`` is what the node is called: a, or a graph value such as h0)."""
    w = layer.w.data
    g = grad_next[0]
    shown = range(min(w.shape[1], 8))
    terms = " + ".join(f"{factor(g[m])}·{factor(w[j, m])}" for m in shown)
    more = f" + … ({w.shape[1]} paths)" if w.shape[1] > 8 else ""
    total = float(g @ w[j])
    return [
        f"dL/d{name}[{j}] = Σₘ dL/dz′[m]·w′[{j}, m]   (one path through each node m of the next "
        "layer)",
        " " * (len(name) + 7) + f"= {terms}{more} = {num(total)}",
    ]
