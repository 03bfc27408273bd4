"""The lessons' small interactive views, computed by glassnet itself.

Every number a lesson page shows comes from these functions: glassnet layers run the
forward pass, autograd gives the slopes, ``gn.optim`` makes the updates. The page only
draws. Each function takes the page's JSON request (already parsed), validates it with
:func:`numbers` before it allocates anything, and returns JSON-ready dicts.

Views
    forward    the bank-transactions network: z = Σ xᵢwᵢ + b, a = f(z), per node
    line       y ≈ m·x + b: squared errors, least squares, gradient descent on (m, b)
    matrix     A·B one dot product at a time; k·A, A + B, Aᵀ
    backprop   the 3 → 4 → 1 sigmoid network on the lessons' 4 × 3 XOR data
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from collections.abc import Collection

    from numpy.typing import ArrayLike


__all__ = ["ACTIVATIONS", "numbers", "forward_view", "line_view", "matrix_view", "backprop_view"]

#: The activations the forward-pass view offers (name → layer class).
ACTIVATIONS = {"identity": nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
LIMIT = 1e6  # |value| a learner may type into a lesson


def numbers(
    where: str,
    name: str,
    value: object,
    shape: tuple[int, ...] | None = None,
    low: float = -LIMIT,
    high: float = LIMIT,
) -> np.ndarray:
    """``value`` as a float64 array of ``shape`` (None: any ≤ 2-D, ≤ 8 × 8) in [low, high]."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            message(where, f"{name} must be numbers", repr(value)[:60], "numbers")
        ) from None
    if shape is not None and array.shape != tuple(shape):
        raise ConfigError(message(where, f"{name} has the wrong shape", array.shape, shape))
    if shape is None and (array.ndim > 2 or any(n < 1 or n > 8 for n in array.shape)):
        raise ConfigError(
            message(where, f"{name} has the wrong shape", array.shape, "1 … 8 rows and columns")
        )
    if not np.all(np.isfinite(array)) or array.min() < low or array.max() > high:
        raise ConfigError(
            message(
                where, f"{name} is out of range", array.ravel()[:8].tolist(), f"{low} … {high}"
            )
        )
    return array


def choice(where: str, name: str, value: object, options: Collection[str]) -> str:
    """``value`` if it is one of ``options``, else a ConfigError naming them."""
    if value not in options:
        raise ConfigError(message(where, f"unknown {name}", repr(value), ", ".join(options)))
    return value


# ---- 1. forward pass ----------------------------------------------------------------------
def forward_view(request: dict) -> dict:
    """The bank network 2 → 2 → 1 with editable weights; hidden nodes use ``activation``.

    Layer 1: z₁ = x·W₁ + b₁, a₁ = f(z₁); layer 2 (output, identity): ŷ = a₁·W₂ + b₂.
    """
    where = "lessons.forward"
    x = numbers(where, "x", request.get("x", [2, 3]), (2,))
    w1 = numbers(where, "w_hidden", request.get("w_hidden", [[1, -1], [1, 1]]), (2, 2))
    w2 = numbers(where, "w_output", request.get("w_output", [[2], [-1]]), (2, 1))
    b1 = numbers(where, "b_hidden", request.get("b_hidden", [0, 0]), (2,))
    b2 = numbers(where, "b_output", request.get("b_output", [0]), (1,))
    name = choice(where, "activation", request.get("activation", "identity"), ACTIVATIONS)
    dense1, dense2 = nn.Dense(2, 2, dtype=np.float64), nn.Dense(2, 1, dtype=np.float64)
    for layer, w, b in ((dense1, w1, b1), (dense2, w2, b2)):
        layer.w.data[:], layer.b.data[:] = w, b
    model = gn.Sequential([dense1, ACTIVATIONS[name](), dense2])
    with no_grad():
        z1 = model[0](x[None])
        a1 = model[1](z1)
        out = model[2](a1)
    return {
        "activation": name,
        "x": x.tolist(),
        "w_hidden": w1.tolist(),
        "w_output": w2.tolist(),
        "b_hidden": b1.tolist(),
        "b_output": b2.tolist(),
        "z_hidden": z1.data[0].tolist(),
        "a_hidden": a1.data[0].tolist(),
        "output": out.data[0].tolist(),
    }


