"""The chain rule for one weight inside a graph (a functional model), with numbers.

The three factors are those of a chain (see :mod:`glassnet.explain.weight`),

    dL/dw = dL/da · f′(z) · (value feeding w)

but the slope of the loss at the node the weight feeds, dL/da, is now the sum over every
path from that node to the output: a residual connection y = f(h) + h gives h the path
through the block f and the skip, dL/dh = dL/dy·(dy/dh through f) + dL/dy·1. Each path's
share is the output's gradient walked back node by node along that path alone (see
:mod:`glassnet.explain.graph`). A layer used at several nodes adds the terms of every use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet.explain import terms as term_rules
from glassnet.explain.chainrule import (
    WeightExplanation,
    as_target,
    explained,
    loss_lines,
    write_closing,
)
from glassnet.explain.graph import (
    PATH_LIMIT,
    backward_walk,
    consumers,
    graph_point,
    graph_steps,
    node_ops,
    paths_to,
    replay,
    step_backward,
    walk_path,
)
from glassnet.explain.layers import doc_line
from glassnet.explain.render import Document, excerpt, factor, index_text, num
from glassnet.explain.slopes import float64_copy, loss_slope, path_sum
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module
    from glassnet.optim.base import Optimizer

__all__ = ["graph_weight"]


def graph_weight(
    model: Module,
    x: ArrayLike,
    y: ArrayLike,
    pname: str,
    index: tuple,
    loss_fn: Loss,
    opt: Optimizer,
) -> WeightExplanation:
    """Explain ``pname[index]`` of the functional ``model`` for one data point ``x``
    (a list of samples for several inputs); see :func:`glassnet.explain.weight`."""
    run = _run(model, x, y, loss_fn, pname)
    calls = [i for i, s in enumerate(run["steps"]) if s.layer is run["layer"]]
    attr = pname.rsplit(".", 1)[-1]
    chains = [_chain(run, c, attr, index) for c in calls]
    if len(chains) > 1:
        for k, chain in enumerate(chains, 1):
            chain["terms"] = [(f"call {k}, {t[0]}", *t[1:]) for t in chain["terms"]]
    terms = [t for chain in chains for t in chain["terms"]]
    return explained(
        model, pname, index, run, terms, opt,
        lambda label, sums, update: _document(label, run, loss_fn, chains, terms, sums, update),
        paths=_shares(run, chains[0]),
    )  # fmt: skip


def _shares(run: dict, chain: dict) -> list[dict] | None:
    """Each path's route and its share of dL/da at the node shown (the weight's first use),
    or None when there are too many paths to list."""
    if chain["paths"] is None:
        return None
    a_name, many = run["names"][chain["a_slot"]], len(chain["paths"]) > 1
    return [
        {"route": _route(run["steps"], a_name, path, many), "share": float(g[chain["node"]])}
        for path, (g, _) in zip(chain["paths"], chain["walked"])
    ]


def _run(model, x, y, loss_fn, pname: str) -> dict:
    """Forward and backward through a float64 copy in eval mode: every value of the graph,
    the loss, autograd's gradient and the gradient at every value walked back by hand."""
    inputs = [Tensor(a.astype(np.float64)) for a in graph_point(model, x)]  # checked first
    twin = float64_copy(model).eval()
    param = dict(twin.named_parameters())[pname]
    layer = twin.layers[int(pname.split(".")[0])]
    names, steps, out = graph_steps(twin)
    tensors = replay(steps, inputs)
    target = as_target(loss_fn, y, tensors[out].shape)
    value = loss_fn(tensors[out], target)
    value.backward()
    values = [t.data for t in tensors]
    g_out, formula = loss_slope(loss_fn, values[out], target)
    return {
        "names": names,
        "steps": steps,
        "out": out,
        "values": values,
        "target": target,
        "loss": float(value.item()),
        "grad": param.grad if param.grad is not None else np.zeros_like(param.data),
        "layer": layer,
        "g_out": g_out,
        "formula": formula,
        "grads": backward_walk(steps, values, out, g_out),
    }


