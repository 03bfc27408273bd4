"""Data: bundled data sets, IDX/CSV loaders, downloads, scaling, splits and batching.

Everything here returns plain NumPy arrays; models take them directly.

    (x_train, y_train), (x_test, y_test) = gn.data.load_mnist()     # bundled, no network
    x, y, names = gn.data.load_hourly_wages()                        # bundled regression
    x, y = gn.data.make_spiral(400, noise=0.1, seed=0)               # Playground-style toys
    x_tr, x_te, y_tr, y_te = gn.data.train_test_split(x, y, test_size=0.2, seed=0)
    scaler = gn.data.StandardScaler().fit(x_tr)                      # fit on training data only
    for xb, yb in gn.data.DataLoader(scaler.transform(x_tr), y_tr, batch_size=32, seed=0): ...
"""

from glassnet.data.datasets import Dataset, TensorDataset, collate
from glassnet.data.download import default_cache_dir, download, sha256_of
from glassnet.data.generators import (
    make_circles,
    make_gaussians,
    make_multi_gaussian,
    make_regression_plane,
    make_spiral,
    make_xor,
)
from glassnet.data.idx import IDX_TYPES, encode_idx, load_idx, parse_idx, save_idx
from glassnet.data.loader import DataLoader
from glassnet.data.mnist import MNIST_SHA256, load_mnist
from glassnet.data.scalers import MinMaxScaler, StandardScaler, scaler_from_dict
from glassnet.data.splits import one_hot, train_test_split, train_val_split
from glassnet.data.tabular import load_csv
from glassnet.data.toy import (
    BankTransactions,
    load_bank_transactions,
    load_hourly_wages,
    load_three_layer_toy,
)

__all__ = [
    "BankTransactions",
    "DataLoader",
    "Dataset",
    "TensorDataset",
    "collate",
    "IDX_TYPES",
    "MNIST_SHA256",
    "MinMaxScaler",
    "StandardScaler",
    "default_cache_dir",
    "download",
    "encode_idx",
    "load_bank_transactions",
    "load_csv",
    "load_hourly_wages",
    "load_idx",
    "load_mnist",
    "load_three_layer_toy",
    "make_circles",
    "make_gaussians",
    "make_multi_gaussian",
    "make_regression_plane",
    "make_spiral",
    "make_xor",
    "one_hot",
    "parse_idx",
    "save_idx",
    "scaler_from_dict",
    "sha256_of",
    "train_test_split",
    "train_val_split",
]