# ---- 2. line fitter -----------------------------------------------------------------------
def line_points(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points near y = 0.8·x + 1 on x ∈ [−3, 3] (noise σ = 1), from ``seed``."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, count))
    return x, 0.8 * x + 1 + rng.normal(0, 1, count)


def _int(where: str, name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            message(where, f"{name} is out of range", repr(value), f"{low} … {high}")
        )
    return value


def line_view(request: dict) -> dict:
    """Squared errors of y ≈ m·x + b, the least-squares line and a gradient-descent path.

    Loss L(m, b) = (1/n) Σ (m·xᵢ + b − yᵢ)² (glassnet's MSE). Gradient descent (gn.optim.SGD
    on the two parameters, full batch): m ← m − η ∂L/∂m, b ← b − η ∂L/∂b, from (m, b).
    """
    where = "lessons.line"
    count = _int(where, "count", request.get("count", 12), 2, 200)
    seed = _int(where, "seed", request.get("seed", 0), 0, 2**31 - 1)
    m, b = (
        numbers(where, "m", request.get("m", 0.0), (), -10, 10),
        numbers(where, "b", request.get("b", 0.0), (), -10, 10),
    )
    lr = float(numbers(where, "lr", request.get("lr", 0.1), (), 1e-6, 10))
    steps = _int(where, "steps", request.get("steps", 0), 0, 500)
    x, y = line_points(count, seed)
    with no_grad():
        residual = gn.tensor(x) * float(m) + float(b) - gn.tensor(y)
        squares = (residual * residual).data
    design = np.stack([x, np.ones_like(x)], axis=1)
    best = np.linalg.lstsq(design, y, rcond=None)[0]  # the normal equations' solution
    return {
        "x": x.tolist(),
        "y": y.tolist(),
        "m": float(m),
        "b": float(b),
        "squares": squares.tolist(),
        "total": float(squares.sum()),
        "mse": float(squares.mean()),
        "best": {"m": float(best[0]), "b": float(best[1])},
        "path": descent_path(x, y, float(m), float(b), lr, steps),
        "contour": loss_grid(x, y),
    }


def descent_path(
    x: ArrayLike, y: ArrayLike, m: float, b: float, lr: float, steps: int
) -> list[list[float]]:
    """[(m, b, L)] after each of ``steps`` SGD updates; stops early once it diverges."""
    slope = gn.tensor(np.array([m]), requires_grad=True, dtype=np.float64)
    bias = gn.tensor(np.array([b]), requires_grad=True, dtype=np.float64)
    optimizer, loss_fn = gn.optim.SGD([slope, bias], lr=lr), gn.losses.MSE()
    xs, ys, path = gn.tensor(x), y, []
    for _ in range(steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(xs * slope + bias, ys)
        value = float(loss.item())
        path.append([float(slope.data[0]), float(bias.data[0]), value])
        if not math.isfinite(value) or value > 1e8 or len(path) > steps:
            break
        loss.backward()
        optimizer.step()
    return path


def loss_grid(x: ArrayLike, y: ArrayLike, size: int = 41, span: float = 5.0) -> dict:
    """L(m, b) on a size × size grid of m, b ∈ [−span, span] (rows: b from high to low)."""
    ticks = np.linspace(-span, span, size)
    with no_grad():
        ms, bs = gn.tensor(ticks[None, :, None]), gn.tensor(ticks[::-1, None, None])
        residual = ms * gn.tensor(x[None, None, :]) + bs - gn.tensor(y[None, None, :])
        grid = (residual * residual).mean(axis=2).data
    return {"span": span, "size": size, "values": grid.ravel().round(4).tolist()}


# ---- 3. matrix operations -----------------------------------------------------------------
def matrix_view(request: dict) -> dict:
    """A·B (with every dot product's terms aᵢₖ·bₖⱼ), k·A, A + B or Aᵀ, by glassnet tensors."""
    where = "lessons.matrix"
    op = choice(where, "op", request.get("op", "matmul"), ("matmul", "scalar", "add", "transpose"))
    a = numbers(where, "a", request.get("a", [[1, 2], [3, 4]]))
    a = a.reshape(1, -1) if a.ndim == 1 else a
    ta = gn.tensor(a)
    if op == "transpose":
        return {"op": op, "result": ta.T.data.tolist()}
    if op == "scalar":
        k = float(numbers(where, "k", request.get("k", 2), ()))
        return {"op": op, "k": k, "result": (ta * k).data.tolist()}
    b = numbers(where, "b", request.get("b", [[5, 6], [7, 8]]))
    b = b.reshape(1, -1) if b.ndim == 1 else b
    if op == "add":
        if a.shape != b.shape:
            raise ConfigError(message(where, "A + B needs equal shapes", b.shape, a.shape))
        return {"op": op, "result": (ta + gn.tensor(b)).data.tolist()}
    if a.shape[1] != b.shape[0]:
        raise ConfigError(
            message(
                where,
                "A·B needs as many columns in A as rows in B",
                f"A {a.shape}, B {b.shape}",
                f"B with {a.shape[1]} rows",
            )
        )
    tb = gn.tensor(b)
    terms = [
        [(ta[i] * tb[:, j]).data.tolist() for j in range(b.shape[1])] for i in range(a.shape[0])
    ]
    return {"op": op, "result": (ta @ tb).data.tolist(), "terms": terms}


# ---- 4. backpropagation -------------------------------------------------------------------
def backprop_model(seed: int) -> gn.Sequential:
    """3 → 4 → 1, sigmoid after both layers, no biases (x's third column is the bias)."""
    rng = np.random.default_rng(seed)
    layers = [nn.Dense(3, 4, use_bias=False, dtype=np.float64), nn.Sigmoid()]
    layers += [nn.Dense(4, 1, use_bias=False, dtype=np.float64), nn.Sigmoid()]
    for dense in (layers[0], layers[2]):
        dense.w.data[:] = rng.uniform(-1, 1, dense.w.shape)  # the lesson's U(−1, 1)
    return gn.Sequential(layers)


def backprop_view(request: dict) -> dict:
    """``iterations`` full-batch updates, the last one shown in detail.

    Loss L = ½ Σ (ŷ − y)². Deltas δ = ∂L/∂z (z: a layer's weighted sums, by autograd),
    slopes ∂L/∂W = aᵀ·δ, update W ← W − η ∂L/∂W (gn.optim.SGD). Weights travel with the
    request, so the page holds the state; with none, they start from ``seed``.
    """
    where = "lessons.backprop"
    model = backprop_model(_int(where, "seed", request.get("seed", 1), 0, 2**31 - 1))
    if "w1" in request:
        model[0].w.data[:] = numbers(where, "w1", request["w1"], (3, 4), -100, 100)
        model[2].w.data[:] = numbers(where, "w2", request.get("w2"), (4, 1), -100, 100)
    lr = float(numbers(where, "lr", request.get("lr", 1.0), (), 1e-4, 100))
    iterations = _int(where, "iterations", request.get("iterations", 1), 1, 2000)
    x, y = (a.astype(np.float64) for a in gn.data.load_three_layer_toy())
    optimizer, errors = gn.optim.SGD(model.parameters(), lr=lr), []
    for _ in range(iterations):
        detail = _backprop_step(model, optimizer, x, y)
        errors.append(detail["loss"])
    detail.update(
        errors=errors,
        lr=lr,
        x=x.tolist(),
        y=y.tolist(),
        new_w1=model[0].w.data.tolist(),
        new_w2=model[2].w.data.tolist(),
    )
    return detail


def _backprop_step(model, optimizer, x, y) -> dict:
    optimizer.zero_grad()
    w1, w2 = model[0].w.data.copy(), model[2].w.data.copy()
    z1 = model[0](x)
    a1 = model[1](z1)
    z2 = model[2](a1)
    a2 = model[3](z2)
    for t in (z1, z2):
        t.retain_grad()
    difference = a2 - gn.tensor(y)
    loss = (difference * difference).sum() * 0.5
    loss.backward()
    detail = {
        "w1": w1.tolist(),
        "w2": w2.tolist(),
        "z1": z1.data.tolist(),
        "a1": a1.data.tolist(),
        "z2": z2.data.tolist(),
        "a2": a2.data.tolist(),
        "loss": float(loss.item()),
        "delta2": z2.grad.tolist(),
        "delta1": z1.grad.tolist(),
        "grad_w2": model[2].w.grad.tolist(),
        "grad_w1": model[0].w.grad.tolist(),
    }
    optimizer.step()
    return detail
