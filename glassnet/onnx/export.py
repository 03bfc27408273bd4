"""``gn.onnx.export``: a glassnet model as an ONNX graph (opset 17), checked by onnx.checker.

Each layer becomes the ONNX node(s) that compute the same function in inference form:

    Dense → Gemm (MatMul + Add past 2-D)     Conv2D → Conv (group, asymmetric pads)
    MaxPool1D/2D/3D → MaxPool (pads per side, dilations; ceil_mode as grown end padding)
    AvgPool1D/2D/3D → AveragePool (counted padding as an uncounted one + Mul; dilations
        need opset ≥ 19)
    GlobalAvgPool2D → GlobalAveragePool + Flatten        BatchNorm → BatchNormalization
    ReLU, Sigmoid, Tanh, Softplus, LeakyReLU, Softmax, LogSoftmax, Identity → that ONNX op
    Dropout → Identity   Flatten → Flatten(axis=1)   Reshape → Reshape([0, *target]) (with an
        empty axis: Reshape(allowzero=1) to the batch size, from Shape, and the target)
    Add, Multiply, Concatenate → Add, Mul, Concat        Sequential, functional → their parts
    MatMul → MatMul (+ Unsqueeze/Squeeze for 1-D and lower-rank samples)
    Permute → Transpose     Bias, Scale → Add, Mul of the weight     Mean → ReduceMean
    MaxPoolIndices → MaxPool's Indices output     KeptMask → Dropout's mask output
    BatchStatNorm, RunningStat → BatchNormalization(training_mode=1) (glassnet.onnx.export_forms)

Weights are initializers named by glassnet's parameter names (``"0.w"``, ``"1.running_mean"``).
The batch axis is symbolic (``N``). Each layer's output shape comes from running it on a
zero batch of one as the graph is written, so padding and ranks are known exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message
from glassnet.onnx.export_forms import TRAINING_WRITERS
from glassnet.ops.conv import resolve_padding
from glassnet.ops.pool_nd import avg_divisor_nd, pool_nd_settings
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    import os

    import onnx

    from glassnet.nn.module import Module

__all__ = ["export"]

OPSET = 17
_SIMPLE = {
    nn.ReLU: "Relu",
    nn.Sigmoid: "Sigmoid",
    nn.Tanh: "Tanh",
    nn.Softplus: "Softplus",
    nn.Identity: "Identity",
    nn.Dropout: "Identity",
}


class _Graph:
    """The nodes and initializers written so far; values travel as (name, sample array)."""

    def __init__(self, onnx):
        self.onnx, self.nodes, self.inits, self.names, self.count = onnx, [], [], {}, 0
        self.written: set[str] = set()
        self.node_names: set[str] = set()

    def weight(self, name: str, array: np.ndarray) -> str:
        if name not in self.written:
            self.written.add(name)
            self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def param(self, layer, attr: str, prefix: str) -> str:
        """The initializer of a parameter, written once even when the layer is used twice."""
        tensor = getattr(layer, attr)
        key = id(tensor) if attr in layer._parameters else (id(layer), attr)
        if key not in self.names:
            self.names[key] = self.weight(
                f"{prefix}.{attr}" if prefix else attr,
                tensor.data if attr in layer._parameters else tensor,
            )
        return self.names[key]

    def node(self, op: str, inputs: list, prefix: str, second: bool = False, **attrs) -> str:
        """Write one node; its output's name (``second``: its second output's, for MaxPool's
        Indices and Dropout's mask)."""
        self.count += 1
        out = f"{prefix or 'model'}:{op}:{self.count}"
        name = out.rsplit(":", 1)[0]
        name = out if name in self.node_names else name  # a second node of that op: numbered
        self.node_names.add(name)
        outputs = [out, f"{out}:second"] if second else [out]
        self.nodes.append(self.onnx.helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[-1]


def _emit(g: _Graph, layer, prefix: str, name: str, x: np.ndarray) -> str:
    """Write ``layer`` applied to the value ``name`` (sample ``x``); return the output name."""
    if getattr(layer, "functional", False):
        return _emit_graph(g, layer, prefix, [name], [x])
    if isinstance(layer, nn.Sequential):
        for i, child in enumerate(layer):
            name = _emit(g, child, f"{prefix}.{i}" if prefix else str(i), name, x)
            x = _run(child, x)
        return name
    for cls, op in _SIMPLE.items():
        if type(layer) is cls:
            return g.node(op, [name], prefix)
    writer = _WRITERS.get(type(layer))
    if writer is None:
        raise ConfigError(
            message(
                "onnx.export",
                f"layer {prefix or '(model)'} {layer} has no ONNX form",
                type(layer).__name__,
                "one of " + ", ".join(sorted(c.__name__ for c in [*_WRITERS, *_SIMPLE])),
                "replace it with built-in layers, or export the model without it",
            )
        )
    return writer(g, layer, prefix, name, x)


def _emit_graph(g: _Graph, model, prefix: str, names: list, xs: list) -> str:
    """A functional model: replay its plan, writing each step."""
    layers = model.layers
    for index, slots, as_list in model.spec["steps"]:
        layer, sub = layers[index], f"{prefix}.{index}" if prefix else str(index)
        args, samples = [names[s] for s in slots], [xs[s] for s in slots]
        if as_list:
            names.append(_merge(g, layer, sub, args, samples))
            xs.append(_run(layer, samples))
        else:
            names.append(_emit(g, layer, sub, args[0], samples[0]))
            xs.append(_run(layer, samples[0]))
    return names[model.spec["outputs"][0]]


def _merge(g: _Graph, layer, prefix: str, names: list, xs: list) -> str:
    if isinstance(layer, nn.MatMul):
        return _matmul(g, layer, prefix, names, xs)
    if isinstance(layer, nn.Concatenate):
        return g.node("Concat", names, prefix, axis=layer.axis % xs[0].ndim)
    op = {nn.Add: "Add", nn.Multiply: "Mul"}.get(type(layer))
    if op is None:
        raise ConfigError(
            message(
                "onnx.export",
                f"layer {prefix} {layer} has no ONNX form",
                type(layer).__name__,
                "Add, Multiply, Concatenate or MatMul for a list input",
            )
        )
    rank = max(x.ndim for x in xs)
    names = [_unsqueezed(g, n, list(range(1, 1 + rank - x.ndim)), prefix)
             for n, x in zip(names, xs)]  # fmt: skip
    out = names[0]
    for other in names[1:]:
        out = g.node(op, [out, other], prefix)
    return out


def _unsqueezed(g: _Graph, name: str, axes: list, prefix: str) -> str:
    """``name`` with size-1 axes inserted at ``axes`` (none: unchanged)."""
    if not axes:
        return name
    return g.node("Unsqueeze", [name, g.weight(f"{prefix}.axes{axes}", np.array(axes))], prefix)


def _matmul(g: _Graph, layer, prefix: str, names: list, xs: list) -> str:
    """The MatMul layer's per-sample rules in ONNX's: a 1-D sample gains the axis np.matmul
    would give it, lower-rank sides gain axes after the batch, and those go again."""
    (a, b), (xa, xb) = names, xs
    vec_a, vec_b = xa.ndim == 2, xb.ndim == 2
    a = _unsqueezed(g, a, [1] if vec_a else [], prefix)
    b = _unsqueezed(g, b, [2] if vec_b else [], prefix)
    ra, rb = xa.ndim + vec_a, xb.ndim + vec_b
    rank = max(ra, rb)
    a = _unsqueezed(g, a, list(range(1, 1 + rank - ra)), prefix)
    b = _unsqueezed(g, b, list(range(1, 1 + rank - rb)), prefix)
    out = g.node("MatMul", [a, b], prefix)
    axes = [rank - 2] * vec_a + [rank - 1] * vec_b
    if not axes:
        return out
    return g.node("Squeeze", [out, g.weight(f"{prefix}.squeeze", np.array(axes))], prefix)


def _run(layer, x):
    with no_grad():
        return layer(x).data


def _dense(g, layer, prefix, name, x):
    w = g.param(layer, "w", prefix)
    if x.ndim == 2:
        inputs = [name, w] + ([g.param(layer, "b", prefix)] if layer.use_bias else [])
        return g.node("Gemm", inputs, prefix)
    out = g.node("MatMul", [name, w], prefix)
    return g.node("Add", [out, g.param(layer, "b", prefix)], prefix) if layer.use_bias else out


def _conv(g, layer, prefix, name, x):
    (top, bottom), (left, right) = resolve_padding(
        layer.padding, x.shape[2:], layer.kernel_size, layer.stride, layer.dilation, str(layer)
    )
    inputs = [name, g.param(layer, "w", prefix)]
    inputs += [g.param(layer, "b", prefix)] if layer.use_bias else []
    return g.node(
        "Conv",
        inputs,
        prefix,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.stride),
        dilations=list(layer.dilation),
        pads=[top, left, bottom, right],
        group=layer.groups,
    )


