"""One-hot encoding and train/test/validation splits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet.data._arrays import as_array, check_count, check_same_length
from glassnet.errors import ConfigError, DataError, ShapeError, message
from glassnet.tensor import rng_from

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["one_hot", "train_test_split", "train_val_split"]


def _integer_labels(y, where: str) -> np.ndarray:
    """Labels as int64; float labels must be whole numbers (as load_csv returns them)."""
    y = as_array(y, where, "y")
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if bad.size:
            raise DataError(
                message(
                    where,
                    "class labels must be whole numbers",
                    f"y[{bad[0]}] = {y.flat[bad[0]]}",
                    "0, 1, 2, ...",
                )
            )
    return y.astype(np.int64)


def one_hot(y: ArrayLike, num_classes: int, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    Forward:   out[i, c] = 1 if y[i] = c else 0,   for 0 ≤ c < num_classes
    Shapes:    y (N,) or (N, 1) → out (N, num_classes)

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]

    Raises:
        DataError: a label is not a whole number or lies outside 0 … num_classes − 1.
    """
    num_classes = check_count(num_classes, "one_hot", "num_classes")
    labels = _integer_labels(y, "one_hot")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ShapeError(
            message("one_hot", "y must be a vector of labels", f"y.shape={labels.shape}", "(N,)")
        )
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        raise DataError(
            message(
                "one_hot",
                f"label out of range for num_classes={num_classes}",
                f"y[{bad[0]}] = {labels[bad[0]]} ({bad.size} labels out of range)",
                f"0 ≤ y < {num_classes}",
                "pass num_classes=max(y) + 1 or fix the labels",
            )
        )
    out = np.zeros((len(labels), num_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def _holdout_count(size, n: int, where: str, name: str) -> int:
    """``size`` as a count of held-out samples: a fraction in (0, 1) → ⌈size·n⌉, or an int."""
    if isinstance(size, float) and 0.0 < size < 1.0:
        count = math.ceil(size * n)
    elif isinstance(size, int | np.integer) and not isinstance(size, bool):
        count = int(size)
    else:
        raise ConfigError(
            message(where, f"{name} must be a fraction in (0, 1) or a count", repr(size))
        )
    if not 1 <= count <= n - 1:
        raise ConfigError(
            message(
                where,
                f"{name} leaves an empty side",
                f"{count} of {n} samples held out",
                f"between 1 and {n - 1}",
            )
        )
    return count


def _stratified_holdout(labels: np.ndarray, count: int, rng) -> np.ndarray:
    """Indices of ``count`` held-out samples, each class in proportion to its frequency.

    Class c with n_c samples gets ⌊count·n_c/N⌋ places; the places left over go to the
    classes with the largest remainders (ties broken at random), so the total is exact.
    """
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    ideal = counts * count / len(labels)
    take = np.floor(ideal).astype(np.int64)
    left = count - int(take.sum())
    remainder_order = np.lexsort((rng.random(len(classes)), -(ideal - take)))
    take[remainder_order[:left]] += 1
    held = [rng.permutation(np.flatnonzero(inverse == c))[: take[c]] for c in range(len(classes))]
    return np.concatenate(held)


def _strata(stratify, y, n: int, shuffle: bool, where: str) -> np.ndarray | None:
    """The labels to stratify by: y's for ``stratify=True``, or the array given (as
    scikit-learn's ``stratify=y``); None when not stratifying."""
    if stratify is None or stratify is False:
        return None
    if stratify is True:
        if y is None or not shuffle:
            raise ConfigError(
                message(where, "stratify=True needs labels y and shuffle=True", hint="pass y")
            )
        labels = y
    else:  # scikit-learn's form: the labels themselves
        labels = as_array(stratify, where, "stratify")
        if len(labels) != n or not shuffle:
            raise ConfigError(
                message(
                    where,
                    "stratify=labels needs one label per sample and shuffle=True",
                    f"{len(labels)} labels, shuffle={shuffle}",
                    f"{n} labels, shuffle=True",
                )
            )
    if labels.ndim == 2 and labels.shape[1] > 1:
        return labels.argmax(axis=1)  # one-hot rows
    return labels.reshape(n, -1)[:, 0]


def _split(x, y, size, seed, stratify: bool, shuffle: bool, where: str, name: str):
    x = as_array(x, where, "x")
    y = None if y is None else as_array(y, where, "y")
    if y is not None:
        check_same_length(x, y, where)
    n = len(x)
    count = _holdout_count(size, n, where, name)
    rng = rng_from(seed)
    labels = _strata(stratify, y, n, shuffle, where)
    if labels is not None:
        held = _stratified_holdout(labels, count, rng)
        mask = np.ones(n, dtype=bool)
        mask[held] = False
        kept, held = rng.permutation(np.flatnonzero(mask)), rng.permutation(held)
    elif shuffle:
        order = rng.permutation(n)
        kept, held = order[count:], order[:count]
    else:
        kept, held = np.arange(n - count), np.arange(n - count, n)
    parts = [x[kept], x[held]]
    if y is not None:
        parts += [y[kept], y[held]]
    return tuple(parts)


def train_test_split(
    x: ArrayLike,
    y: ArrayLike | None = None,
    test_size: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    stratify: bool = False,
    shuffle: bool = True,
) -> tuple[np.ndarray, ...]:
    """Split samples into a training part and a held-out test part.

    Returns ``x_train, x_test, y_train, y_test`` (scikit-learn's order), or
    ``x_train, x_test`` when ``y`` is None. ``test_size``: a fraction in (0, 1), giving
    ⌈test_size·N⌉ test samples, or a count. ``seed``: int or Generator for the shuffle.
    ``stratify=True`` keeps each class's share of the samples (within one sample) in both
    parts; y may be labels or one-hot rows. ``stratify=labels`` (scikit-learn's form,
    e.g. ``stratify=y``) stratifies by the array given. ``shuffle=False`` takes the last samples.

    >>> x_tr, x_te = train_test_split(np.arange(10), test_size=0.3, seed=0)
    >>> len(x_tr), len(x_te), sorted(x_tr.tolist() + x_te.tolist()) == list(range(10))
    (7, 3, True)
    """
    return _split(x, y, test_size, seed, stratify, shuffle, "train_test_split", "test_size")


def train_val_split(
    x: ArrayLike,
    y: ArrayLike | None = None,
    val_size: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    stratify: bool = False,
    shuffle: bool = True,
) -> tuple[np.ndarray, ...]:
    """Split training samples into a part to fit on and a validation part.

    Returns ``x_train, x_val, y_train, y_val`` (or ``x_train, x_val`` without y); the
    settings are those of :func:`train_test_split`. ``shuffle=False`` holds out the last
    ``val_size`` of the samples, as Keras's ``validation_split`` does.
    """
    return _split(x, y, val_size, seed, stratify, shuffle, "train_val_split", "val_size")
