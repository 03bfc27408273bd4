"""MNIST, shipped inside the package, and any IDX data set laid out like it.

The four original IDX files of MNIST (LeCun, Cortes and Burges; CC BY-SA 3.0, see
``glassnet/data/bundled/mnist/README.md``) are package data, so ``pip install glassnet``
gives a working MNIST with no network. Their SHA-256 sums are checked on every load.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from glassnet.data.idx import load_idx, parse_idx
from glassnet.errors import DataError, message

__all__ = ["MNIST_SHA256", "bundled_path", "load_mnist", "verified_bytes"]

BUNDLED = Path(__file__).resolve().parent / "bundled"

#: SHA-256 of the four shipped .gz files (the official distribution, byte for byte).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    ),
}
_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_TEST_STEMS = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def bundled_path(*parts: str) -> Path:
    """Path of a file shipped under ``glassnet/data/bundled`` (e.g. ``"mnist"``)."""
    return BUNDLED.joinpath(*parts)


def verified_bytes(path: Path, sha256: str, where: str) -> bytes:
    """Read a bundled file and check its SHA-256 before anything decodes it."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise DataError(
            message(
                where,
                "the bundled file is corrupt (checksum mismatch)",
                f"sha256 {digest}",
                sha256,
                "reinstall glassnet: pip install --force-reinstall glassnet",
            )
        )
    return raw


def _find(folder: Path, stem: str) -> Path:
    """``stem.gz``, ``stem``, or the ``train-images.idx3-ubyte`` spelling, in that order."""
    dotted = stem.replace("-idx", ".idx")
    for name in (f"{stem}.gz", stem, f"{dotted}.gz", dotted):
        if (folder / name).is_file():
            return folder / name
    raise DataError(
        message(
            f"load_mnist(path={str(folder)!r})",
            f"no {stem} file in the folder",
            f"{sorted(p.name for p in folder.iterdir())[:8]}",
            f"{stem}.gz or {stem}",
            "the folder must hold the four IDX files of an MNIST-style data set",
        )
    )


def _check_pair(x: np.ndarray, y: np.ndarray, name: str) -> None:
    if x.ndim < 2 or y.ndim != 1 or len(x) != len(y):
        raise DataError(
            message(
                f"load_mnist({name})",
                "images and labels do not pair up",
                f"images {x.shape}, labels {y.shape}",
                "images (N, H, W) and labels (N,)",
            )
        )


def load_mnist(
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST (bundled) or an MNIST-style IDX data set from a folder.

    Returns ``(x_train, y_train), (x_test, y_test)``: for MNIST, uint8 images of shape
    (60000, 28, 28) and (10000, 28, 28) with pixels 0 (background) … 255 (ink), and uint8
    labels 0–9 of shape (60000,) and (10000,). Scale with ``x / 255`` before training.

    ``path=None`` uses the bundled files after checking their SHA-256. ``path=DIR`` reads
    any data set laid out like MNIST (Fashion-MNIST, KMNIST): the files
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``
    and ``t10k-labels-idx1-ubyte``, each gzipped (``.gz``) or raw; the
    ``train-images.idx3-ubyte`` spelling is accepted too.

    Raises:
        DataError: a file is missing, corrupt, or the images and labels disagree in count.
    """
    if path is None:
        folder = bundled_path("mnist")
        files = [f"{stem}.gz" for stem in _STEMS + _TEST_STEMS]
        arrays = [
            parse_idx(verified_bytes(folder / f, MNIST_SHA256[f], f"load_mnist({f!r})"), f)
            for f in files
        ]
        name = ""
    else:
        folder = Path(path)
        if not folder.is_dir():
            raise DataError(
                message(
                    "load_mnist",
                    "path is not a folder",
                    repr(str(folder)),
                    "a folder holding the four IDX files",
                )
            )
        arrays = [load_idx(_find(folder, s)) for s in _STEMS + _TEST_STEMS]
        name = f"path={str(folder)!r}"
    x_train, y_train, x_test, y_test = arrays
    _check_pair(x_train, y_train, name)
    _check_pair(x_test, y_test, name)
    return (x_train, y_train), (x_test, y_test)