def _pool_indices(g, layer, prefix, name, x):
    """MaxPool's second output (its padding as pads; no ceil_mode growth beyond them)."""
    _, settings, _ = pool_nd_settings(Tensor(x), x.ndim - 2, layer.kernel_size, layer.stride,
                                      layer.padding, layer.dilation, layer.ceil_mode,
                                      str(layer))  # fmt: skip
    pads = [b for b, _ in settings["pad"]] + [e for _, e in settings["pad"]]
    window = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.stride), pads=pads)
    order = {"storage_order": layer.storage_order, "dilations": list(settings["dilation"])}
    return g.node("MaxPool", [name], prefix, second=True, **window, **order)


def _pool(g, layer, prefix, name, x):
    """Any rank. ceil_mode is written as its grown end padding (ONNX's ceil_mode lacks
    PyTorch's rule that drops a last window starting in the padding in older runtimes); an
    average that counts its padding and grew some is written as one that counts none,
    rescaled by a constant Mul (ONNX would count the grown padding too)."""
    opts, rank = layer.options, x.ndim - 2
    dilation = opts.get("dilation", 1)
    if min(np.ravel(layer.padding)) < 0:
        raise ConfigError(
            message(f"onnx.export: layer {prefix} {layer}", "negative padding (a crop) has no "
                    "pool attribute in ONNX", f"padding={layer.padding}", "padding ≥ 0")
        )  # fmt: skip
    _, settings, declared = pool_nd_settings(Tensor(x), rank, layer.kernel_size, layer.stride,
                                             layer.padding, dilation, opts["ceil_mode"],
                                             str(layer))  # fmt: skip
    pads = [b for b, _ in settings["pad"]] + [e for _, e in settings["pad"]]
    attrs = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.stride), pads=pads)
    if any(d != 1 for d in settings["dilation"]):
        attrs["dilations"] = list(settings["dilation"])
    if "count_include_pad" not in opts:
        return g.node("MaxPool", [name], prefix, **attrs)
    if "dilations" in attrs and g.opset < 19:
        raise ConfigError(
            message(f"onnx.export: layer {prefix} {layer}", "AveragePool has dilations from "
                    "opset 19", f"opset={g.opset}", "opset ≥ 19", "pass opset=19")
        )  # fmt: skip
    grown = pads != [b for b, _ in declared] + [e for _, e in declared]
    if not (opts["count_include_pad"] and grown):
        include = int(opts["count_include_pad"])
        return g.node("AveragePool", [name], prefix, count_include_pad=include, **attrs)
    out = g.node("AveragePool", [name], prefix, count_include_pad=0, **attrs)
    ratio = avg_divisor_nd(x.shape, settings, declared, False) / avg_divisor_nd(
        x.shape, settings, declared, True
    )
    return g.node("Mul", [out, g.weight(f"{prefix}.divisor_ratio", ratio.astype(x.dtype))], prefix)


