"""Loss surfaces with the path gradient descent takes down them.

Gradient descent from a start point w₀ repeats w ← w − lr·∇C(w); the gradient comes from
glassnet's autograd, so any function written with glassnet ops can be drawn:

- :func:`surface_1d`: C(w) for one weight, the steps drawn as points on the curve;
- :func:`surface_2d`: contours of C(x, y) (by default the seeds' C(x, y) = x² + y², whose
  gradient is (2x, 2y)) with the path;
- :func:`model_surface`: a real model's loss as two of its weights vary (the others fixed),
  with the path of gradient descent on those two weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import losses
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message
from glassnet.explain.slopes import float64_copy
from glassnet.explain.weight import locate_weight
from glassnet.plot._figure import finish, new_figure
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module

__all__ = ["bowl", "slope_of", "descend", "surface_1d", "surface_2d", "model_surface"]


def bowl(w: Tensor) -> Tensor:
    """The seeds' cost C(x, y) = x² + y² of a tensor w = (x, y); ∇C = (2x, 2y)."""
    return (w * w).sum()


def slope_of(
    f: Callable[[Tensor], Tensor],
) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    """(value, gradient) functions of NumPy points for ``f``, a map from a float64 tensor to
    a scalar tensor; the gradient comes from autograd."""

    def value(w: np.ndarray) -> float:
        with no_grad():
            return float(f(Tensor(np.asarray(w, dtype=np.float64))).item())

    def gradient(w: np.ndarray) -> np.ndarray:
        t = Tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
        f(t).backward()
        return t.grad

    return value, gradient


def descend(
    gradient: Callable[[np.ndarray], np.ndarray], start: ArrayLike, lr: float, steps: int
) -> np.ndarray:
    """The points w₀, w₁, …, w_steps of gradient descent w ← w − lr·gradient(w)."""
    if not (lr > 0 and int(steps) >= 0):
        raise ConfigError(
            message(
                "plot.descend",
                "lr must be > 0 and steps ≥ 0",
                f"lr={lr}, steps={steps}",
                "e.g. lr=0.1, steps=20",
            )
        )
    w = np.array(start, dtype=np.float64)
    path = [w.copy()]
    for _ in range(int(steps)):
        w = w - lr * gradient(w)
        path.append(w.copy())
    return np.array(path)


def surface_1d(
    f: Callable[[Tensor], Tensor],
    path: str | os.PathLike | None = None,
    start: float = -4.0,
    lr: float = 0.1,
    steps: int = 15,
    span: tuple[float, float] = (-5.0, 5.0),
    title: str = "Gradient descent on C(w)",
) -> Figure:
    """C(w) over ``span`` with the gradient-descent steps from ``start`` marked on it."""
    value, gradient = slope_of(f)
    fig, ax = new_figure()
    ws = np.linspace(*span, 201)
    ax.plot(ws, [value(w) for w in ws], label="C(w)")
    walk = descend(gradient, float(start), lr, steps)
    ax.plot(
        walk,
        [value(w) for w in walk],
        "o-",
        color="tab:red",
        markersize=4,
        label=f"descent, lr={lr:g}",
    )
    ax.set_xlabel("w")
    ax.set_ylabel("C(w)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.glassnet_path_points = walk
    return finish(fig, path, title)


def _contour_path(ax, value, walk: np.ndarray, xs: np.ndarray, ys: np.ndarray, labels) -> None:
    zs = np.array([[value(np.array([a, b])) for a in xs] for b in ys])
    filled = ax.contourf(xs, ys, zs, levels=30, cmap="viridis")
    ax.figure.colorbar(filled, ax=ax, label="loss")
    ax.plot(walk[:, 0], walk[:, 1], "o-", color="white", markersize=3, label="descent path")
    ax.plot(walk[0, 0], walk[0, 1], "s", color="tab:orange", label="start")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(loc="upper right")


def surface_2d(
    f: Callable[[Tensor], Tensor] = bowl,
    path: str | os.PathLike | None = None,
    start: ArrayLike = (4.0, -3.0),
    lr: float = 0.1,
    steps: int = 20,
    span: float = 5.0,
    title: str = "Gradient descent on C(x, y) = x² + y²",
) -> Figure:
    """Contours of C(x, y) on [−span, span]² and the descent path from ``start``."""
    value, gradient = slope_of(f)
    fig, ax = new_figure(size=(6.0, 5.0))
    walk = descend(gradient, start, lr, steps)
    xs = np.linspace(-span, span, 41)
    _contour_path(ax, value, walk, xs, xs, ("x", "y"))
    fig.glassnet_path_points = walk
    return finish(fig, path, title)


def model_surface(
    model: Module,
    x: ArrayLike,
    y: ArrayLike,
    loss: str | Loss,
    weights: Sequence[str] = ("0.w[0, 0]", "0.w[1, 0]"),
    path: str | os.PathLike | None = None,
    span: float = 2.0,
    lr: float = 0.5,
    steps: int = 20,
    resolution: int = 21,
) -> Figure:
    """A real model's loss as two weights vary by ±``span`` around their current values
    (every other weight fixed), with gradient descent on those two weights alone.

    Works on a float64 copy; the model is not changed. ``weights`` are spelled as in
    ``explain.weight``. The loss grid is kept in ``fig.glassnet_grid``.
    """
    value, gradient, centre = _two_weights(model, x, y, loss, weights)
    walk = descend(gradient, centre, lr, steps)
    fig, ax = new_figure(size=(6.0, 5.0))
    offsets = np.linspace(-span, span, resolution)
    grid_x, grid_y = centre[0] + offsets, centre[1] + offsets
    _contour_path(ax, value, walk, grid_x, grid_y, weights)
    fig.glassnet_path_points = walk
    fig.glassnet_grid = (grid_x, grid_y)
    name = type(losses.get(loss)).__name__
    return finish(fig, path, f"{name} along {weights[0]} and {weights[1]}")


def _two_weights(model, x, y, loss, weights):
    """(value, gradient) of the loss as functions of two weights of a float64 copy of the
    model (the others fixed), and the two weights' current values."""
    loss_fn, twin = losses.get(loss), float64_copy(model)
    named = dict(twin.named_parameters())
    spots = [(named[n], i) for n, i, _ in (locate_weight(model, w) for w in weights)]
    xs, target = Tensor(np.asarray(x, dtype=np.float64)), np.asarray(y)

    def place(w: np.ndarray) -> None:
        for (p, i), v in zip(spots, w):
            p.data[i] = v
        twin.zero_grad()

    def value(w: np.ndarray) -> float:
        place(w)
        with no_grad():
            return float(loss_fn(twin(xs), target).item())

    def gradient(w: np.ndarray) -> np.ndarray:
        place(w)
        loss_fn(twin(xs), target).backward()
        return np.array([p.grad[i] for p, i in spots])

    return value, gradient, np.array([p.data[i] for p, i in spots])
