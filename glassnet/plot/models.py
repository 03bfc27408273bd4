"""Figures of models: the decision boundary of a 2-D classifier, a network diagram with the
weights as edges, and a grid of MNIST digits with the model's predictions and mistakes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.explain.forward import evaluation_mode
from glassnet.explain.graph import is_graph
from glassnet.explain.layers import layers_of
from glassnet.plot._figure import NEGATIVE, finish, new_figure
from glassnet.plot._weights import weight_edges, weight_legend
from glassnet.plot.network_graph import graph_network
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from glassnet.nn.module import Module

__all__ = ["decision_boundary", "network", "mnist_grid", "predict_classes"]


def predict_classes(model: Module, x: np.ndarray) -> np.ndarray:
    """Class labels from a model's outputs: argmax of several columns; for one column,
    > 0.5 when the outputs look like probabilities (all in [0, 1]) and > 0 for logits."""
    dtype = model.parameters()[0].dtype if model.parameters() else np.float32
    with evaluation_mode(model), no_grad():
        out = model(Tensor(np.asarray(x, dtype=dtype))).data
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(len(out))
    threshold = 0.5 if out.min() >= 0 and out.max() <= 1 else 0.0
    return (out > threshold).astype(int)


def decision_boundary(
    model: Module,
    x: ArrayLike,
    y: ArrayLike,
    path: str | os.PathLike | None = None,
    resolution: int = 150,
    title: str = "Decision boundary",
) -> Figure:
    """The class the model predicts at every point of the plane (background) and the data
    points coloured by their true class. The class grid is the image's array."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y).ravel()
    if x.ndim != 2 or x.shape[1] != 2 or len(x) != len(y):
        raise ShapeError(
            message(
                "plot.decision_boundary",
                "needs 2-D points and one label each",
                f"x {fmt_shape(x.shape)}, y {fmt_shape(y.shape)}",
                "x (N, 2), y (N,)",
            )
        )
    pad = 0.1 * (x.max(axis=0) - x.min(axis=0)) + 1e-9
    low, high = x.min(axis=0) - pad, x.max(axis=0) + pad
    g0, g1 = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    grid = np.stack(np.meshgrid(g0, g1), axis=-1).reshape(-1, 2)
    classes = predict_classes(model, grid).reshape(resolution, resolution)
    fig, ax = new_figure(size=(5.6, 5.0))
    ax.imshow(
        classes,
        origin="lower",
        extent=(low[0], high[0], low[1], high[1]),
        aspect="auto",
        alpha=0.35,
        cmap="coolwarm",
        interpolation="nearest",
    )
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", edgecolors="black", linewidths=0.5, s=18)
    accuracy = float(np.mean(predict_classes(model, x) == y))
    ax.set_title(f"accuracy on these points {accuracy:.1%}")
    ax.set_xlabel("x₀")
    ax.set_ylabel("x₁")
    return finish(fig, path, title)


def _dense_layers(model, max_units: int) -> list:
    dense = [(name, layer) for name, layer in layers_of(model) if isinstance(layer, nn.Dense)]
    if not dense:
        raise ConfigError(
            message("plot.network", "the model has no Dense layer", repr(model), "a small MLP")
        )
    widest = max(max(layer.w.shape) for _, layer in dense)
    if widest > max_units:
        raise ConfigError(
            message(
                "plot.network",
                f"a layer has {widest} units, too many to draw one by one",
                f"{widest} units",
                f"at most max_units={max_units}",
                "raise max_units, or explain it with gn.explain.forward instead",
            )
        )
    return dense