def _global_pool(g, layer, prefix, name, x):
    return g.node("Flatten", [g.node("GlobalAveragePool", [name], prefix)], prefix, axis=1)


def _batch_norm(g, layer, prefix, name, x):
    inputs = [name] + [
        g.param(layer, a, prefix) for a in ("gamma", "beta", "running_mean", "running_var")
    ]
    return g.node(
        "BatchNormalization", inputs, prefix, epsilon=layer.eps, momentum=1.0 - layer.momentum
    )


def _reshape(g, layer, prefix, name, x):
    target = np.array(layer.target_shape, np.int64)
    if 0 not in target:  # a 0 in ONNX's shape copies the input's size: axis 0's here
        return g.node("Reshape", [name, g.weight(f"{prefix}.shape", np.r_[0, target])], prefix)
    batch = g.node("Shape", [name], prefix, start=0, end=1)  # an empty axis: allowzero
    shape = g.node("Concat", [batch, g.weight(f"{prefix}.shape", target)], prefix, axis=0)
    return g.node("Reshape", [name, shape], prefix, allowzero=1)


_WRITERS = {
    nn.Dense: _dense,
    nn.Conv2D: _conv,
    **dict.fromkeys(
        (nn.MaxPool1D, nn.MaxPool2D, nn.MaxPool3D, nn.AvgPool1D, nn.AvgPool2D, nn.AvgPool3D),
        _pool,
    ),
    nn.GlobalAvgPool2D: _global_pool,
    nn.BatchNorm: _batch_norm,
    nn.Reshape: _reshape,
    nn.MaxPoolIndices: _pool_indices,
    nn.KeptMask: lambda g, l, p, n, x: g.node("Dropout", [n], p, second=True),
    nn.Permute: lambda g, l, p, n, x: g.node("Transpose", [n], p, perm=[0, *l.dims]),
    nn.Bias: lambda g, l, p, n, x: g.node("Add", [n, g.param(l, "w", p)], p),
    nn.Scale: lambda g, l, p, n, x: g.node("Mul", [n, g.param(l, "w", p)], p),
    nn.Flatten: lambda g, layer, prefix, name, x: g.node("Flatten", [name], prefix, axis=1),
    nn.LeakyReLU: lambda g, l, p, n, x: g.node("LeakyRelu", [n], p, alpha=l.alpha),
    nn.Softmax: lambda g, l, p, n, x: g.node("Softmax", [n], p, axis=l.axis % x.ndim),
    nn.LogSoftmax: lambda g, l, p, n, x: g.node("LogSoftmax", [n], p, axis=l.axis % x.ndim),
    nn.Mean: lambda g, l, p, n, x: g.node(
        "ReduceMean", [n], p, axes=list(l.axes(x.ndim)), keepdims=int(l.keepdims)
    ),
    **TRAINING_WRITERS,
}


