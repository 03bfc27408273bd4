"""Figures of functions: the activations with their slopes, and the line fitter (linear
regression by gradient descent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations as registry
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.plot._figure import finish, new_figure
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

__all__ = ["activations", "line_fitter", "matrices"]


def activations(
    path: str | os.PathLike | None = None,
    names: Sequence[str] | None = None,
    span: float = 6.0,
) -> Figure:
    """Each activation f(z) (left) and its slope f′(z) (right) on [−span, span].

    ``names`` defaults to every elementwise activation of :mod:`glassnet.activations`.
    The slopes come from autograd (backward of Σ f(z)), i.e. from each op's Backward
    formula, so the figure shows what training multiplies by. Each module is built with
    its spec's ``figure`` settings (``leaky_relu`` with α = 0.1, so its negative side is
    visible).
    """
    names = registry.names() if names is None else tuple(names)
    specs = [registry.get(name, where="plot.activations") for name in names]
    fig, (left, right) = new_figure(1, 2)
    z = np.linspace(-span, span, 241)
    for name, spec in zip(names, specs):
        t = Tensor(z, requires_grad=True)
        a = spec.make(**spec.figure)(t)
        a.sum().backward()
        left.plot(z, a.data, label=name)
        right.plot(z, t.grad, label=f"{name}′")
    for ax, label in ((left, "f(z)"), (right, "slope f′(z)")):
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.set_xlabel("z (the weighted sum)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    return finish(fig, path, "Activation functions and their slopes")


def matrices(
    named: dict, path: str | os.PathLike | None = None, title: str = "Matrices"
) -> Figure:
    """Each matrix of ``named`` ({label: 2-D array or tensor}) as a grid of its numbers,
    side by side (e.g. A, B and A @ B); a vector is drawn as one row."""
    fig, axes = new_figure(1, len(named), size=(3.2, 3.2))
    for ax, (label, value) in zip(np.atleast_1d(axes), named.items()):
        m = np.atleast_2d(np.asarray(value.data if isinstance(value, Tensor) else value))
        if m.ndim != 2:
            raise ShapeError(
                message(
                    "plot.matrices",
                    f"{label!r} is not a matrix",
                    fmt_shape(m.shape),
                    "1 or 2 axes",
                )
            )
        ax.imshow(m, cmap="coolwarm", vmin=-np.abs(m).max() - 1e-12, vmax=np.abs(m).max() + 1e-12)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=10)
        ax.set_title(f"{label}  {m.shape[0]}×{m.shape[1]}")
        ax.set_xticks([])
        ax.set_yticks([])
    return finish(fig, path, title)


def _fit(x: np.ndarray, y: np.ndarray, lr: float, steps: int, start) -> np.ndarray:
    """(m, b) after each step of gradient descent on E(m, b) = Σᵢ (m·xᵢ + b − yᵢ)² / n,
    with autograd's gradient: rows m, b for steps 0…steps."""
    w = np.array(start, dtype=np.float64)
    xs, ys = Tensor(x), Tensor(y)
    path = [w.copy()]
    for _ in range(steps):
        t = Tensor(w, requires_grad=True)
        error = xs * t[0] + t[1] - ys
        (error * error).mean().backward()
        w = w - lr * t.grad
        path.append(w.copy())
    return np.array(path)


def line_fitter(
    x: ArrayLike,
    y: ArrayLike,
    path: str | os.PathLike | None = None,
    lr: float = 0.05,
    steps: int = 60,
    start: tuple[float, float] = (0.0, 0.0),
) -> Figure:
    """Linear regression y ≈ m·x + b by gradient descent on the mean squared error.

    Left: the points, the starting line and the fitted line. Middle: contours of the total
    squared error Σᵢ (m·xᵢ + b − yᵢ)² over (m, b) with the path of (m, b). Right: the total
    squared error after each step. The path is kept in ``fig.glassnet_path_points``.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ShapeError(
            message(
                "plot.line_fitter",
                "x and y must be equally long 1-D data",
                f"x {fmt_shape(x.shape)}, y {fmt_shape(y.shape)}",
                "two or more points each",
            )
        )
    walk = _fit(x, y, lr, steps, start)
    optimum = np.polyfit(x, y, 1)  # the least-squares (m, b) that descent approaches
    sse = np.array([np.sum((m * x + b - y) ** 2) for m, b in walk])
    fig, (data_ax, surface_ax, error_ax) = new_figure(1, 3, size=(5.0, 4.2))
    data_ax.scatter(x, y, color="black", zorder=3, label="data")
    xs = np.linspace(x.min(), x.max(), 2)
    for (m, b), style, label in ((walk[0], ":", "start"), (walk[-1], "-", "fitted")):
        data_ax.plot(xs, m * xs + b, style, label=f"{label}: y = {m:.3g}·x + {b:.3g}")
    data_ax.legend()
    data_ax.set_xlabel("x")
    data_ax.set_ylabel("y")
    _error_surface(surface_ax, x, y, walk, optimum)
    error_ax.plot(np.arange(len(sse)), sse, marker=".")
    error_ax.axhline(np.sum((np.polyval(optimum, x) - y) ** 2), color="gray", linestyle="--",
                     label="least squares (the minimum)")  # fmt: skip
    error_ax.legend()
    error_ax.set_xlabel("step")
    error_ax.set_ylabel("total squared error")
    error_ax.set_yscale("log")
    fig.glassnet_path_points = walk
    return finish(fig, path, f"Line fitter: gradient descent with lr={lr:g}")


def _error_surface(ax, x, y, walk: np.ndarray, optimum: np.ndarray) -> None:
    """Contours of log₁₀ Σᵢ (m·xᵢ + b − yᵢ)² over a window holding the path and the optimum."""
    ms = np.linspace(*_around(np.append(walk[:, 0], optimum[0])), 60)
    bs = np.linspace(*_around(np.append(walk[:, 1], optimum[1])), 60)
    grid = np.array([[np.sum((m * x + b - y) ** 2) for m in ms] for b in bs])
    ax.contourf(ms, bs, np.log10(grid + 1e-12), levels=30, cmap="viridis")
    ax.plot(walk[:, 0], walk[:, 1], "o-", color="white", markersize=2, label="descent path")
    ax.plot(*optimum, "*", color="tab:orange", markersize=14, label="least squares")
    ax.legend(fontsize="small")
    ax.set_xlabel("slope m")
    ax.set_ylabel("intercept b")
    ax.set_title("log₁₀ total squared error")


def _around(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = max(high - low, 1.0) * 0.3
    return low - pad, high + pad
