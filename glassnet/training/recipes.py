"""Ready-made data sets and MLPs for the ``glassnet train`` command and the examples.

``load_dataset(name)`` returns train and test arrays ready for ``fit``: MNIST images
flattened to 784 pixels scaled to [0, 1]; tabular features standardised with statistics of
the training rows only (z = (x − mean_train) / std_train), so nothing about the test rows
leaks into training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet import activations, nn
from glassnet._validate import positive_int
from glassnet.errors import ConfigError, message
from glassnet.tensor import rng_from
from glassnet.training.model import Sequential
from glassnet.training.preprocessing import Preprocessing

__all__ = ["Dataset", "load_dataset", "preprocess", "build_mlp", "DATASETS"]

SYNTHETIC = ("circles", "xor", "gaussians", "spiral")
MAX_CLASSES = 20  # a CSV target of integers 0 … 19 is read as class labels
MAX_UNITS = 100_000  # widest layer build_mlp makes: 64 rows of it are 25 MB of float32
MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights, 1.2 GB with Adam's moments
DATASETS = ("mnist", "hourly-wages", *SYNTHETIC)


@dataclass
class Dataset:
    """Train/test arrays plus what the task is: ``classes`` is None for regression."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int | None
    preprocess: dict

    @property
    def features(self) -> int:
        return self.x_train.shape[1]

    @property
    def outputs(self) -> int:
        return self.classes or 1


def load_dataset(
    name: str,
    target: str | None = None,
    seed: int | np.random.Generator | None = 0,
    limit: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A :class:`Dataset` by name (``mnist``, ``hourly-wages``, ``circles``, ``xor``,
    ``gaussians``, ``spiral``) or CSV path (with ``target``, the column to predict).

    ``limit`` keeps the first ``limit`` training rows (quick runs). Tabular sets are split
    80/20 with ``seed``. A CSV target whose values are all integers from 0 to 19 is read
    as class labels (as many classes as the largest label + 1), anything else as a
    number to regress: a label of 10⁵ never builds a 100,001-way output.
    """
    from glassnet import data

    if limit is not None:
        positive_int("load_dataset", "limit", limit)

    if name == "mnist":
        (x, y), (x_test, y_test) = data.load_mnist()
        flat = [a.reshape(len(a), -1).astype(np.float32) / np.float32(255) for a in (x, x_test)]
        return Dataset(name, flat[0][:limit], y[:limit], flat[1], y_test, 10, {"divide_by": 255.0})
    if name == "hourly-wages":
        x, y, features = data.load_hourly_wages()
        return _tabular(name, x, y, None, seed, limit, features)
    if name in SYNTHETIC:
        x, y = getattr(data, f"make_{name}")(1000, noise=0.1, seed=seed)
        return _tabular(name, x, y, int(y.max()) + 1, seed, limit)
    if Path(name).suffix.lower() == ".csv" or Path(name).is_file():
        return _csv(name, target, seed, limit)
    raise ConfigError(
        message(
            "train",
            f"unknown data set {name!r}",
            repr(name),
            "one of " + ", ".join(DATASETS) + ", or a path to a .csv file",
        )
    )


def _csv(path: str, target: str | None, seed, limit) -> Dataset:
    """A CSV file's rows; a target of integers in [0, MAX_CLASSES) is class labels."""
    from glassnet import data

    if target is None:
        raise ConfigError(
            message(
                "train",
                "a CSV data set needs --target",
                f"--dataset {path}",
                "--dataset FILE.csv --target COLUMN",
            )
        )
    x, y, features = data.load_csv(path, target=target)
    labels = bool(np.all(y == np.round(y)) and y.min() >= 0 and y.max() < MAX_CLASSES)
    classes = int(y.max()) + 1 if labels else None
    y = y.astype(np.int64) if labels else y
    return _tabular(Path(path).stem, x, y, classes, seed, limit, features)


def _tabular(name, x, y, classes, seed, limit, features=None) -> Dataset:
    from glassnet import data

    x_train, x_test, y_train, y_test = data.train_test_split(x, y, test_size=0.2, seed=seed)
    scaler = data.StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    spec = {"scaler": scaler.to_dict(), **({"features": list(features)} if features else {})}
    return Dataset(name, x_train[:limit], y_train[:limit], x_test, y_test, classes, spec)


def preprocess(x: np.ndarray, spec: dict) -> np.ndarray:
    """Apply a Dataset's ``preprocess`` description to new raw rows (see
    :class:`~glassnet.training.preprocessing.Preprocessing`, which ``glassnet train`` saves
    inside the model file)."""
    return Preprocessing.from_dict(spec, "preprocess").transform(x)


def build_mlp(
    features: int,
    hidden: list[int],
    outputs: int,
    activation: str = "relu",
    seed: int | np.random.Generator | None = 0,
) -> Sequential:
    """Dense(features → h₁), act, Dense(h₁ → h₂), act, ..., Dense(h_last → outputs).

    The output layer is linear: the losses take logits (cross-entropy) or raw values (MSE).
    ``activation`` is any name of :func:`glassnet.activations.names`. The sizes are
    checked before anything is allocated: each at most ``MAX_UNITS`` (100,000) and at
    most ``MAX_PARAMETERS`` (10⁸) weights and biases in all.
    """
    spec = activations.get(activation, where="build_mlp")
    sizes = _checked_sizes([features, *hidden, outputs])
    rng, layers = rng_from(seed), []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Dense(fan_in, fan_out, seed=rng))
        if i < len(hidden):
            layers.append(spec.make())
    return Sequential(layers)


def _checked_sizes(sizes: list) -> list[int]:
    """Layer sizes as ints, or a ConfigError before a too-large model is allocated."""
    sizes = [positive_int("build_mlp", "every layer size", size) for size in sizes]
    widest = max(sizes)
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    if widest > MAX_UNITS or parameters > MAX_PARAMETERS:
        raise ConfigError(
            message(
                "build_mlp",
                "the network is too large to build",
                f"sizes {'-'.join(map(str, sizes))}: {parameters:,} parameters, "
                f"widest layer {widest:,}",
                f"at most {MAX_PARAMETERS:,} parameters and {MAX_UNITS:,} units per layer",
                "use fewer or narrower hidden layers",
            )
        )
    return sizes
