"""``gn.plot.network`` for a functional model: the units of every value in the graph as a
column of nodes, one edge per weight of each Dense layer (as for a chain), and the merges
drawn unit by unit:

- Add, Multiply: unit j of each input feeds unit j of the result (h[j] = a[j] + b[j],
  h[j] = a[j]·b[j]);
- Concatenate: the inputs' units fill the result's in order (a's first, then b's).

A column's depth is one more than the deepest column it reads, so branches stand one above
the other and a skip connection's edges leave the columns they skip, bending over the top.
An activation (also a Keras-style ``Dense(…, activation="relu")``) is written under its
Dense layer's name, as in a chain, unless another node reads the value before it; then it
is a column of its own. Only units can be drawn: a convolution, a pooling or a Flatten is
refused with a :class:`~glassnet.errors.ConfigError` that points to :func:`glassnet.plot.graph`.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet.errors import ConfigError, fmt_shape, message
from glassnet.explain.graph import graph_steps
from glassnet.explain.layers import layer_label
from glassnet.plot._figure import finish, new_figure
from glassnet.plot._weights import weight_edges, weight_legend

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from glassnet.nn.module import Module

__all__ = ["graph_network", "Column", "MERGE_COLOUR"]

MERGE_COLOUR = "tab:gray"
_MERGES = {nn.Add: "elementwise sum", nn.Multiply: "elementwise product"}


@dataclass
class Column:
    """One value drawn as ``size`` units: its ``name`` (a layer's, or "input x"), ``label``
    lines, ``depth`` (its x position) and, once laid out, the units' heights ``ys``."""

    name: str
    size: int
    label: list[str]
    depth: int
    folds: bool = False  # a Dense output whose activation may still be written under it
    ys: np.ndarray = field(default_factory=lambda: np.zeros(0))


def graph_network(
    model: Module, path: str | os.PathLike | None, max_units: int, title: str
) -> Figure:
    """The network figure of a graph (see the module docstring). ``fig.glassnet_columns``
    holds the columns drawn and ``fig.glassnet_links`` one dict per drawn connection:
    ``kind`` ("weights", "merge" or "copy"), the column numbers ``from``/``to`` and the
    LineCollection ``lines`` (a Dense layer's in ``w.ravel()`` order)."""
    names, steps, _ = graph_steps(copy.deepcopy(model))
    columns, links = _columns(model, names, steps)
    widest = max(c.size for c in columns)
    if widest > max_units:
        raise ConfigError(
            message(
                "plot.network",
                f"a value has {widest} units, too many to draw one by one",
                f"{widest} units",
                f"at most max_units={max_units}",
                "raise max_units, or draw the layers with gn.plot.graph(model)",
            )
        )
    height = _layout(columns)
    depth = max(c.depth for c in columns)
    fig, ax = new_figure(size=(1.9 * depth + 2.4, 0.5 * height + 3.0))
    dense = [w for kind, _, _, w in links if kind == "weights"]
    biggest = max((float(np.abs(w).max()) for w in dense), default=1.0) or 1.0
    leaving = Counter()  # weight edges leaving each column: values are written on them
    for kind, sources, _, w in links:  # only where they do not crowd (≤ 4 units, ≤ 16 edges)
        leaving[sources[0]] += w.size if kind == "weights" else 0
    label = widest <= 4 and max(leaving.values()) <= 16
    drawn = [_link(ax, columns, link, biggest, label, height) for link in links]
    _units(ax, columns)
    ax.set_xlim(-0.6, depth + 0.6)
    ax.set_ylim(-height / 2 - 1.1, height / 2 + 2.4)
    ax.axis("off")
    _legend(ax, any(kind != "weights" for kind, *_ in links))
    fig.glassnet_columns, fig.glassnet_links = columns, drawn
    return finish(fig, path, title)


def _columns(model: Module, names: list[str], steps: list) -> tuple[list[Column], list]:
    """The columns and the links (kind, from columns, to column, w or offsets) of a graph."""
    columns = [_input_column(name, shape) for name, shape in zip(names, model.input_shapes)]
    where = list(range(len(columns)))  # value slot -> column
    readers = Counter(r for step in steps for r in step.reads)
    links = []
    for step in steps:
        sources = [where[r] for r in step.reads]
        depth = 1 + max(columns[c].depth for c in sources)
        spec, layer = activations.of(step.layer), step.layer
        if spec is not None and columns[sources[0]].folds and readers[step.reads[0]] == 1:
            columns[sources[0]].label[-1], columns[sources[0]].folds = spec.name, False
            where.append(sources[0])  # the activation is written under its Dense layer
            continue
        size, link = _node(step, layer, spec, [columns[c] for c in sources])
        columns.append(Column(step.name, size, [layer_label(step.name, layer), link[1]], depth))
        columns[-1].folds = isinstance(layer, nn.Dense)
        links.append((link[0], sources, len(columns) - 1, link[2]))
        where.append(len(columns) - 1)
    return columns, links


def _input_column(name: str, shape: tuple) -> Column:
    if len(shape) != 1:
        raise ConfigError(
            message(
                "plot.network",
                f"input {name} is not a vector of units",
                f"one sample of shape {fmt_shape(tuple(shape))}",
                "inputs of shape (n,)",
                "draw the layers with gn.plot.graph(model)",
            )
        )
    return Column(f"input {name}", int(shape[0]), [f"input {name}", f"{shape[0]} values"], 0)


def _node(step, layer, spec, sources: list[Column]) -> tuple[int, tuple]:
    """The size of a node's column and its link: (kind, second label line, w or offsets)."""
    if isinstance(layer, nn.Dense):
        return layer.w.shape[1], ("weights", "linear", layer.w.data)
    if spec is not None or isinstance(layer, nn.Dropout):
        name = spec.name if spec is not None else "dropout (off when drawn)"
        return sources[0].size, ("copy", name, [0])
    if type(layer) in _MERGES:
        return sources[0].size, ("merge", _MERGES[type(layer)], [0] * len(sources))
    if isinstance(layer, nn.Concatenate):
        offsets = np.cumsum([0] + [c.size for c in sources])
        return int(offsets[-1]), ("merge", "side by side", offsets[:-1].tolist())
    raise ConfigError(
        message(
            "plot.network",
            f"layer {step.name} {layer} has no units to draw one by one",
            type(layer).__name__,
            "Dense layers, activations, Dropout and Add/Multiply/Concatenate",
            "draw the layers and their connections with gn.plot.graph(model)",
        )
    )


def _layout(columns: list[Column]) -> float:
    """Stack the columns of one depth from the top (one unit apart, two between columns)
    and centre each depth; return the height of the tallest depth."""
    depths = sorted({c.depth for c in columns})
    stacks = {d: [c for c in columns if c.depth == d] for d in depths}
    heights = {d: sum(c.size - 1 for c in s) + 2 * (len(s) - 1) for d, s in stacks.items()}
    for d, stack in stacks.items():
        top = heights[d] / 2
        for c in stack:
            c.ys = top - np.arange(c.size, dtype=float)
            top -= c.size + 1
    return float(max(heights.values()))


def _link(ax, columns: list[Column], link: tuple, biggest: float, label: bool, height: float):
    """Draw one link; a merge or copy draws unit j of each source to unit offset + j."""
    from matplotlib.collections import LineCollection

    kind, sources, to, payload = link
    end = columns[to]
    if kind == "weights":
        start = columns[sources[0]]
        ends = (start.depth, start.ys), (end.depth, end.ys)
        lines = weight_edges(ax, *ends, payload, biggest, label)
        return {"kind": kind, "from": sources, "to": to, "lines": lines}
    segments = []
    for c, offset in zip(sources, payload):
        start = columns[c]
        for j, y in enumerate(start.ys):
            segments.append(_route(start.depth, y, end.depth, end.ys[offset + j], height))
    lines = LineCollection(segments, colors=MERGE_COLOUR, linewidths=1.0, zorder=1)
    ax.add_collection(lines)
    return {"kind": kind, "from": sources, "to": to, "lines": lines}


def _route(x0: float, y0: float, x1: float, y1: float, height: float) -> list[tuple]:
    """A straight segment to the next depth; over the top of the figure for a longer one
    (a skip connection), so it does not cross the columns between."""
    if x1 - x0 <= 1:
        return [(x0, y0), (x1, y1)]
    top = height / 2 + 1.9
    return [(x0, y0), (x0 + 0.4, top), (x1 - 0.4, top), (x1, y1)]


def _units(ax, columns: list[Column]) -> None:
    for c in columns:
        x = np.full(c.size, c.depth)
        ax.scatter(x, c.ys, s=260, color="white", edgecolors="black", zorder=2)
        ax.text(
            c.depth, c.ys.max() + 0.55, "\n".join(c.label), ha="center", va="bottom", fontsize=8
        )


def _legend(ax, merges: bool) -> None:
    from matplotlib.lines import Line2D

    extra = (Line2D([], [], color=MERGE_COLOUR, linewidth=1.0, label="value passed on"),)
    weight_legend(ax, extra if merges else ())
