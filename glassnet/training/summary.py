"""``Model.summary()``: the table of layers, output shapes and parameter counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import GlassnetError
from glassnet.nn._keras import KerasForm
from glassnet.notebook import pre_html

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["summary_html", "summary_table"]


def _output_shapes(model, input_shape) -> list[str]:
    """Each layer's output shape from one forward pass on a zero batch of one; "?" unknown."""
    layers = list(model.children())
    if not isinstance(model, nn.Sequential):
        return ["?"] * len(layers)
    if input_shape is None and layers:
        input_shape = getattr(layers[0], "sample_shape", None)
    if input_shape is None and layers and getattr(layers[0], "in_features", None):
        input_shape = (layers[0].in_features,)
    if input_shape is None:
        return ["?"] * len(layers)
    x, shapes = np.zeros((1, *input_shape), model.dtype), []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for layer in layers:
                x = layer(x)
                shapes.append(str((None, *x.shape[1:])))
    except GlassnetError:
        shapes += ["?"] * (len(layers) - len(shapes))
    finally:
        model.train(was_training)
    return shapes


def _label(module) -> str:
    """``Dense(784 → 128)``, ``Dropout(p=0.2)``; containers by their class name."""
    return type(module).__name__ if module._modules else str(module)


def _trainable(module) -> str:
    params = module.parameters()
    if not params:
        return "-"
    flags = {p.trainable for p in params}
    return "partly" if len(flags) == 2 else ("yes" if flags == {True} else "no")


def summary_table(model: Module, input_shape: tuple[int, ...] | None = None) -> str:
    """The summary text; see :meth:`glassnet.training.Model.summary`."""
    children = list(model._modules.items())
    shapes = _output_shapes(model, input_shape)
    rows = [
        (
            f"{name}  {_label(module)}",
            shape,
            f"{sum(p.size for p in module.parameters()):,}",
            _trainable(module),
        )
        for (name, module), shape in zip(children, shapes)
    ]
    header = ("Layer", "Output shape", "Params", "Trainable")
    return table_text(model, header, rows, _unbuilt_note(model))


def table_text(model: Module, header: tuple, rows: list[tuple], notes: list[str] = ()) -> str:
    """The summary's text: a header, one aligned row per layer, the parameter counts and
    any ``notes`` (the Params column is right-aligned, the others left-aligned)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(
            cell.rjust(w) if i == 2 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = len(line(header))
    total, trainable = model.count_params(), model.count_params(trainable=True)
    return "\n".join(
        [
            f"Model: {type(model).__name__}",
            line(header),
            "-" * rule,
            *(line(r) for r in rows),
            "=" * rule,
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Frozen params: {total - trainable:,}",
            *notes,
        ]
    )


def _unbuilt_note(model) -> list[str]:
    """A closing line naming the layers whose input size is not known yet (Keras form)."""
    unbuilt = [
        f"{name} {module}"
        for name, module in model.named_modules()
        if isinstance(module, KerasForm) and not module.built
    ]
    if not unbuilt:
        return []
    return [
        "Not built yet: " + ", ".join(unbuilt),
        "  (their input sizes come from the first batch: fit, predict, or "
        "summary(input_shape=...))",
    ]


def summary_html(model: Module) -> str:
    """A model as HTML (Jupyter's ``Model._repr_html_``): its summary table, or its layers
    when the summary cannot be made yet (a Keras-style layer that is not built)."""
    try:
        text = summary_table(model, model.input_shape)
    except GlassnetError as exc:
        text = f"{model!r}\n\n(no summary yet: {exc})"
    return pre_html(type(model).__name__, text)
