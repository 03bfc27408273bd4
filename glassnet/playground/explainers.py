"""The math on demand: one weight's chain rule, one neuron's weighted sum, the doctor.

A weight's explanation is :func:`glassnet.explain.weight` itself, run on the live model for
one training example, so the page shows the library's own numbers. A neuron's explanation
is the weighted sum written out with the numbers of a chosen point:

    zⱼ = Σᵢ aᵢ·wᵢⱼ + bⱼ,     aⱼ = f(zⱼ)

where aᵢ are the previous layer's outputs (the input features for the first layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import glassnet as gn
from glassnet import activations, nn
from glassnet.errors import ConfigError, message
from glassnet.explain.render import num
from glassnet.playground.datasets import feature_matrix
from glassnet.playground.page_doctor import page_findings
from glassnet.playground.views import layer_outputs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from glassnet.playground.session import Session

__all__ = ["explain_weight", "explain_neuron", "run_doctor", "dense_positions"]

MAX_TERMS = 12


def dense_positions(model: nn.Sequential) -> list[int]:
    """Indices in the Sequential of its Dense layers (their parameters are ``<i>.w``)."""
    return [i for i, m in enumerate(model.layers) if isinstance(m, nn.Dense)]


def _bounded(where: str, value: int, size: int, what: str) -> int:
    if not 0 <= value < size:
        raise ConfigError(message(where, f"{what} is out of range", str(value), f"0 … {size - 1}"))
    return value


def _weight_name(session, layer: int, row: int, col: int) -> str:
    positions = dense_positions(session.model)
    _bounded("explain_weight.layer", layer, len(positions), "the layer")
    dense = session.model.layers[positions[layer]]
    _bounded("explain_weight.col", col, dense.out_features, "the neuron")
    if row == -1:
        return f"{positions[layer]}.b[{col}]"
    _bounded("explain_weight.row", row, dense.in_features, "the input")
    return f"{positions[layer]}.w[{row}, {col}]"


def explain_weight(session: Session, layer: int, row: int, col: int, sample: int) -> dict:
    """gn.explain.weight for w[row, col] of Dense layer ``layer`` (row −1: the bias) on
    training example ``sample``, with the session's loss and its optimizer (whose state,
    such as Adam's moments, enters the written-out update)."""
    name = _weight_name(session, layer, row, col)
    d = session.data
    sample = _bounded("explain_weight.sample", sample, len(d.x_train), "the example")
    session.model.eval()
    e = gn.explain.weight(
        session.model,
        d.x_train[sample : sample + 1],
        session.targets[sample : sample + 1],
        name,
        loss=session.loss,
        optimizer=session.optimizer,
    )
    return {
        "type": "weight",
        "layer": layer,
        "row": row,
        "col": col,
        "sample": sample,
        "name": name,
        "value": float(e.value),
        "gradient": float(e.gradient),
        "new_value": float(e.new_value),
        "lr": session.lr,
        "text": e.render("text"),
    }


def _neuron_input(session, point, sample) -> tuple[np.ndarray, str]:
    d = session.data
    if point is not None:
        if not d.is_plane:
            raise ConfigError(
                message(
                    "explain_neuron.point",
                    "a point on the plane needs a 2-D data set",
                    repr(point),
                    "a training example: send 'sample' instead",
                )
            )
        where = f"the point (x₁, x₂) = ({num(point[0], 4)}, {num(point[1], 4)})"
        return feature_matrix(np.array([point], np.float32), session.settings["features"]), where
    sample = _bounded("explain_neuron.sample", sample, len(d.x_train), "the example")
    return d.x_train[sample : sample + 1], f"training example #{sample}"


def explain_neuron(
    session: Session, layer: int, unit: int, point: Sequence[float] | None, sample: int | None
) -> dict:
    """The weighted sum zⱼ and activation aⱼ of neuron ``unit`` in Dense layer ``layer``."""
    positions = dense_positions(session.model)
    _bounded("explain_neuron.layer", layer, len(positions), "the layer")
    dense = session.model.layers[positions[layer]]
    unit = _bounded("explain_neuron.unit", unit, dense.out_features, "the neuron")
    x, where = _neuron_input(session, point, sample)
    outputs = layer_outputs(session.model, x)
    a_in = (x if layer == 0 else outputs[layer - 1])[0].astype(np.float64)
    w = dense.w.data[:, unit].astype(np.float64)
    b = float(dense.b.data[unit])
    z = float(a_in @ w + b)
    a = float(outputs[layer][0, unit])
    last = layer == len(positions) - 1
    act = "identity (output scores)" if last else _activation_name(session.model, positions[layer])
    order = np.argsort(-np.abs(a_in * w))[:MAX_TERMS]
    terms = [(int(i), float(a_in[i]), float(w[i])) for i in sorted(order)]
    shown = " + ".join(f"({num(ai, 4)})·({num(wi, 4)})" for _, ai, wi in terms)
    more = f" + … ({len(w) - len(terms)} smaller terms)" if len(w) > len(terms) else ""
    formula = [
        f"z = Σᵢ aᵢ·wᵢ{unit} + b{unit}",
        f"  = {shown}{more} + ({num(b, 4)})",
        f"  = {num(z, 6)}",
        f"a = {act.split(' ')[0]}(z) = {num(a, 6)}",
    ]
    return {
        "type": "neuron",
        "layer": layer,
        "unit": unit,
        "where": where,
        "terms": terms,
        "bias": b,
        "z": z,
        "a": a,
        "activation": act,
        "text": "\n".join(formula),
    }


def _activation_name(model, position: int) -> str:
    layer = model.layers[position + 1]
    spec = activations.of(layer)
    return spec.symbol if spec is not None else type(layer).__name__


def run_doctor(session: Session, state: dict | None = None) -> list[dict]:
    """The training doctor's diagnoses of the live run: its per-epoch losses, the model,
    and up to 256 training rows. Each is ``{"kind", "finding", "fix"}``."""
    d = session.data
    report = gn.doctor(
        history=session.history,
        model=session.model,
        x=d.x_train[:256],
        y=session.targets[:256],
        loss=session.loss,
    )
    return page_findings(report, session, state or {})
