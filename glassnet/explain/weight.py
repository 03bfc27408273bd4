"""The chain rule for one weight, with numbers, then the optimizer's update of it.

The slope of the loss L with respect to a weight w that connects node x to node z (and
z feeds an activation a = f(z)) is the product of three factors:

    dL/dw = dL/da · f′(z) · x
            (1) slope of the loss at the node the weight feeds
            (2) slope of the activation at that node
            (3) value of the node feeding the weight (1 for a bias)

At the output, (1) is the loss's own slope (for MSE 2·(prediction − actual)). At a hidden
node it is the sum over every path to the later layers, dL/da[j] = Σₘ dL/dz′[m]·w′[j, m].
A convolution kernel weight is shared by every output position, so its gradient is that
product summed over the positions. The product is checked against autograd's gradient.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.explain import terms as term_rules
from glassnet.explain.chainrule import (
    WeightExplanation,
    as_target,
    explained,
    loss_lines,
    write_closing,
)
from glassnet.explain.forward import one_point
from glassnet.explain.graph import is_graph
from glassnet.explain.graph_weight import graph_weight
from glassnet.explain.layers import layer_label, layers_of
from glassnet.explain.render import Document, excerpt, num
from glassnet.explain.slopes import (
    float64_copy,
    layer_backward,
    loss_slope,
    path_sum,
    resolve_loss,
)
from glassnet.explain.update import resolve_optimizer
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module
    from glassnet.optim.base import Optimizer

__all__ = ["weight", "WeightExplanation", "locate_weight", "as_target"]

_SPEC = re.compile(r"^\s*([\w.]+?)\s*(?:\[([\d,\s]*)\])?\s*$")


def weight(
    model: Module,
    x: ArrayLike,
    y: ArrayLike,
    name: str,
    loss: str | Loss = "mse",
    lr: float | None = None,
    optimizer: str | Optimizer | None = None,
) -> WeightExplanation:
    """Explain the gradient of one weight (``"0.w[1, 0]"``, ``"2.b[0]"``) for one data point.

    ``loss`` is a loss name or object; ``optimizer`` a name, class or instance (default SGD)
    and ``lr`` its learning rate (default the optimizer's own). Computation is in float64
    on a copy of the model. Raises GradientCheckError if the chain-rule product differs
    from autograd's gradient. In a graph (a functional model) dL/da sums the paths to the
    loss (:mod:`glassnet.explain.graph_weight`); x is then a list for several inputs.
    """
    loss_fn, opt = resolve_loss(loss), resolve_optimizer(optimizer, lr)
    pname, index, pos = locate_weight(model, name)
    if is_graph(model):
        return graph_weight(model, x, y, pname, index, loss_fn, opt)
    run = _run(model, x, y, loss_fn, pname)
    chain = _chain(run["layers"], pos, run["acts"], loss_fn, run["target"])
    attr = pname.rsplit(".", 1)[-1]
    layer, x_in = run["layers"][pos], run["acts"][pos]
    terms = term_rules.terms(layer, attr, index, x_in, chain["slope"], chain["dL_da"])
    return explained(
        model, pname, index, run, terms, opt,
        lambda label, sums, lines: _document(label, pos, run, loss_fn, chain, terms, sums, lines),
    )  # fmt: skip


def locate_weight(model: Module, spec: str) -> tuple[str, tuple, int]:
    """(parameter name, index, position of its layer) for ``"0.w[1, 0]"``."""
    names = dict(model.named_parameters())
    pname, index = _parse(spec, names)
    owner = pname.rsplit(".", 1)[0]
    named = list(enumerate(model.layers)) if is_graph(model) else layers_of(model)
    positions = {str(n): i for i, (n, _) in enumerate(named)}
    if owner not in positions:
        raise ConfigError(
            message(
                "explain.weight",
                f"{pname} is not the weight of a top-level layer",
                repr(pname),
                "a weight of one of the model's layers (a Sequential's items)",
            )
        )
    if not names[pname].requires_grad:
        raise ConfigError(
            message(
                "explain.weight",
                f"{pname} is frozen",
                "trainable=False",
                "a trainable weight",
                f"set model[{owner}].trainable = True to explain it",
            )
        )
    return pname, index, positions[owner]


def _parse(spec, names: dict) -> tuple[str, tuple]:
    """``"0.w[1, 0]"`` → ("0.w", (1, 0)), checked against the parameters' names and shapes."""
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if match is None or match.group(1) not in names:
        raise ConfigError(
            message(
                "explain.weight",
                f"no weight called {spec!r}",
                repr(spec),
                "a parameter name with an index, one of: " + ", ".join(f"{n}[...]" for n in names),
                'write it like "0.w[1, 0]" (layer 0, weight from input 1 to node 0)',
            )
        )
    pname, shape = match.group(1), names[match.group(1)].shape
    index = tuple(int(i) for i in match.group(2).split(",") if i.strip()) if match.group(2) else ()
    if len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape)):
        raise ShapeError(
            message(
                "explain.weight",
                f"the index {list(index)} does not fit {pname}",
                f"{pname}.shape={fmt_shape(shape)}",
                f"{len(shape)} indices within the shape",
            )
        )
    return pname, index


