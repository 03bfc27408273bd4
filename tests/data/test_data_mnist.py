"""Bundled MNIST and MNIST-style folders (Fashion-MNIST, KMNIST layouts)."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import mnist as mnist_module
from glassnet.data import save_idx
from glassnet.errors import DataError

STEMS = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


@pytest.fixture(scope="module")
def mnist():
    return gn.data.load_mnist()


def test_bundled_mnist_shapes_dtypes_and_values(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8 and a.flags.writeable
    assert x_train.min() == 0 and x_train.max() == 255
    # label counts published with the data set (shared/data/mnist/README.md)
    assert np.bincount(y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bundled_mnist_decodes_to_the_published_raw_files(mnist):
    """SHA-256 of the decompressed IDX files, as published: the decoder loses nothing."""
    (x_train, y_train), (x_test, y_test) = mnist
    expected = {
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db": x_train,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5": y_train,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7": x_test,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2": y_test,
    }
    for digest, array in expected.items():
        assert hashlib.sha256(gn.data.encode_idx(array)).hexdigest() == digest


def test_bundled_files_and_licence_ship_with_the_package():
    folder = mnist_module.bundled_path("mnist")
    for name, digest in gn.data.MNIST_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    readme = (folder / "README.md").read_text()
    assert "Creative Commons Attribution-Share Alike 3.0" in readme and "LeCun" in readme


def test_corrupt_bundled_file_is_refused(monkeypatch):
    wrong = dict(gn.data.MNIST_SHA256, **{"t10k-labels-idx1-ubyte.gz": "0" * 64})
    monkeypatch.setattr(mnist_module, "MNIST_SHA256", wrong)
    with pytest.raises(DataError, match=r"load_mnist\('t10k-labels-idx1-ubyte.gz'\): .*checksum"):
        gn.data.load_mnist()


def _write_folder(folder, names, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (n_train, 5, 5), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, 5, 5), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    ]
    for name, array in zip(names, arrays):
        save_idx(folder / name, array, compress=name.endswith(".gz"))
    return arrays


@pytest.mark.parametrize(
    "names",
    [
        [f"{s}.gz" for s in STEMS],
        STEMS,
        [s.replace("-idx", ".idx") for s in STEMS],
        [f"{STEMS[0]}.gz", STEMS[1], f"{STEMS[2].replace('-idx', '.idx')}.gz", STEMS[3]],
    ],
    ids=["gz", "raw", "dotted", "mixed"],
)
def test_mnist_style_folder(tmp_path, names):
    arrays = _write_folder(tmp_path, names)
    (x_train, y_train), (x_test, y_test) = gn.data.load_mnist(path=tmp_path)
    for got, want in zip((x_train, y_train, x_test, y_test), arrays):
        np.testing.assert_array_equal(got, want)


def test_folder_missing_a_file(tmp_path):
    _write_folder(tmp_path, [f"{s}.gz" for s in STEMS[:3]] + ["labels.txt"])
    with pytest.raises(
        DataError, match=r"load_mnist\(path='.*'\): no t10k-labels-idx1-ubyte file"
    ):
        gn.data.load_mnist(path=tmp_path)


def test_path_that_is_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="load_mnist: path is not a folder"):
        gn.data.load_mnist(path=tmp_path / "absent")


def test_images_and_labels_that_do_not_pair(tmp_path):
    _write_folder(tmp_path, STEMS)
    save_idx(tmp_path / STEMS[1], np.zeros(5, dtype=np.uint8))
    with pytest.raises(
        DataError, match=r"images and labels do not pair up. Got images \(6, 5, 5\), labels \(5,\)"
    ):
        gn.data.load_mnist(path=tmp_path)


def test_corrupt_file_in_a_folder_names_it(tmp_path):
    _write_folder(tmp_path, [f"{s}.gz" for s in STEMS])
    packed = (tmp_path / f"{STEMS[0]}.gz").read_bytes()
    (tmp_path / f"{STEMS[0]}.gz").write_bytes(gzip.compress(gzip.decompress(packed)[:-3]))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz'\): the header declares"):
        gn.data.load_mnist(path=tmp_path)