def network(
    model: Module,
    path: str | os.PathLike | None = None,
    max_units: int = 16,
    title: str = "Network: weights as edges",
) -> Figure:
    """Nodes per layer and one edge per weight: blue positive, red negative, width ∝ |w|.

    One LineCollection per Dense layer (edges ordered like ``w.ravel()``, i.e. w[i, j] in
    row-major order), so the drawing can be checked against the weights. A small net (at
    most 4 units per layer) also writes each weight's value on its edge, a third of the way
    along so that crossing edges keep their labels apart.

    A functional model's graph is drawn value by value, its merges unit by unit (see
    :mod:`glassnet.plot.network_graph`); :func:`glassnet.plot.graph` draws any model's
    layers and connections as boxes.
    """
    if is_graph(model):  # branches, skip connections, merges: see network_graph
        return graph_network(model, path, max_units, title)
    dense = _dense_layers(model, max_units)
    sizes = [dense[0][1].w.shape[0]] + [layer.w.shape[1] for _, layer in dense]
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1) for n in sizes]
    biggest = max(float(np.abs(layer.w.data).max()) for _, layer in dense) or 1.0
    fig, ax = new_figure(size=(1.8 * len(sizes) + 1, 0.5 * max(sizes) + 2.4))
    for k, (name, layer) in enumerate(dense):
        weight_edges(ax, (k, ys[k]), (k + 1, ys[k + 1]), layer.w.data, biggest, max(sizes) <= 4)
        label = f"{layer}\n{_activation_after(model, name)}"
        ax.text(k + 1, ys[k + 1].max() + 0.7, label, ha="center", fontsize=8)
    ax.text(0, ys[0].max() + 0.7, f"input\n{sizes[0]} values", ha="center", fontsize=8)
    for k, column in enumerate(ys):
        ax.scatter(
            np.full(len(column), k), column, s=260, color="white", edgecolors="black", zorder=2
        )
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-max(sizes) / 2 - 0.5, max(sizes) / 2 + 1.5)
    ax.axis("off")
    weight_legend(ax)
    return finish(fig, path, title)


def _activation_after(model, name: str) -> str:
    """The name of the activation applied to layer ``name``'s output, or "linear": the
    layer's own Keras-style ``activation=`` (a functional chain keeps it inside the layer;
    a Sequential splits it off), else the activation layer that follows it."""
    layers = layers_of(model)
    position = next(i for i, (n, _) in enumerate(layers) if n == name)
    own = getattr(layers[position][1], "_act", None)
    after = layers[position + 1][1] if position + 1 < len(layers) else None
    act = activations.of(own if own is not None else after)
    return act.name if act else "linear"


def mnist_grid(
    images: ArrayLike,
    labels: ArrayLike,
    predictions: ArrayLike | None = None,
    path: str | os.PathLike | None = None,
    n: int = 25,
    mistakes_first: bool = True,
) -> Figure:
    """A grid of digits titled with the prediction; a mistake is titled "pred (true t)" in
    red. With ``mistakes_first`` the wrong predictions are shown before the right ones."""
    images = np.asarray(images)
    images = images.reshape(len(images), *images.shape[-2:])
    labels = np.asarray(labels).ravel()
    predictions = labels if predictions is None else np.asarray(predictions).ravel()
    order = np.arange(len(images))
    if mistakes_first:
        order = np.concatenate([order[predictions != labels], order[predictions == labels]])
    order = order[:n]
    cols = int(np.ceil(np.sqrt(len(order))))
    rows = int(np.ceil(len(order) / cols))
    fig, axes = new_figure(rows, cols, size=(1.3, 1.5), layout=None)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.88, hspace=0.45, wspace=0.1)
    axes = np.atleast_1d(axes)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, order):
        wrong = predictions[i] != labels[i]
        ax.imshow(images[i], cmap="gray_r")
        text = f"{predictions[i]} (true {labels[i]})" if wrong else f"{predictions[i]}"
        ax.set_title(text, color=NEGATIVE if wrong else "black", fontsize=9)
    errors = int(np.sum(predictions != labels))
    fig.glassnet_order = order
    return finish(
        fig,
        path,
        f"{errors} mistakes in {len(labels)} digits"
        if predictions is not labels
        else "MNIST digits",
    )