def _run(model, x, y, loss_fn, pname: str) -> dict:
    """Forward with autograd through every layer of a float64 copy in eval mode (Dropout
    off, BatchNorm on its running statistics), then backward: the layers, their
    activations, the target, the loss value and autograd's gradient."""
    twin = float64_copy(model).eval()  # a throwaway copy: eval mode for every later step
    layers = [layer for _, layer in layers_of(twin)]
    param = dict(twin.named_parameters())[pname]
    xs = one_point(model, x).astype(np.float64)
    t = Tensor(xs)
    acts = [xs]
    for layer in layers:
        t = layer(t)
        acts.append(t.data)
    target = as_target(loss_fn, y, t.shape)
    value = loss_fn(t, target)
    value.backward()
    grad = param.grad if param.grad is not None else np.zeros_like(param.data)
    return {
        "layers": layers,
        "acts": acts,
        "target": target,
        "loss": float(value.item()),
        "grad": grad,
    }


def _next_dense(layers, start: int) -> int | None:
    """The Dense layer the node feeds directly (Dropout, off while explaining, and Identity
    in between pass values through unchanged), or None."""
    for j in range(start, len(layers)):
        if isinstance(layers[j], nn.Dense):
            return j
        if not isinstance(layers[j], nn.Dropout | nn.Identity):
            return None
    return None


def _chain(layers, pos: int, acts, loss_fn, target) -> dict:
    """The node the weight feeds (z), its activation, and dL/da walked back from the loss."""
    z = acts[pos + 1]
    nxt = layers[pos + 1] if pos + 1 < len(layers) else None
    act = activations.of(nxt, elementwise=True) if nxt is not None else None
    start = pos + 2 if act is not None else pos + 1
    a = acts[start]
    slope = act.slope(z, a, nxt) if act is not None else np.ones_like(z)
    g_out, formula = loss_slope(loss_fn, acts[-1], target)
    g, upstream = g_out, {}
    for j in reversed(range(start, len(layers))):
        upstream[j] = g  # dL/d(output of layer j)
        g = layer_backward(layers[j], acts[j], acts[j + 1], g)
    nxt_dense = _next_dense(layers, start)
    return {
        "z": z,
        "a": a,
        "act": act,
        "slope": slope,
        "dL_da": g,
        "start": start,
        "next_dense": nxt_dense,
        "g_next": upstream.get(nxt_dense),
        "g_out": g_out,
        "formula": formula,
    }


def _document(label, pos, run, loss_fn, chain, terms, gradients, update_lines) -> Document:
    layers, acts, target = run["layers"], run["acts"], run["target"]
    doc = Document(f"The chain rule for {label}")
    doc.line(f"layer {layer_label(str(pos), layers[pos])};  loss {loss_fn!r} = {num(run['loss'])}")
    doc.line(f"prediction {excerpt(acts[-1], 8)}, actual {excerpt(target, 8)}")
    doc.math("dL/dw = dL/da · f′(z) · (value feeding w)   (summed over every place w is used)")
    doc.heading("(1) slope of the loss at the node the weight feeds")
    node = terms[0][0]
    if chain["start"] == len(layers):
        doc.line(f"{node} leads straight to the prediction: dL/dprediction = {chain['formula']}")
        doc.math(*loss_lines(loss_fn, acts[-1], target, chain["g_out"]))
    elif chain["next_dense"] is not None and len(terms) == 1:
        doc.line(f"{node} is hidden: its slope sums the paths through the next layer")
        doc.math(*path_sum(layers[chain["next_dense"]], chain["g_next"], terms[0][4]))
    else:
        doc.line(
            f"walked back from the loss through layers {chain['start']}…{len(layers) - 1}, "
            "each layer's backward in turn"
        )
    act = chain["act"]
    doc.heading("(2) slope of the activation at that node")
    doc.line(f"{act.name}: f′(z) = {act.slope_formula}" if act else "no activation: slope 1")
    write_closing(doc, label, terms, gradients, update_lines)
    return doc
