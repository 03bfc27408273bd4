"""What every chain-rule explanation of one weight shares, for a chain (Sequential) and for
a graph (functional model) alike: the result object, the target laid out for the loss, the
check of the summed terms against autograd, and the document's closing parts (the node
feeding the weight, the product table, the loss's slope with numbers).

A term is the tuple of :mod:`glassnet.explain.terms`:
``(node label, dL/da, f′(z), input value, node index j, product)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import GradientCheckError, message
from glassnet.explain.render import Document, Rendered, excerpt, factor, index_text, num
from glassnet.explain.update import explain_update
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module
    from glassnet.optim.base import Optimizer

__all__ = [
    "WeightExplanation",
    "as_target",
    "checked_sum",
    "explained",
    "feeding",
    "write_product",
    "write_closing",
    "loss_lines",
]


class WeightExplanation(Rendered):
    """The chain rule for one weight: ``factors``, ``gradient`` (their product, equal to
    autograd's), ``value``, ``new_value`` after one optimizer step, and the ``document``.

    In a graph, ``paths`` lists each path from the weight's node to the loss (``route``)
    with its ``share`` of dL/da; it is None in a chain (one path) or when there are too
    many paths to list."""

    def __init__(self, **fields) -> None:
        self.paths = None
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return (
            f"WeightExplanation({self.name}: value={num(self.value)}, "
            f"gradient={num(self.gradient)}, new_value={num(self.new_value)})"
        )


def as_target(loss_fn: Loss, y: ArrayLike, out_shape: tuple) -> np.ndarray:
    """The target of one data point laid out for ``loss_fn`` against outputs of ``out_shape``:
    a class label as (1,) for a loss of class labels (cross-entropy), otherwise reshaped
    like the outputs."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if getattr(loss_fn, "class_labels", False) and y.size == 1 and out_shape[-1] > 1:
        return y.reshape(1)
    if y.size == int(np.prod(out_shape)):
        return y.reshape(out_shape).astype(np.float64)
    return y


def checked_sum(label: str, terms: list, autograd: float) -> float:
    """Σ of the terms' products, or GradientCheckError when it is not autograd's gradient."""
    gradient = math.fsum(t[-1] for t in terms)
    if not math.isclose(gradient, autograd, rel_tol=1e-7, abs_tol=1e-10):
        raise GradientCheckError(
            message(
                f"explain.weight({label})",
                "the chain-rule product differs from autograd's gradient",
                f"{gradient!r} by the chain rule, {autograd!r} from autograd",
                "equal values",
                "one layer's backward disagrees with its forward; run gn.check_gradients",
            )
        )
    return gradient


def explained(
    model: Module,
    pname: str,
    index: tuple,
    run: dict,
    terms: list,
    opt: Optimizer,
    document: Callable[[str, tuple, list], Document],
    **extra,
) -> WeightExplanation:
    """The result for ``pname[index]``: the terms' sum checked against autograd's gradient
    (``run["grad"]``), one step of ``opt`` and ``document(label, (gradient, autograd),
    update_lines)``, the text; ``extra`` fields (a graph's ``paths``) are added as given."""
    label = f"{pname}{index_text(index)}"
    autograd = float(run["grad"][index])
    gradient = checked_sum(label, terms, autograd)
    original = dict(model.named_parameters())[pname]
    new_value, update_lines = explain_update(opt, original, index, run["grad"])
    return WeightExplanation(
        name=label,
        value=float(original.data[index]),
        gradient=gradient,
        autograd=autograd,
        new_value=new_value,
        loss=run["loss"],
        factors=terms[0][1:4] if len(terms) == 1 else None,
        terms=terms,
        document=document(label, (gradient, autograd), update_lines),
        **extra,
    )


def feeding(label: str, terms: list) -> str:
    """Which input node feeds the weight: x[i] for a Dense weight w[i, j], one pixel of
    input channel c per position for a kernel weight w[o, c, p, q]."""
    indices = label[label.index("[") + 1 : -1].split(", ")
    if len(indices) == 2:
        return f"input node x[{indices[0]}] of the layer = {num(terms[0][3])}"
    return (
        f"input channel {indices[1]}: the pixel under the weight at each of {len(terms)} positions"
    )


def write_closing(
    doc: Document, label: str, terms: list, gradients: tuple, update_lines: list
) -> None:
    """The document's last parts: (3) the node feeding the weight, the product table with
    its check against autograd (``gradients`` = (chain rule, autograd)), the update."""
    doc.heading("(3) value of the node feeding the weight")
    is_bias = label.split("[")[0].endswith(".b")
    doc.line("a bias is fed by a constant node of value 1" if is_bias else feeding(label, terms))
    write_product(doc, label, terms, *gradients)
    doc.heading("update")
    doc.math(*update_lines)


def write_product(
    doc: Document, label: str, terms: list, gradient: float, autograd: float
) -> None:
    """The product table (the 8 largest terms of a shared weight), the sum, and autograd's."""
    doc.heading("product")
    shown = terms if len(terms) <= 8 else sorted(terms, key=lambda t: -abs(t[5]))[:8]
    doc.table(
        ["node", "(1) dL/da", "(2) f′(z)", "(3) input", "product"],
        [[t[0], num(t[1]), num(t[2]), num(t[3]), num(t[5])] for t in shown],
    )
    if len(terms) > 8:
        doc.line(f"the 8 largest of {len(terms)} terms: the weight is used at every position")
    lead = shown[:3] if len(terms) > 8 else terms[:3]  # the largest, not the first zeros
    products = " + ".join(f"{factor(t[1])}·{factor(t[2])}·{factor(t[3])}" for t in lead)
    more = f" + … ({len(terms)} terms)" if len(terms) > 3 else ""
    doc.math(f"dL/d{label} = {products}{more} = {num(gradient)}")
    doc.line(f"autograd's gradient: {num(autograd)}  (equal: checked)")


def loss_lines(loss_fn: Loss, a: np.ndarray, y: np.ndarray, g: np.ndarray) -> list[str]:
    """The loss's slope element by element with the numbers in its ``slope_template``
    (a small output), else the slopes themselves."""
    template = getattr(loss_fn, "slope_template", None)
    if template is not None and a.size <= 8:
        return [
            template.format(prediction=num(p), actual=num(t), m=a.size) + f" = {num(s)}"
            for p, t, s in zip(a.ravel(), y.ravel(), g.ravel())
        ]
    return [f"dL/dprediction = {excerpt(g, 8)}"]
