"""The training doctor's look inside a model: dead units (a ReLU never active) and saturated
units (a sigmoid/tanh slope below SLOPE_FLOOR on most inputs) in every hidden activation.
Which activations can die or saturate is each one's ``stalls`` in :mod:`glassnet.activations`.

A chain (a Sequential) is walked layer by layer, its layers named ``"0"``, ``"1"``, ….
A graph (a functional model with branches, skip connections or merges) is walked node by
node in topological order (:func:`glassnet.explain.graph.graph_steps`), each node named by
its layer as the parameter names are (``"1"`` for the layer whose weights are ``"1.w"``):
a Keras-style ``Dense(…, activation="relu")`` shows its activation as a node of the
layer's own name, and a layer called twice is named ``"3 (call 2)"`` for its second call.
The node or layer that writes the model's output is not checked: a confident output is fine.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations
from glassnet._config import no_grad
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.explain.doctor_report import LIMITS, SLOPE_FLOOR, Diagnosis
from glassnet.explain.forward import evaluation_mode
from glassnet.explain.graph import graph_steps, is_graph, replay
from glassnet.explain.layers import layers_of
from glassnet.tensor import Tensor
from glassnet.training.functional import unpack_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    from glassnet.nn.module import Module

    Hidden = tuple[str, Module, np.ndarray, np.ndarray]  # name, layer, z (read), a (written)

__all__ = ["units", "hidden_activations", "output_layer", "node_names", "SAMPLES"]

SAMPLES = 512  # the doctor runs the model on the first SAMPLES rows of x


def units(model: Module, x: np.ndarray) -> list[Diagnosis | None]:
    """The "dead_relus" and "saturated_units" findings (None where there is none) of every
    hidden activation layer or node whose activation can stall."""
    found = {"dead": [], "saturated": []}
    for name, layer, z, a in hidden_activations(model, x):
        spec = activations.of(layer)
        if spec is None or spec.stalls is None:
            continue
        if spec.stalls == "dead":
            fraction = dead_fraction(a, spec.output_range[0])
        else:
            fraction = saturated_fraction(spec.slope(z, a, layer))
        found[spec.stalls].append((name, fraction))
    return [_unit_finding(kind, fractions) for kind, fractions in found.items()]


def hidden_activations(model: Module, x: np.ndarray) -> Iterator[Hidden]:
    """(name, layer, z, a) of every hidden layer (chain) or node (functional model, also one
    whose graph is a chain) run in eval mode on the first SAMPLES rows of ``x``: what it
    read (z) and what it wrote (a)."""
    dtype = model.parameters()[0].dtype if model.parameters() else np.float32
    a = x[:SAMPLES].astype(dtype)
    if _functional(model):
        yield from _graph_hidden(model, a)
        return
    with evaluation_mode(model), no_grad():
        for name, layer in layers_of(model)[:-1]:
            z, a = a, layer(a).data
            yield name, layer, z, a


def _functional(model: Module) -> bool:
    """A model built with gn.Input: walked node by node, so that a Keras-style activation
    inside a Dense layer is checked too (a Sequential places it as a layer of its own)."""
    return is_graph(model) or bool(getattr(model, "functional", False))


def _graph_hidden(model: Module, x: np.ndarray) -> Iterator[Hidden]:
    twin = copy.deepcopy(model).eval()  # graph_steps splits Keras-style activations off
    names, steps, out = graph_steps(twin)
    with no_grad():
        values = [v.data for v in replay(steps, _graph_inputs(twin, x))]
    for step, name in zip(steps, node_names(names, steps)):
        if step.slot != out and not step.as_list:
            yield name, step.layer, values[step.reads[0]], values[step.slot]


def node_names(names: list[str], steps: list) -> list[str]:
    """Each node's name for a reader: its layer's name (``"1"``), and for a layer called
    more than once ``"1 (call 2)"`` from the second call on (value names ``h1_2``)."""
    calls = [names[step.slot].partition("_")[2] for step in steps]
    return [f"{s.name} (call {c})" if c not in ("", "1") else s.name for s, c in zip(steps, calls)]


def _graph_inputs(model: Module, x: np.ndarray) -> list[Tensor]:
    """One tensor per model input: x itself, or x's columns split by input (several inputs
    come packed side by side, as ``model.pack`` lays them out)."""
    shapes = [tuple(s) for s in model.input_shapes]
    if len(shapes) == 1:
        return [Tensor(x)]
    parts = unpack_rows(x, shapes)
    if parts is None:
        width = sum(int(np.prod(s)) for s in shapes)
        raise ShapeError(
            message(
                "doctor",
                f"this model has {len(shapes)} inputs",
                f"x.shape={fmt_shape(x.shape)}",
                f"one array per gn.Input in a list, or (N, {width}) packed",
                "pass x=[x0, x1] as you pass it to fit",
            )
        )
    return [Tensor(np.ascontiguousarray(p)) for p in parts]


def output_layer(model: Module) -> Module:
    """The layer that writes the model's output: a chain's last layer, or in a graph the
    layer of the output node (its activation for a Keras-style ``Dense(…, activation=)``)."""
    if not _functional(model):
        return layers_of(model)[-1][1]
    spec = model.spec
    step = spec["steps"][spec["outputs"][0] - len(spec["inputs"])]
    layer = model.layers[step[0]]
    act = getattr(layer, "_act", None)
    return layer if act is None else act


def dead_fraction(a: np.ndarray, floor: float) -> float:
    """The fraction of units at the activation's lowest output (ReLU: 0) for every sample
    (a whole channel for images)."""
    units = a.reshape(a.shape[0], a.shape[1], -1) if a.ndim > 2 else a[:, :, None]
    return float(np.mean(np.all(units <= floor, axis=(0, 2))))


def saturated_fraction(slope: np.ndarray) -> float:
    """The fraction of units whose slope f′ (σ′, tanh′) is below SLOPE_FLOOR on at least
    half of the samples (its median slope; a whole channel for images)."""
    units = (
        slope.reshape(slope.shape[0], slope.shape[1], -1) if slope.ndim > 2 else slope[..., None]
    )
    median = np.median(units.transpose(1, 0, 2).reshape(units.shape[1], -1), axis=1)
    return float(np.mean(median < SLOPE_FLOOR))


_UNIT_FINDINGS = {  # kind: (the words after the activations' labels, the fix)
    "dead": ("units that never fire on these inputs",
             "lower the learning rate, use init='he_normal', or switch to LeakyReLU"),
    "saturated": (f"units whose slope is below {SLOPE_FLOOR} on most inputs (they barely learn)",
                  "scale the inputs (MinMaxScaler), use smaller initial weights, or use ReLU"),
}  # fmt: skip


def _unit_finding(kind: str, layers: list) -> Diagnosis | None:
    """The "dead_relus" or "saturated_units" diagnosis of the layers at or over the limit."""
    bad = [(n, f) for n, f in layers if f >= LIMITS[kind]]
    if not bad:
        return None
    words, fix = _UNIT_FINDINGS[kind]
    labels = "/".join(s.label for s in activations.specs() if s.stalls == kind)
    words = f"{labels} {words}"
    where = ", ".join(f"layer {n}: {f:.0%}" for n, f in bad)
    name = "dead_relus" if kind == "dead" else "saturated_units"
    return Diagnosis(name, f"{words}: {where}", fix, {f"{kind}_fraction": dict(bad)})