def _activation_after(steps, slot: int):
    """The node applying an elementwise activation to ``slot`` when it is its only reader."""
    edges = consumers(steps, slot)
    if len(edges) == 1 and not steps[edges[0][0]].as_list:
        step = steps[edges[0][0]]
        if activations.of(step.layer, elementwise=True) is not None:
            return step
    return None


def _chain(run: dict, call: int, attr: str, index: tuple) -> dict:
    """One use of the weight's layer: z, its activation, dL/da summed over the paths."""
    steps, values = run["steps"], run["values"]
    step = steps[call]
    z = values[step.slot]
    act_step = _activation_after(steps, step.slot)
    act = activations.of(act_step.layer, elementwise=True) if act_step else None
    a_slot = act_step.slot if act_step else step.slot
    slope = act.slope(z, values[a_slot], act_step.layer) if act else np.ones_like(z)
    paths = paths_to(steps, a_slot, run["out"])
    walked = None if paths is None else [walk_path(steps, values, p, run["g_out"]) for p in paths]
    dL_da = run["grads"][a_slot] if walked is None else np.sum([w[0] for w in walked], axis=0)
    x_in = values[step.reads[0]]
    return {
        "step": step,
        "act": act,
        "a_slot": a_slot,
        "paths": paths,
        "walked": walked,
        "dL_da": dL_da,
        "node": _node(dL_da, slope, index),
        "terms": term_rules.terms(step.layer, attr, index, x_in, slope, dL_da),
    }


def _node(dL_da: np.ndarray, slope: np.ndarray, index: tuple) -> tuple:
    """The node shown in the path sums: node j of a Dense layer (sample 0); for a kernel
    of output channel o, the position where dL/da·f′(z) is largest."""
    if dL_da.ndim == 2:
        return (0, int(index[-1]))
    plane = np.abs(dL_da[0, index[0]] * slope[0, index[0]])
    return (0, int(index[0]), *(int(i) for i in np.unravel_index(np.argmax(plane), plane.shape)))


def _document(label, run, loss_fn, chains, terms, gradients, update_lines) -> Document:
    values, out = run["values"], run["out"]
    doc = Document(f"The chain rule for {label}")
    uses = f", used at {len(chains)} nodes" if len(chains) > 1 else ""
    layer = chains[0]["step"].label
    doc.line(f"layer {layer} in a graph{uses};  loss {loss_fn!r} = {num(run['loss'])}")
    doc.line(f"prediction {excerpt(values[out], 8)}, actual {excerpt(run['target'], 8)}")
    doc.math("dL/dw = dL/da · f′(z) · (value feeding w)   (summed over every place w is used)")
    for k, chain in enumerate(chains, 1):
        tail = f" (use {k} of {len(chains)})" if len(chains) > 1 else ""
        doc.heading("(1) slope of the loss at the node the weight feeds" + tail)
        _slope_section(doc, run, chain, loss_fn)
        act = chain["act"]
        doc.heading("(2) slope of the activation at that node" + tail)
        doc.line(f"{act.name}: f′(z) = {act.slope_formula}" if act else "no activation: slope 1")
    write_closing(doc, label, terms, gradients, update_lines)
    return doc


def _slope_section(doc: Document, run: dict, chain: dict, loss_fn) -> None:
    names, step, a_slot = run["names"], chain["step"], chain["a_slot"]
    made = f"the layer writes {names[step.slot]}"
    if chain["act"] is not None:
        made += f", its activation {names[a_slot]}"
    doc.line(made)
    if a_slot == run["out"]:
        doc.line(f"{names[a_slot]} is the prediction: dL/dprediction = {run['formula']}")
        target, g_out = run["target"], run["g_out"]
        doc.math(*loss_lines(loss_fn, run["values"][a_slot], target, g_out))
    elif chain["paths"] is None:
        _edges(doc, run, chain)
    else:
        _paths(doc, run, chain)


