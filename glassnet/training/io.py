"""Saving and loading models: one file, no pickle, no code.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays), usually named ``*.gn``:

- ``__glassnet__``: a JSON text with the format version, the architecture (each layer's
  class name and ``get_config()``), the compile settings (loss, metrics, the
  optimizer's name, hyperparameters and step counters), the names of frozen parameters,
  the input shape and the state of every Dropout random stream;
- ``weights/<name>``: every parameter and buffer under its dotted name (``0.w``);
- ``optimizer/<buffer>.<index>``: the optimizer's state arrays (momentum, Adam's m and v).

Loading trusts nothing in the file: :mod:`glassnet.training.modelfile` opens only the
members the model uses and parses every ``.npy`` header before reading data, and
:mod:`glassnet.training.filespec` checks the description's structure and computes each
layer's parameter shapes from its config before any layer is built, so a small file cannot
make loading allocate more than ``max_parameters`` numbers. Layers are rebuilt only from
classes in a registry of names (``register_layer``) with ``from_config`` and plain JSON
values, so a model file cannot run code. The optional ``preprocess`` entry (version 2) is
the :class:`~glassnet.training.preprocessing.Preprocessing` that raw rows need.

Writing goes through :func:`glassnet._files.write_atomically` (a unique temporary file,
fsync, one ``os.replace``): a crash mid-save never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from glassnet import losses, nn, optim
from glassnet._files import write_atomically
from glassnet._validate import positive_int
from glassnet.errors import ConfigError, DataError, GlassnetError, message
from glassnet.training import metrics as metrics_lib
from glassnet.training.filespec import check_header, planned_arrays
from glassnet.training.modelfile import MAX_PARAMETERS, ModelFile
from glassnet.training.preprocessing import Preprocessing

if TYPE_CHECKING:  # io sits below model: Model and the containers register themselves here
    import os

    from glassnet.nn.module import Module
    from glassnet.training.model import Model

__all__ = ["save_model", "load_model", "register_layer", "LAYERS"]

FORMAT, VERSION = "glassnet-model", 2
READABLE = (1, 2)  # version 2 added "preprocess"; version 1 files have none
LAYERS: dict[str, type] = {}
_STREAMS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM}


def register_layer(cls: type) -> type:
    """Allow ``load_model`` to rebuild instances of ``cls`` (usable as a class decorator).

    Saving writes the layer's ``get_config()`` and loading calls ``cls.from_config(config)``
    (see :meth:`glassnet.nn.Module.get_config`: the default reads each constructor
    argument back from the attribute of the same name; override both for anything else).
    """
    LAYERS[cls.__name__] = cls
    return cls


for _name in nn.__all__:
    _cls = getattr(nn, _name)
    if isinstance(_cls, type) and issubclass(_cls, nn.Module) and _cls is not nn.Module:
        register_layer(_cls)


# ---- architecture -------------------------------------------------------------------------
def _config(module) -> dict:
    """The layer's ``get_config()``, checked to be plain JSON values."""
    config = dict(module.get_config())
    for name, value in config.items():
        if not _is_plain(value):
            raise ConfigError(
                message(
                    f"save: layer {type(module).__name__}",
                    f"{name!r} cannot be written as JSON",
                    repr(value),
                    "numbers, text",
                )
            )
    return config


def _is_plain(value) -> bool:
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def architecture(module: Module) -> dict:
    """``{"class": name, "config": {...}}``; a Sequential lists its ``layers`` instead."""
    name = type(module).__name__
    if LAYERS.get(name) is not type(module):
        raise ConfigError(
            message(
                "save",
                f"the layer class {name} is not registered, so it could not be rebuilt",
                hint="decorate it with @gn.training.register_layer, or save "
                "model.state_dict() with np.savez and rebuild the model in code",
            )
        )
    if isinstance(module, nn.Sequential):
        return {"class": name, "layers": [architecture(layer) for layer in module]}
    if getattr(module, "graph", False):  # a functional model: its replay plan and its layers
        layers = [architecture(layer) for layer in module.layers]
        return {"class": name, "graph": module.spec, "layers": layers}
    return {"class": name, "config": _config(module)}


def build(spec: dict, prefix: str = "") -> Module:
    """A fresh layer from :func:`architecture`'s description (weights come separately)."""
    cls = LAYERS.get(spec.get("class"))
    if cls is None:
        raise DataError(
            message(
                "load_model",
                "the file names a layer class that is not registered",
                repr(spec.get("class")),
                "one of " + ", ".join(sorted(LAYERS)),
                "register custom layers with gn.training.register_layer before loading",
            )
        )
    if issubclass(cls, nn.Sequential):
        names = (f"{prefix}.{i}" if prefix else str(i) for i in range(len(spec["layers"])))
        return cls([build(layer, name) for layer, name in zip(spec["layers"], names)])
    if getattr(cls, "graph", False):
        names = (f"{prefix}.{i}" if prefix else str(i) for i in range(len(spec["layers"])))
        layers = [build(layer, name) for layer, name in zip(spec["layers"], names)]
        return cls(spec=spec["graph"], layers=layers)
    config = dict(spec["config"])
    if config.get("init") == "custom":  # a user's init function is not saved; the weights are
        config["init"] = "zeros"
    try:
        return cls.from_config(config)  # the saved weights then replace the initial values
    except (GlassnetError, TypeError) as exc:
        raise DataError(
            message(
                "load_model",
                f"layer {prefix or '(top)'} ({cls.__name__}) has invalid settings in the file",
                f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
                "the settings model.save writes",
            )
        ) from None


