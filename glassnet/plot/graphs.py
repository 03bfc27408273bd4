"""The architecture of a model as a figure, as Keras's ``plot_model`` draws it: one box per
layer call with its name, its layer and its output shape, and one arrow per value passed on,
from the inputs at the top to the output at the bottom.

A Sequential is a single column. A functional model's graph shows its branches side by
side, its merges (Add, Concatenate, Multiply) as boxes with several arrows in, and its skip
connections as arrows that bend around the boxes they skip. The boxes sit in rows by depth:
a box is one row below the deepest box it reads, so every arrow points down.

The nodes and edges drawn are :func:`architecture`'s, kept on the figure as
``fig.glassnet_graph`` so that the drawing can be checked against the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._config import no_grad
from glassnet.errors import GlassnetError, fmt_shape
from glassnet.explain.forward import evaluation_mode
from glassnet.explain.graph import is_graph
from glassnet.explain.layers import layer_label, layers_of
from glassnet.plot._figure import finish, new_figure

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from glassnet.nn.module import Module

__all__ = ["graph", "architecture"]


def architecture(model: Module) -> dict:
    """``{"nodes": [...], "edges": [...]}``: a node per input and per layer call, as a dict
    with its ``name`` ("input 0", "2", "2 (call 2)"), ``label`` (the layer's printed form),
    ``shape`` (one sample's output shape, "?" when unknown) and ``depth``; an edge
    ``(from, to)`` per value a node reads, as node numbers."""
    nodes, edges = _graph_parts(model) if is_graph(model) else _chain_parts(model)
    for i, node in enumerate(nodes):
        reads = [a for a, b in edges if b == i]
        node["depth"] = 1 + max((nodes[a]["depth"] for a in reads), default=-1)
    return {"nodes": nodes, "edges": edges}


def _label(layer: Module) -> str:
    """``Dense(3 → 5)``, with a Keras-style activation after a comma (``Dense(3 → 5), relu``)."""
    act = getattr(layer, "activation", None)
    return layer_label("", layer) + (f", {act}" if isinstance(act, str) else "")


def _graph_parts(model: Module) -> tuple[list[dict], list[tuple[int, int]]]:
    spec, layers = model.spec, model.layers
    nodes = [
        {"name": f"input {i}", "label": "Input", "shape": fmt_shape(tuple(shape))}
        for i, (shape, _) in enumerate(spec["inputs"])
    ]
    edges, calls = [], {}
    for (index, slots, _), shape in zip(spec["steps"], spec["shapes"]):
        calls[index] = calls.get(index, 0) + 1
        name = str(index) if calls[index] == 1 else f"{index} (call {calls[index]})"
        edges += [(slot, len(nodes)) for slot in slots]
        nodes.append({"name": name, "label": _label(layers[index]), "shape": fmt_shape(shape)})
    return nodes, edges


def _chain_parts(model: Module) -> tuple[list[dict], list[tuple[int, int]]]:
    layers = layers_of(model)
    shapes = _chain_shapes(model, [layer for _, layer in layers])
    nodes = [{"name": "input 0", "label": "Input", "shape": shapes[0]}]
    for (name, layer), shape in zip(layers, shapes[1:]):
        nodes.append({"name": name or "model", "label": _label(layer), "shape": shape})
    return nodes, [(i, i + 1) for i in range(len(layers))]


def _chain_shapes(model: Module, layers: list) -> list[str]:
    """The input's and each layer's output shape for one sample, from one forward pass on
    zeros when the input shape is known (the model's, or its first Dense's size); else "?"."""
    shape = getattr(model, "input_shape", None)
    if shape is None and getattr(layers[0], "in_features", None):
        shape = (layers[0].in_features,)
    if shape is None:
        return ["?"] * (len(layers) + 1)
    params = model.parameters()
    a, shapes = np.zeros((1, *shape), params[0].dtype if params else np.float32), [shape]
    try:
        with evaluation_mode(model), no_grad():
            for layer in layers:
                a = layer(a)
                shapes.append(tuple(a.shape[1:]))
    except GlassnetError:
        pass
    return [fmt_shape(s) for s in shapes] + ["?"] * (len(layers) + 1 - len(shapes))


def graph(
    model: Module,
    path: str | os.PathLike | None = None,
    title: str = "Architecture: layers and what each one reads",
) -> Figure:
    """One box per layer call ("name  layer" over its output shape) and one arrow per value
    read, rows by depth from the inputs down; an arrow that skips rows leaves and enters the
    boxes at one side and bends outwards around the boxes between. ``fig.glassnet_graph``
    holds the :func:`architecture` drawn, ``fig.glassnet_boxes`` each node's box (a
    matplotlib Text, in node order) and ``fig.glassnet_arrows`` each edge's arrow (an
    Annotation anchored on the two boxes, in edge order)."""
    parts = architecture(model)
    nodes, edges = parts["nodes"], parts["edges"]
    where, rows = _layout(nodes, edges)
    widest = max(rows.count(r) for r in set(rows))
    fig, ax = new_figure(size=(2.8 * widest + 1.8, 0.95 * (max(rows) + 1) + 1.2))
    boxes = [_box(ax, where[i], node) for i, node in enumerate(nodes)]
    arrows = [
        _arrow(ax, boxes[a], boxes[b], rows[b] - rows[a], where[a][0] < where[b][0])
        for a, b in edges
    ]
    ax.set_xlim(min(x for x, _ in where) - 0.6, max(x for x, _ in where) + 0.9)
    ax.set_ylim(-max(rows) - 0.6, 0.6)
    ax.axis("off")
    fig.glassnet_graph, fig.glassnet_boxes, fig.glassnet_arrows = parts, boxes, arrows
    return finish(fig, path, title)


def _layout(nodes: list[dict], edges: list) -> tuple[list[tuple], list[int]]:
    """Each node's (x, y) and row: row = depth; in a row the nodes are ordered by the mean x
    of what they read and set one unit apart around it, so a branch stays under its start."""
    rows = [node["depth"] for node in nodes]
    xs = [0.0] * len(nodes)
    for depth in range(max(rows) + 1):
        row = [i for i, r in enumerate(rows) if r == depth]
        wanted = {i: float(np.mean([xs[a] for a, b in edges if b == i] or [0.0])) for i in row}
        row.sort(key=lambda i: wanted[i])
        centre = float(np.mean(list(wanted.values())))
        for k, i in enumerate(row):
            xs[i] = centre + k - (len(row) - 1) / 2
    return [(x, -r) for x, r in zip(xs, rows)], rows


def _box(ax, xy: tuple, node: dict):
    text = f"{node['name']}  {node['label']}\n{node['shape']}"
    return ax.text(
        *xy, text, ha="center", va="center", fontsize=8, zorder=3,
        bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "black"},
    )  # fmt: skip


def _arrow(ax, start, end, rows: int, left: bool):
    """An arrow from box ``start`` to box ``end`` (bottom to top), or for one that skips
    rows from side to side (the left ones when it goes right), bent outwards to pass beside
    the boxes it skips."""
    skips, side = rows > 1, (0 if left else 1, 0.5)
    bend = f"arc3,rad={(1 if left else -1) * min(0.6, 1.2 / rows):.3g}" if skips else "arc3"
    return ax.annotate(
        "", xy=side if skips else (0.5, 1), xycoords=end,
        xytext=side if skips else (0.5, 0), textcoords=start, zorder=2,
        arrowprops={
            "arrowstyle": "-|>", "color": "tab:gray" if skips else "black", "shrinkA": 1,
            "shrinkB": 1, "connectionstyle": bend,
        },
    )  # fmt: skip
