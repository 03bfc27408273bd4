"""What a model file's description must look like, and the arrays its layers will need.

``check_header`` validates the JSON description's structure (types, keys, nesting) before
anything is built from it. ``planned_arrays`` computes, from each layer's config alone, the
name and shape of every parameter and buffer the layer will allocate, so that a file
declaring ``Dense(50000, 50000)`` is refused before 10 GB are allocated. Built-in layers
are in ``SHAPES``; a registered custom layer may define a classmethod
``parameter_shapes(config) -> {name: shape}``, and one without it is built first and
checked afterwards (only layers registered by the program itself can be custom).
"""

from __future__ import annotations

import math

from glassnet.errors import DataError, message

__all__ = ["check_header", "planned_arrays", "SHAPES", "MAX_DEPTH"]

MAX_DEPTH = 32
_TOP = {"format", "version", "architecture", "input_shape", "streams", "frozen", "compile"}
_OPTIONAL = {"preprocess"}
_COMPILE = {"loss", "metrics", "optimizer"}


def _fail(where: str, what: str, got, expected: str) -> DataError:
    return DataError(message(where, what, got, expected, "the file is damaged or not a model"))


def _need(where: str, name: str, value, types, expected: str):
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise _fail(where, f"{name} has the wrong type", type(value).__name__, expected)
    return value


def check_header(header: object, where: str) -> dict:
    """``header`` if it has the structure model.save writes, else DataError naming the key."""
    _need(where, "the description", header, (dict,), "a JSON object")
    unknown = sorted(set(header) - _TOP - _OPTIONAL)
    missing = sorted(_TOP - set(header))
    if unknown or missing:
        raise _fail(
            where,
            "the description has unknown or missing keys",
            f"unknown {unknown}, missing {missing}",
            f"the keys {sorted(_TOP)}",
        )
    _check_spec(header["architecture"], where, "architecture", 0)
    shape = header["input_shape"]
    if shape is not None:
        _need(where, "input_shape", shape, (list,), "null or a list of sizes")
        for size in shape:
            _need(where, "input_shape", size, (int,), "a list of non-negative ints")
    _need(where, "streams", header["streams"], (dict,), "an object")
    for state in header["streams"].values():
        _need(where, "a random stream", state, (dict,), "an object")
    _need(where, "frozen", header["frozen"], (list,), "a list of parameter names")
    for name in header["frozen"]:
        _need(where, "frozen", name, (str,), "a list of parameter names")
    if header["compile"] is not None:
        _check_compile(header["compile"], where)
    if header.get("preprocess") is not None:
        _need(where, "preprocess", header["preprocess"], (dict,), "an object")
    return header


