"""Turn validated settings into arrays: generate or load, split, derive features, scale.

Every step here is written out again, line for line, in the script that Export produces
(:mod:`glassnet.playground.export`), so that the script trains on exactly these numbers.

Input features of the 2-D sets are computed from the point (x₁, x₂):

    x1 = x₁    x2 = x₂    x1^2 = x₁²    x2^2 = x₂²    x1*x2 = x₁·x₂
    sin(x1) = sin x₁    sin(x2) = sin x₂

Regression targets are standardised with the training split's mean and standard deviation,
ỹ = (y − mean) / std, so a learning rate that suits one data set suits the others.
CSV features are standardised the same way (gn.data.StandardScaler fitted on the training
split); MNIST pixels are scaled to [0, 1].
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from glassnet import data as gdata
from glassnet.errors import DataError, GlassnetError, message
from glassnet.playground.protocol import PLANE_DATASETS, REGRESSION_DATASETS
from glassnet.tensor import rng_from

__all__ = ["Prepared", "prepare", "feature_matrix", "FEATURE_FUNCTIONS", "MAX_CLASSES"]

MAX_CLASSES = 20
FEATURE_FUNCTIONS = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1*x2": lambda p: p[:, 0] * p[:, 1],
    "sin(x1)": lambda p: np.sin(p[:, 0]),
    "sin(x2)": lambda p: np.sin(p[:, 1]),
}
GENERATORS = {
    "circles": "make_circles",
    "xor": "make_xor",
    "gaussians": "make_gaussians",
    "spiral": "make_spiral",
    "regression_plane": "make_regression_plane",
    "multi_gaussian": "make_multi_gaussian",
}


@dataclass
class Prepared:
    """Training and test arrays plus what the views need to draw them.

    ``points_*`` are the raw 2-D points (plane data sets only); ``classes`` is 0 for a
    regression; ``y_mean``/``y_std`` undo the target standardisation; ``images`` holds a
    few test digits (MNIST only) as (k, 28, 28) floats in [0, 1].
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    classes: int
    points_train: np.ndarray | None = None
    points_test: np.ndarray | None = None
    extent: float = 1.0
    y_mean: float = 0.0
    y_std: float = 1.0
    class_names: list[str] | None = None

    @property
    def is_plane(self) -> bool:
        return self.points_train is not None


def feature_matrix(points: np.ndarray, features: list[str]) -> np.ndarray:
    """The (N, F) float32 matrix of the chosen features of (N, 2) points."""
    return np.stack([FEATURE_FUNCTIONS[f](points) for f in features], axis=1).astype(np.float32)


def _standardise_target(y_train, y_test):
    y_train = np.asarray(y_train, np.float64).reshape(-1, 1)
    y_test = np.asarray(y_test, np.float64).reshape(-1, 1)
    mean, std = float(y_train.mean()), float(y_train.std()) or 1.0
    return (
        ((y_train - mean) / std).astype(np.float32),
        ((y_test - mean) / std).astype(np.float32),
        mean,
        std,
    )


def _plane(settings: dict) -> Prepared:
    make = getattr(gdata, GENERATORS[settings["dataset"]])
    arms = {"n_classes": settings["classes"]} if settings["dataset"] == "spiral" else {}
    x, y = make(settings["samples"], noise=settings["noise"], seed=settings["seed"], **arms)
    p_tr, p_te, y_tr, y_te = gdata.train_test_split(
        x, y, test_size=settings["test_size"], seed=settings["seed"]
    )
    prepared = Prepared(
        feature_matrix(p_tr, settings["features"]),
        y_tr,
        feature_matrix(p_te, settings["features"]),
        y_te,
        list(settings["features"]),
        0,
        points_train=np.asarray(p_tr, np.float32),
        points_test=np.asarray(p_te, np.float32),
        extent=float(np.abs(x).max()) * 1.1 or 1.0,
    )
    if settings["dataset"] in REGRESSION_DATASETS:
        prepared.y_train, prepared.y_test, prepared.y_mean, prepared.y_std = _standardise_target(
            y_tr, y_te
        )
    else:
        prepared.classes = int(max(y_tr.max(), y_te.max())) + 1
        prepared.y_train, prepared.y_test = y_tr.astype(np.intp), y_te.astype(np.intp)
    return prepared


@functools.lru_cache(maxsize=1)
def _mnist_train() -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = gdata.load_mnist()
    return x, y


def _mnist(settings: dict) -> Prepared:
    images, labels = _mnist_train()
    pick = rng_from(settings["seed"]).choice(len(images), settings["samples"], replace=False)
    x = images[pick].reshape(len(pick), -1).astype(np.float32) / 255.0
    y = labels[pick].astype(np.intp)
    x_tr, x_te, y_tr, y_te = gdata.train_test_split(
        x, y, test_size=settings["test_size"], seed=settings["seed"]
    )
    names = [f"pixel {i}" for i in range(x.shape[1])]
    return Prepared(x_tr, y_tr, x_te, y_te, names, 10)


def load_upload(
    content: bytes, target: str, name: str = "upload.csv"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse CSV bytes with gn.data.load_csv (its checks apply) → (x, y, feature names).

    Its error messages name the uploaded file ``name``, not the temporary file.
    """
    handle, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        return gdata.load_csv(path, target=target)
    except GlassnetError as exc:
        raise type(exc)(str(exc).replace(path, name)) from None
    finally:
        os.unlink(path)


def is_classification(y: np.ndarray) -> bool:
    """A CSV target is a class label when every value is an integer and there are ≤ 20 kinds."""
    y = np.asarray(y, np.float64)
    return bool(np.all(np.mod(y, 1) == 0)) and len(np.unique(y)) <= MAX_CLASSES


def _csv(settings: dict, content: bytes) -> Prepared:
    x, y, names = load_upload(content, settings["target"])
    x = np.asarray(x, np.float32)
    x_tr, x_te, y_tr, y_te = gdata.train_test_split(
        x, y, test_size=settings["test_size"], seed=settings["seed"]
    )
    scaler = gdata.StandardScaler().fit(x_tr)
    x_tr = np.asarray(scaler.transform(x_tr), np.float32)
    x_te = np.asarray(scaler.transform(x_te), np.float32)
    prepared = Prepared(x_tr, y_tr, x_te, y_te, list(names), 0)
    if is_classification(y):
        values = np.unique(np.asarray(y, np.float64))
        prepared.classes = len(values)
        prepared.class_names = [f"{v:g}" for v in values]
        prepared.y_train = np.searchsorted(values, np.asarray(y_tr, np.float64)).astype(np.intp)
        prepared.y_test = np.searchsorted(values, np.asarray(y_te, np.float64)).astype(np.intp)
    else:
        prepared.y_train, prepared.y_test, prepared.y_mean, prepared.y_std = _standardise_target(
            y_tr, y_te
        )
    return prepared


def prepare(settings: dict, upload: bytes | None = None) -> Prepared:
    """The arrays for validated ``settings``; ``upload`` holds the CSV bytes (dataset csv)."""
    if settings["dataset"] in PLANE_DATASETS:
        return _plane(settings)
    if settings["dataset"] == "mnist":
        return _mnist(settings)
    if upload is None:
        raise DataError(
            message(
                "playground",
                "the uploaded CSV is no longer on the server",
                repr(settings["upload"]),
                "a token from a recent upload",
                "upload the file again",
            )
        )
    return _csv(settings, upload)