def _value_info(onnx, name: str, dtype: np.dtype, shape: list):
    return onnx.helper.make_tensor_value_info(
        name, onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape
    )


def _input_dtypes(model, dtype: np.dtype, n: int) -> list[np.dtype]:
    """The model's float dtype for every input, but an imported integer input's own."""
    spec = getattr(model, "spec", None) if getattr(model, "functional", False) else None
    if spec is None:
        return [dtype] * n
    return [np.dtype(d) if np.dtype(d).kind in "iu" else dtype for _, d in spec["inputs"]]


def _input_shapes(model, input_shape) -> list[tuple]:
    if getattr(model, "functional", False):
        return [tuple(s) for s in model.input_shapes]
    shape = input_shape or getattr(model, "input_shape", None)
    first = next((m for m in model.modules() if isinstance(m, nn.Dense | nn.Conv2D)), None)
    if shape is None and isinstance(first, nn.Dense):
        shape = (first.in_features,)
    if shape is None:
        raise ConfigError(
            message(
                "onnx.export",
                "the input shape is unknown",
                "input_shape=None",
                "one sample's shape",
                "pass input_shape=(1, 28, 28) (without the batch axis)",
            )
        )
    return [tuple(int(s) for s in shape)]


def export(
    model: Module,
    path: str | os.PathLike | None = None,
    input_shape: tuple[int, ...] | None = None,
    opset: int = OPSET,
) -> onnx.ModelProto:
    """Write ``model`` as an ONNX file at ``path`` (opset ≥ 17) and return the ModelProto.

    ``input_shape`` is one sample's shape (not needed for functional models, or when the
    model was trained, or starts with a Dense). The graph is validated by onnx.checker
    (full check, with shape inference) before it is written. Raises ConfigError naming the
    first layer that has no ONNX form.
    """
    import onnx

    if not isinstance(opset, int) or opset < OPSET:
        raise ConfigError(message("onnx.export", "opset must be at least 17", repr(opset), "≥ 17"))
    dtype = np.dtype(model.dtype)
    shapes, g = _input_shapes(model, input_shape), _Graph(onnx)
    g.opset = opset
    names = ["input"] if len(shapes) == 1 else [f"input_{i}" for i in range(len(shapes))]
    dtypes = _input_dtypes(model, dtype, len(shapes))
    xs = [np.zeros((1, *s), d) for s, d in zip(shapes, dtypes)]
    was_training = model.training
    model.eval()
    try:
        whole = getattr(model, "whole_batch", False)  # axis 0 is the tensor's own, no batch
        g.whole = whole
        feeds = [_unsqueezed(g, n, [0] * whole, "input") for n in names]
        if getattr(model, "functional", False):
            out = _emit_graph(g, model, "", feeds, list(xs))
        else:
            out = _emit(g, model, "", feeds[0], xs[0])
        sample = _run(model, xs if len(xs) > 1 else xs[0])
    finally:
        model.train(was_training)
    if whole:
        out = g.node("Squeeze", [out, g.weight("output.axes", np.array([0]))], "output")
    g.nodes.append(onnx.helper.make_node("Identity", [out], ["output"], name="output"))
    batch = [] if whole else ["N"]
    inputs = [_value_info(onnx, n, d, [*batch, *s]) for n, s, d in zip(names, shapes, dtypes)]
    output = _value_info(onnx, "output", sample.dtype, [*batch, *sample.shape[1:]])
    graph = onnx.helper.make_graph(g.nodes, "glassnet", inputs, [output], g.inits)
    proto = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="glassnet"
    )
    proto.ir_version = min(proto.ir_version, 9)  # readable by current runtimes
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, str(path))
    return proto