def _check_spec(spec, where: str, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(
            where,
            "the architecture is nested too deeply",
            f"over {MAX_DEPTH} levels",
            f"at most {MAX_DEPTH}",
        )
    _need(where, path, spec, (dict,), 'an object {"class": ..., "config" or "layers": ...}')
    _need(where, f"{path}.class", spec.get("class"), (str,), "a layer class name")
    keys = set(spec) - {"class"}
    if keys in ({"layers"}, {"graph", "layers"}):  # Sequential; a functional graph
        if "graph" in keys:
            _check_graph(spec["graph"], where, f"{path}.graph")
        _need(where, f"{path}.layers", spec["layers"], (list,), "a list of layers")
        for i, layer in enumerate(spec["layers"]):
            _check_spec(layer, where, f"{path}.layers[{i}]", depth + 1)
    elif keys == {"config"}:
        _need(where, f"{path}.config", spec["config"], (dict,), "an object")
        for key, value in spec["config"].items():
            _check_plain(value, where, f"{path}.config.{key}", 0)
    else:
        raise _fail(
            where, f"{path} has unexpected keys", sorted(spec), '"class" and "config" or "layers"'
        )


GRAPH_KEYS = {"inputs", "steps", "outputs", "shapes"}


def _check_graph(graph, where: str, path: str) -> None:
    """A functional model's replay plan: its four keys, each a list of plain values."""
    _need(where, path, graph, (dict,), "an object with " + ", ".join(sorted(GRAPH_KEYS)))
    if set(graph) != GRAPH_KEYS:
        raise _fail(
            where, f"{path} has unknown or missing keys", sorted(graph), str(sorted(GRAPH_KEYS))
        )
    for key, value in graph.items():
        _need(where, f"{path}.{key}", value, (list,), "a list")
        for item in value:
            _check_plain(item, where, f"{path}.{key}", 0)


def _check_plain(value, where: str, path: str, depth: int) -> None:
    if isinstance(value, list) and depth < 4:
        for item in value:
            _check_plain(item, where, path, depth + 1)
    elif not (value is None or isinstance(value, bool | int | float | str)):
        raise _fail(
            where,
            f"{path} is not a plain setting",
            type(value).__name__,
            "a number, text, null or a short list of them",
        )


def _check_compile(settings, where: str) -> None:
    _need(where, "compile", settings, (dict,), "null or an object")
    if set(settings) != _COMPILE:
        raise _fail(
            where, "compile has unknown or missing keys", sorted(settings), str(sorted(_COMPILE))
        )
    loss = _need(where, "compile.loss", settings["loss"], (dict,), "an object")
    _need(where, "compile.loss.name", loss.get("name"), (str, type(None)), "a loss name")
    _need(where, "compile.loss.config", loss.get("config"), (dict,), "an object")
    for name in _need(where, "compile.metrics", settings["metrics"], (list,), "a list"):
        _need(where, "compile.metrics", name, (str,), "a list of metric names")
    state = _need(where, "compile.optimizer", settings["optimizer"], (dict,), "an object")
    _need(where, "compile.optimizer.name", state.get("name"), (str,), "an optimizer name")
    _need(
        where,
        "compile.optimizer.hyperparameters",
        state.get("hyperparameters"),
        (dict,),
        "an object",
    )
    _need(where, "compile.optimizer.steps", state.get("steps"), (list,), "a list of ints")
    _need(where, "compile.optimizer.iterations", state.get("iterations"), (int,), "an int")


# ---- the arrays each layer allocates ------------------------------------------------------
def _size(config: dict, key: str, where: str, default=None) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(where, f"{key} must be a positive int", repr(value), "a size such as 128")
    return value


def _pair(config: dict, key: str, where: str) -> tuple[int, int]:
    value = config.get(key)
    values = value if isinstance(value, list) and len(value) == 2 else [value, value]
    return tuple(_size({key: v}, key, where) for v in values)


def _dense(c: dict, where: str) -> dict:
    n_in, n_out = _size(c, "in_features", where), _size(c, "out_features", where)
    return {"w": (n_in, n_out), **({"b": (n_out,)} if c.get("use_bias", True) else {})}


def _conv(c: dict, where: str) -> dict:
    n_in, n_out = _size(c, "in_channels", where), _size(c, "out_channels", where)
    w = (n_out, n_in, *_pair(c, "kernel_size", where))
    return {"w": w, **({"b": (n_out,)} if c.get("use_bias", True) else {})}


def _batch_norm(c: dict, where: str) -> dict:
    n = (_size(c, "num_features", where),)
    return {"gamma": n, "beta": n, "running_mean": n, "running_var": n}


def _perceptron(c: dict, where: str) -> dict:
    return {"w": (_size(c, "in_features", where),), "b": ()}


def _none(c: dict, where: str) -> dict:
    return {}


SHAPES = {
    "Dense": _dense,
    "Conv2D": _conv,
    "BatchNorm": _batch_norm,
    "Perceptron": _perceptron,
    "Bias": lambda c, where: {"w": tuple(_size({"s": v}, "s", where) for v in c.get("shape", []))},
    "Scale": lambda c, where: {
        "w": tuple(_size({"s": v}, "s", where) for v in c.get("shape", []))
    },
    **dict.fromkeys(
        [
            "Identity",
            "ReLU",
            "Sigmoid",
            "Tanh",
            "Softplus",
            "LeakyReLU",
            "Softmax",
            "LogSoftmax",
            "Flatten",
            "Dropout",
            "MaxPool2D",
            "AvgPool2D",
            "MaxPool1D",
            "MaxPool3D",
            "AvgPool1D",
            "AvgPool3D",
            "MatMul",
            "Permute",
            "Mean",
            "MaxPoolIndices",
            "KeptMask",
            "GlobalAvgPool2D",
            "Reshape",
        ],
        _none,
    ),
}


def planned_arrays(spec: dict, layers: dict, where: str, max_parameters: int) -> dict[str, tuple]:
    """({name: shape} of every array the known layers allocate, [prefixes of custom layers]).

    DataError naming the layer when the total would pass ``max_parameters``.
    """
    planned, custom, total = {}, [], 0
    for prefix, name, config in _leaves(spec, ""):
        cls = layers.get(name)
        shapes_of = getattr(cls, "parameter_shapes", None)
        rule = (
            SHAPES.get(name)
            if cls is not None and cls.__module__.startswith("glassnet.")
            else None
        )
        label = f"layer {prefix or '(top)'} {name}"
        if rule is None and shapes_of is None:
            custom.append(prefix)
            continue
        shapes = rule(config, f"{where}: {label}") if rule else shapes_of(config)
        count = sum(math.prod(s) for s in shapes.values())
        total += count
        if total > max_parameters:
            raise DataError(
                message(
                    where,
                    f"{label} {_sizes(config)} would hold {count:,} parameters, taking the "
                    f"model past the cap",
                    f"{total:,} parameters so far",
                    f"at most max_parameters={max_parameters:,}",
                    "if you trust this file, pass a larger max_parameters to load_model",
                )
            )
        planned.update({f"{prefix}.{k}" if prefix else k: tuple(s) for k, s in shapes.items()})
    return planned, custom


def _leaves(spec: dict, prefix: str):
    if "layers" in spec:
        for i, layer in enumerate(spec["layers"]):
            yield from _leaves(layer, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield prefix, spec["class"], spec["config"]


def _sizes(config: dict) -> str:
    sizes = {
        k: v for k, v in config.items() if isinstance(v, int | list) and not isinstance(v, bool)
    }
    return "(" + ", ".join(f"{k}={v}" for k, v in sizes.items()) + ")"
