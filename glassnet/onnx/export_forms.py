"""``gn.onnx.export``'s writers for the layers of ONNX's training forms (glassnet.onnx.layers):

    BatchStatNorm → BatchNormalization(training_mode=1), its output y
    RunningStat → BatchNormalization(training_mode=1), its running mean or variance output
    SeededDropout → a ConfigError: onnxruntime draws Dropout's mask from its own generator,
        so no runtime it runs would compute the same numbers

Both statistics run over the whole tensor, so they are written only in a whole-batch model
(axis 0 of the glassnet value is the sample axis of one, squeezed off around the node).
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.onnx.layers import BatchStatNorm, RunningStat, SeededDropout

__all__ = ["TRAINING_WRITERS"]


def _whole_only(g, layer, prefix: str) -> None:
    if not getattr(g, "whole", False):
        raise ConfigError(
            message(
                "onnx.export",
                f"layer {prefix} {layer} normalises a whole tensor, so it is written only in "
                "a whole-batch model",
                "a model whose axis 0 is a batch",
                "a WholeBatchModel (as gn.onnx.load builds for the training form)",
            )
        )


def _training_batch_norm(g, layer, prefix: str, name: str, inputs: list, output: int) -> str:
    """Squeeze the sample axis, BatchNormalization(training_mode=1) with its three outputs,
    and Unsqueeze output ``output`` (0: y, 1: running mean, 2: running variance)."""
    _whole_only(g, layer, prefix)
    axes = g.weight(f"{prefix}.axes", np.array([0], np.int64))
    squeezed = g.node("Squeeze", [name, axes], prefix)
    g.count += 1
    out = f"{prefix}:BatchNormalization:{g.count}"
    outputs = [out, f"{out}:running_mean", f"{out}:running_var"]
    momentum = getattr(layer, "momentum", 0.9)
    g.nodes.append(
        g.onnx.helper.make_node(
            "BatchNormalization", [squeezed, *inputs], outputs, name=out,
            epsilon=getattr(layer, "eps", 1e-5), momentum=momentum, training_mode=1,
        )
    )  # fmt: skip
    return g.node("Unsqueeze", [outputs[output], axes], prefix)


def _batch_stat_norm(g, layer, prefix, name, x):
    c, dtype = layer.num_features, layer.gamma.dtype
    inputs = [g.param(layer, "gamma", prefix), g.param(layer, "beta", prefix),
              g.weight(f"{prefix}.unused_mean", np.zeros(c, dtype)),
              g.weight(f"{prefix}.unused_var", np.ones(c, dtype))]  # fmt: skip
    return _training_batch_norm(g, layer, prefix, name, inputs, 0)


def _running_stat(g, layer, prefix, name, x):
    c, dtype = layer.num_features, layer.running.dtype
    running = g.param(layer, "running", prefix)
    other = "var" if layer.statistic == "mean" else "mean"
    spare = g.weight(
        f"{prefix}.unused_{other}", (np.zeros if other == "mean" else np.ones)(c, dtype)
    )
    stats = [running, spare] if layer.statistic == "mean" else [spare, running]
    inputs = [g.weight(f"{prefix}.unit_scale", np.ones(c, dtype)),
              g.weight(f"{prefix}.zero_bias", np.zeros(c, dtype)), *stats]  # fmt: skip
    return _training_batch_norm(g, layer, prefix, name, inputs, 1 if other == "var" else 2)


def _seeded_dropout(g, layer, prefix, name, x):
    raise ConfigError(
        message(
            "onnx.export",
            f"layer {prefix} {layer} draws NumPy's seeded mask, which onnxruntime does not "
            "draw (its Dropout uses its own generator)",
            type(layer).__name__,
            "a layer a runtime computes the same",
            "replace it with gn.nn.Dropout (the identity in the exported inference graph)",
        )
    )


TRAINING_WRITERS = {
    BatchStatNorm: _batch_stat_norm,
    RunningStat: _running_stat,
    SeededDropout: _seeded_dropout,
}