# ---- saving -------------------------------------------------------------------------------
def save_model(model: Model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (see the module docstring for the layout)."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture(model),
        "input_shape": None if model.input_shape is None else list(model.input_shape),
        "streams": _streams(model),
        "frozen": [name for name, p in model.named_parameters() if not p.trainable],
        "compile": None,
    }
    if getattr(model, "preprocessing", None) is not None:
        header["preprocess"] = model.preprocessing.to_dict()
    arrays = {f"weights/{k}": v for k, v in model.state_dict().items()}
    if model.loss is not None:
        state = model.optimizer.state_dict()
        arrays.update({f"optimizer/{k}": v for k, v in state.pop("buffers").items()})
        header["compile"] = {
            "loss": {"name": getattr(model.loss, "name", None), "config": _loss_config(model)},
            "metrics": [m.name for m in model.metrics],
            "optimizer": state,
        }
    arrays["__glassnet__"] = np.array(json.dumps(header))
    write_atomically(path, lambda file: np.savez(file, **arrays))


def _loss_config(model) -> dict:
    get_config = getattr(model.loss, "get_config", None)
    return get_config() if get_config else {}


def _streams(model) -> dict:
    """The state of every Dropout's random stream, so training continues identically."""
    streams = {}
    for name, module in model.named_modules():
        rng = getattr(module, "rng", None)
        if isinstance(rng, np.random.Generator):
            state = rng.bit_generator.state
            if state["bit_generator"] in _STREAMS:
                streams[name] = state
    return streams


# ---- loading ------------------------------------------------------------------------------
def load_model(
    path: str | os.PathLike, max_parameters: int = MAX_PARAMETERS, allow_nonfinite: bool = False
) -> Module:
    """Rebuild a model saved by ``model.save(path)``: architecture, weights, optimizer state,
    and the preprocessing its inputs need (``model.preprocessing``).

    The loaded model predicts exactly as the saved one did, and when it was compiled,
    training it further continues exactly as if it had never been saved. Nothing in the
    file is trusted (see :mod:`glassnet.training.modelfile`): a file whose layers would
    hold more than ``max_parameters`` parameters (default 10⁸) is refused before anything
    is allocated, and NaN or infinite weights are refused unless ``allow_nonfinite=True``.
    Any damage is a DataError; a missing file is FileNotFoundError.
    """
    positive_int("load_model", "max_parameters", max_parameters)
    with ModelFile(path) as file:
        header = _header(file)
        arrays = _arrays(file, header, max_parameters, allow_nonfinite)
    try:
        return _rebuild(header, arrays, file.where)
    except GlassnetError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(
            message(
                file.where,
                "the file is damaged: its description does not fit together",
                f"{type(exc).__name__}: {exc}",
                "a file written by model.save",
            )
        ) from None


def _header(file: ModelFile) -> dict:
    text = file.header_text()
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(
            message(
                file.where,
                "its description is not valid JSON",
                type(exc).__name__,
                "the JSON text model.save writes",
            )
        ) from None
    if isinstance(header, dict) and (
        header.get("format") != FORMAT or header.get("version") not in READABLE
    ):
        raise DataError(
            message(
                file.where,
                "unsupported model file format",
                f"{header.get('format')!r} version {header.get('version')!r}",
                f"{FORMAT!r} version {' or '.join(map(str, READABLE))}",
            )
        )
    return check_header(header, file.where)


def _arrays(file: ModelFile, header: dict, max_parameters: int, allow_nonfinite: bool) -> dict:
    """Every weight and optimizer array, each checked from its npy header before it is read."""
    planned, custom = planned_arrays(header["architecture"], LAYERS, file.where, max_parameters)
    names = file.names("weights/")
    ours = [n for n in names if not any(n.startswith(f"{c}.") or not c for c in custom)]
    if set(ours) != set(planned):
        raise DataError(
            message(
                file.where,
                "the weights do not match the architecture",
                f"{sorted(ours)[:20]}",
                f"{sorted(planned)[:20]}",
            )
        )
    limit = 8 * max_parameters + 4096
    for name in names:  # a planned array's member may hold no more than its float64 bytes
        bound = 8 * math.prod(planned[name]) + 4096 if name in planned else limit
        shape, _, _ = file.array_header(f"weights/{name}.npy", bound)
        if name in planned and shape != planned[name]:
            raise DataError(
                message(
                    file.where,
                    f"weight {name!r} has the wrong shape for its layer",
                    str(shape),
                    str(planned[name]),
                )
            )
    total = sum(math.prod(file.array_header(f"weights/{n}.npy", limit)[0]) for n in names)
    _check_total(file, total, max_parameters)
    arrays = {f"weights/{n}": n for n in names}
    if header["compile"] is not None:
        arrays.update(_optimizer_arrays(file, planned, custom, total, limit, max_parameters))
    return {key: _finite(file, key, file.read(f"{key}.npy"), allow_nonfinite) for key in arrays}


