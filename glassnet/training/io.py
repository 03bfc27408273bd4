"""Saving and loading models: one file, no pickle, no code.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays), usually named ``*.gn``:

- ``__glassnet__``: a JSON text with the format version, the architecture (each layer's
  class name and ``get_config()``), the compile settings (loss, metrics, the
  optimizer's name, hyperparameters and step counters), the names of frozen parameters,
  the input shape and the state of every Dropout random stream;
- ``weights/<name>``: every parameter and buffer under its dotted name (``0.w``);
- ``optimizer/<buffer>.<index>``: the optimizer's state arrays (momentum, Adam's m and v).

Loading reads arrays with ``allow_pickle=False`` and rebuilds layers only from classes in
a registry of names (``register_layer``) with ``from_config`` and plain JSON values, so
a model file cannot run code. Writing goes to a temporary file that then replaces the target in
one ``os.replace``: a crash mid-save never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from glassnet import losses, nn, optim
from glassnet.errors import ConfigError, DataError, GlassnetError, message
from glassnet.training import metrics as metrics_lib
from glassnet.training.model import Model, Sequential

__all__ = ["save_model", "load_model", "register_layer", "LAYERS"]

FORMAT, VERSION = "glassnet-model", 1
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
register_layer(Sequential)


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


def architecture(module) -> dict:
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
    return {"class": name, "config": _config(module)}


def build(spec: dict):
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
        return cls([build(layer) for layer in spec["layers"]])
    config = dict(spec["config"])
    if config.get("init") == "custom":  # a user's init function is not saved; the weights are
        config["init"] = "zeros"
    return cls.from_config(config)  # the saved weights then replace the initial values


# ---- saving -------------------------------------------------------------------------------
def save_model(model: Model, path) -> None:
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
    _write_atomically(Path(path), arrays)


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


def _write_atomically(path: Path, arrays: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---- loading ------------------------------------------------------------------------------
def load_model(path) -> Model:
    """Rebuild a model saved by ``model.save(path)``: architecture, weights, optimizer state.

    The loaded model predicts exactly as the saved one did, and when it was compiled,
    training it further continues exactly as if it had never been saved.
    """
    header, arrays = _read(Path(path))
    try:
        return _rebuild(header, arrays)
    except GlassnetError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise DataError(
            message(
                "load_model",
                f"{str(path)!r} is damaged: its description does not fit together",
                f"{type(exc).__name__}: {exc}",
                "a file written by model.save",
            )
        ) from None


def _rebuild(header: dict, arrays: dict) -> Model:
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
    if header["compile"] is not None:
        _compile(model, header["compile"], arrays)
    return model


def _read(path: Path) -> tuple[dict, dict]:
    try:
        with np.load(path, allow_pickle=False) as file:
            arrays = {key: file[key] for key in file.files}
        header = json.loads(str(arrays.pop("__glassnet__")))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DataError(
            message(
                "load_model",
                f"{str(path)!r} is not a glassnet model file",
                type(exc).__name__,
                "a file written by model.save",
            )
        ) from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise DataError(
            message(
                "load_model",
                "unsupported model file format",
                f"{header.get('format')!r} version {header.get('version')!r}",
                f"{FORMAT!r} version {VERSION}",
            )
        )
    return header, arrays


def _load_weights(model, state: dict) -> None:
    """Copy the saved arrays in, keeping their dtype (a float64 model stays float64)."""
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
    params = dict(model.named_parameters())
    for prefix, module in model.named_modules():
        for name in module.buffers():
            module.set_buffer(name, state[f"{prefix}.{name}" if prefix else name].copy())
    for name, p in params.items():
        if state[name].shape != p.shape:
            raise DataError(
                message(
                    "load_model",
                    f"weight {name!r} has the wrong shape",
                    str(state[name].shape),
                    str(p.shape),
                )
            )
        p.data = state[name].copy()


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
