"""Forward propagation of one data point through a graph (a functional model), node by node
in topological order: every node runs after the nodes whose values it reads.

A one-input node is written out as in a chain (:mod:`glassnet.explain.describe`); a merge
node with its formula and, for a small output, every element:

    Add:          h[j] = a[j] + b[j]
    Multiply:     h[j] = a[j]·b[j]
    Concatenate:  h = [a, b] along the axis (the sizes along it add up)
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import fmt_shape
from glassnet.explain.describe import SMALL, describe_layer
from glassnet.explain.graph import graph_point, graph_steps, replay
from glassnet.explain.layers import doc_line, summary_line
from glassnet.explain.render import Document, excerpt, factor, index_text, num
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.nn.module import Module

__all__ = ["graph_walk"]


def graph_walk(model: Module, x: ArrayLike) -> tuple[list[dict], Document]:
    """The steps (one dict per node) and the document of one data point's walk through the
    graph of ``model``, run on a copy in eval mode (the model itself is not touched)."""
    twin = copy.deepcopy(model).eval()
    names, steps, out = graph_steps(twin)
    points = graph_point(model, x)
    with no_grad():
        values = [t.data for t in replay(steps, [Tensor(a) for a in points])]
    doc = Document("Forward propagation of one data point through a graph")
    for name, a in zip(names, points):
        doc.line(f"input {name} = {excerpt(a[0], limit=12)}   shape {fmt_shape(a.shape[1:])}")
    doc.line(f"{len(steps)} nodes in topological order: each runs after the nodes it reads")
    walked = []
    for step in steps:
        reads = [names[r] for r in step.reads]
        ins, result = [values[r][0] for r in step.reads], values[step.slot][0]
        doc.heading(f"{names[step.slot]} = layer {step.label} applied to {', '.join(reads)}")
        if step.as_list:
            _merge(doc, step.layer, reads, ins, (names[step.slot], result))
        else:
            describe_layer(doc, step.layer, ins[0], result)
        walked.append(
            {
                "name": step.name,
                "node": names[step.slot],
                "layer": step.layer,
                "reads": reads,
                "input": ins if step.as_list else ins[0],
                "output": result,
            }
        )
    doc.heading("output")
    doc.line(f"prediction = {names[out]} = {excerpt(values[out][0], limit=12)}")
    return walked, doc


_SIGNS = {nn.Add: " + ", nn.Multiply: "·"}


def _merge(doc: Document, layer, reads: list[str], ins: list, out: tuple) -> None:
    """A node that reads a list: its formula, then every element (small) or the shapes."""
    name, result = out
    doc.math(doc_line(type(layer), "Forward") or summary_line(layer))
    sign = _SIGNS.get(type(layer))
    if sign is not None and result.size <= SMALL:
        lines = []
        for j in np.ndindex(result.shape):
            at = index_text(j)
            names = sign.join(f"{r}{at}" for r in reads)
            numbers = sign.join(factor(v[j]) for v in ins)
            lines.append(f"{name}{at} = {names} = {numbers} = {num(result[j])}")
        doc.math(*lines)
        return
    if isinstance(layer, nn.Concatenate):
        doc.line(f"{name} = [{', '.join(reads)}] along axis {layer.axis}")
    shapes = " and ".join(fmt_shape(v.shape) for v in ins)
    doc.line(f"shapes: {shapes} → {fmt_shape(result.shape)}")
    doc.line(f"values: {excerpt(result, limit=SMALL)}")