def _optimizer_arrays(file, planned, custom, total, limit, max_parameters) -> dict:
    """The optimizer members, each shaped like a parameter, at most 4 numbers per weight."""
    shapes, arrays = set(planned.values()), {}
    for name in file.names("optimizer/"):
        shape, _, _ = file.array_header(f"optimizer/{name}.npy", limit)
        if shape not in shapes and not custom:
            raise DataError(
                message(
                    file.where,
                    f"optimizer state {name!r} fits no parameter",
                    str(shape),
                    "the shape of one of the model's parameters",
                )
            )
        total += math.prod(shape)
        _check_total(file, total, 4 * max_parameters)
        arrays[f"optimizer/{name}"] = name
    return arrays


def _check_total(file: ModelFile, total: int, cap: int) -> None:
    if total > cap:
        raise DataError(
            message(
                file.where,
                "the file declares too many numbers",
                f"{total:,}",
                f"at most {cap:,}",
                "pass a larger max_parameters if you trust the file",
            )
        )


def _finite(file: ModelFile, key: str, array: np.ndarray, allow: bool) -> np.ndarray:
    if not allow and not np.isfinite(array).all():
        count = int(array.size - np.isfinite(array).sum())
        raise DataError(
            message(
                file.where,
                f"{key} holds {count} NaN or infinite values",
                f"{count} of {array.size}",
                "finite weights",
                "the model diverged before it was saved; pass allow_nonfinite=True to "
                "load it anyway (to inspect it)",
            )
        )
    return array


def _rebuild(header: dict, arrays: dict, where: str) -> Model:
    model = build(header["architecture"])
    _load_weights(model, {k[8:]: v for k, v in arrays.items() if k.startswith("weights/")})
    for name, state in header["streams"].items():
        module = dict(model.named_modules())[name]
        rng = np.random.Generator(_STREAMS[state["bit_generator"]]())
        rng.bit_generator.state = state
        object.__setattr__(module, "rng", rng)
    params = dict(model.named_parameters())
    for name in header["frozen"]:
        params[name].trainable = False
    if header["input_shape"] is not None:
        model.input_shape = tuple(header["input_shape"])
    if header.get("preprocess") is not None:
        model.preprocessing = Preprocessing.from_dict(header["preprocess"], where)
    if header["compile"] is not None:
        _compile(model, header["compile"], arrays)
    return model


def _load_weights(model, state: dict) -> None:
    """Copy the saved arrays in, keeping their dtype (a float64 model stays float64).

    Known layers were checked against the file before they were built; this check also
    covers custom layers, whose shapes are known only once built.
    """
    expected = model.state_dict()
    if set(state) != set(expected):
        raise DataError(
            message(
                "load_model",
                "the weights do not match the architecture",
                f"{sorted(state)}",
                f"{sorted(expected)}",
            )
        )
    for name, value in expected.items():
        if state[name].shape != value.shape:
            raise DataError(
                message(
                    "load_model",
                    f"{name!r} has the wrong shape",
                    str(state[name].shape),
                    str(value.shape),
                )
            )
    params = dict(model.named_parameters())
    for prefix, module in model.named_modules():
        for name in module.buffers():
            module.set_buffer(name, state[f"{prefix}.{name}" if prefix else name])
    for name, p in params.items():
        p.data = state[name]


def _compile(model: Model, settings: dict, arrays: dict) -> None:
    state = dict(settings["optimizer"])
    state["buffers"] = {k[10:]: v for k, v in arrays.items() if k.startswith("optimizer/")}
    loss = settings["loss"]
    try:
        optimizer = optim.get(state["name"], **state["hyperparameters"])
        model.compile(optimizer, losses.get(loss["name"], **loss["config"]), [])
    except ConfigError:
        warnings.warn(
            f"load_model: the optimizer {state['name']!r} or the loss {loss['name']!r} is not "
            "built in; the model is loaded uncompiled. Call model.compile(...) to train it.",
            stacklevel=4,
        )
        return
    model.optimizer.load_state_dict(state)
    found = []
    for name in settings["metrics"]:
        try:
            found.append(metrics_lib.get(name, threshold=model.accuracy_threshold()))
        except ConfigError:
            warnings.warn(f"load_model: metric {name!r} is not built in; skipped.", stacklevel=4)
    model.metrics = tuple(found)