def _paths(doc: Document, run: dict, chain: dict) -> None:
    """Each path from the node to the loss walked back with numbers, then their sum."""
    steps, node, paths = run["steps"], chain["node"], chain["paths"]
    a_name = run["names"][chain["a_slot"]]
    where = f"{a_name}{index_text(node[1:])}"
    many = len(paths) > 1
    doc.line(
        f"{a_name} reaches the loss along {len(paths)} path{'s' if many else ''}"
        + ("; its slope is the sum of what flows back along each" if many else "")
    )
    doc.line(f"at the output: dL/dprediction = {run['formula']} = {excerpt(run['g_out'], 8)}")
    if len(node) > 2:
        doc.line(
            f"shown at {where}, where dL/da·f′(z) is largest in channel {node[1]}; "
            "every position sums its paths the same way"
        )
    for k, (path, (g, reaching)) in enumerate(zip(paths, chain["walked"]), 1):
        doc.line(f"path {k}: {_route(steps, a_name, path, many)}")
        back = [
            f"dL/d{run['names'][steps[i].slot]} = {excerpt(r, 4)}"
            for (i, _), r in zip(path[::-1], reaching[::-1])
        ]
        doc.math("back: " + " → ".join([*back, f"dL/d{where} = {num(g[node])}"]))
        first = steps[path[0][0]].layer if path else None
        if isinstance(first, nn.Dense) and len(node) == 2:
            doc.math(*path_sum(first, reaching[0], node[1], a_name))
    if many:
        shares = " + ".join(factor(g[node]) for g, _ in chain["walked"])
        doc.math(f"dL/d{where} = {shares} = {num(chain['dL_da'][node])}   (the sum over paths)")
    doc.line("each step back applies that node's backward:")
    doc.math(*_rules(steps, run["values"], paths))


def _route(steps, a_name: str, path: list, many: bool) -> str:
    hops = " → ".join(steps[i].label for i, _ in path)
    skip = many and path and isinstance(steps[path[0][0]].layer, nn.Add)
    return f"{a_name} → {hops} → loss" + ("   (the skip connection)" if skip else "")


def _rules(steps, values: list, paths: list) -> list[str]:
    """The backward rule of each kind of node on the paths, once each: an activation's
    slope, the layer's own Backward line, else the Backward lines of the ops it runs."""
    rules, seen = [], set()
    for i, _ in (edge for path in paths for edge in path):
        layer = steps[i].layer
        if type(layer) in seen:
            continue
        seen.add(type(layer))
        spec, own = activations.of(layer, elementwise=True), doc_line(type(layer), "Backward")
        if spec is not None:
            rules.append(
                f"{type(layer).__name__}: dL/dz = dL/da ⊙ f′(z),  f′(z) = {spec.slope_formula}"
            )
        elif own is not None:
            rules.append(f"{type(layer).__name__}: {own}")
        else:
            ops = [(k.__name__, doc_line(k, "Backward")) for k in node_ops(steps[i], values)]
            rules += [f"{type(layer).__name__} (op {name}): {rule}" for name, rule in ops if rule]
    return rules


def _edges(doc: Document, run: dict, chain: dict) -> None:
    """Too many paths to list: what flows back through each node the value feeds."""
    steps, values, grads, node = run["steps"], run["values"], run["grads"], chain["node"]
    a_name = run["names"][chain["a_slot"]]
    where = f"{a_name}{index_text(node[1:])}"
    edges = consumers(steps, chain["a_slot"])
    shares = [step_backward(steps[i], values, pos, grads[steps[i].slot])[node] for i, pos in edges]
    doc.line(
        f"{a_name} reaches the loss along more than {PATH_LIMIT} paths; it feeds {len(edges)} "
        "node(s), and its slope is the sum of what flows back through each"
    )
    doc.table(
        ["node it feeds", f"dL/d{where} through it"],
        [[steps[i].label, num(s)] for (i, _), s in zip(edges, shares)],
    )
    total = num(chain["dL_da"][node])
    doc.math(f"dL/d{where} = {' + '.join(factor(s) for s in shares)} = {total}")
