"""The slopes a chain-rule explanation multiplies: the loss's slope at the prediction and each
layer's local backward, written out for Dense layers and elementwise activations.

Everything here works on float64 NumPy arrays of one small batch (usually one data point).
"""

from __future__ import annotations

import copy

import numpy as np

from glassnet import losses, nn
from glassnet.explain._layers import activation_of
from glassnet.explain.render import factor, num
from glassnet.tensor import Tensor

__all__ = ["float64_copy", "loss_slope", "layer_backward"]


def float64_copy(model):
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


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _class_rows(target: np.ndarray, shape: tuple) -> np.ndarray:
    if target.shape == shape:
        return target.astype(np.float64)
    rows = np.zeros(shape)
    rows[np.arange(shape[0]), target.astype(int).ravel()] = 1.0
    return rows


def loss_slope(loss, a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, str]:
    """dL/da at the prediction a (a logit when the loss takes logits) and its formula.

    m is the number of elements the loss averages over, N the batch size. A loss without a
    written formula gets its slope from autograd on the prediction alone.
    """
    name = getattr(loss, "name", None)
    logits = getattr(loss, "from_logits", False)
    m, n = a.size, a.shape[0]
    if name == "mse":
        return 2 * (a - y.reshape(a.shape)) / m, "2·(prediction − actual) / m"
    if name == "quadratic":
        return (a - y.reshape(a.shape)) / n, "(prediction − actual) / N"
    if name == "mae":
        return np.sign(a - y.reshape(a.shape)) / m, "sign(prediction − actual) / m"
    if name == "binary_cross_entropy" and logits:
        s = 0.5 * (1 + np.tanh(0.5 * a))
        return (s - y.reshape(a.shape)) / m, "(σ(z) − actual) / m   (z: the logit)"
    if name == "binary_cross_entropy":
        t = y.reshape(a.shape)
        return (a - t) / (
            a * (1 - a)
        ) / m, "(prediction − actual) / (prediction·(1 − prediction)) / m"
    if name == "cross_entropy" and logits:
        return (_softmax(a) - _class_rows(y, a.shape)) / n, "(softmax(z) − one_hot(actual)) / N"
    if name == "cross_entropy":
        return -_class_rows(y, a.shape) / a / n, "−one_hot(actual) / prediction / N"
    pred = Tensor(a, requires_grad=True)
    loss(pred, y).backward()
    return pred.grad, "dL/dprediction from autograd (no written formula for this loss)"


def resolve_loss(loss):
    """A Loss object from a name, class or instance (``losses.get``)."""
    return losses.get(loss)


def layer_backward(layer, x: np.ndarray, out: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """dL/d(layer input) from dL/d(layer output): one step of backpropagation.

    Dense: dL/dx = dL/dz·wᵀ (each input node sums the slopes of the paths leaving it);
    an elementwise activation: dL/dz = dL/da ⊙ f′(z); any other layer: its own backward,
    run by autograd on that layer alone.
    """
    if isinstance(layer, nn.Dense):
        return grad_out @ layer.w.data.T
    act = activation_of(layer)
    if act is not None:
        return grad_out * act.slope(x, out, layer)
    xt = Tensor(x, requires_grad=True)
    layer(xt).backward(grad_out)
    return xt.grad if xt.grad is not None else np.zeros_like(x)


def path_sum(layer, grad_next: np.ndarray, j: int) -> list[str]:
    """The sum over paths for node j feeding a Dense layer: dL/da[j] = Σₘ dL/dz′[m]·w′[j, m]."""
    w = layer.w.data
    g = grad_next[0]
    shown = range(min(w.shape[1], 8))
    terms = " + ".join(f"{factor(g[m])}·{factor(w[j, m])}" for m in shown)
    more = f" + … ({w.shape[1]} paths)" if w.shape[1] > 8 else ""
    total = float(g @ w[j])
    return [
        f"dL/da[{j}] = Σₘ dL/dz′[m]·w′[{j}, m]   (one path through each node m of the next layer)",
        f"        = {terms}{more} = {num(total)}",
    ]
