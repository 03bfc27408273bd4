"""Small data sets shipped with glassnet: hourly wages and the lessons' toy examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glassnet.data.mnist import bundled_path, verified_bytes
from glassnet.data.tabular import load_csv

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = [
    "BankTransactions",
    "HOURLY_WAGES_SHA256",
    "load_bank_transactions",
    "load_hourly_wages",
    "load_three_layer_toy",
]

HOURLY_WAGES_SHA256 = "1d893b26c3d356f14c2f9d5cecf750e51edb340394c1a06ca161696f824f557a"


def load_hourly_wages(dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 534 workers of the May 1985 US Current Population Survey (regression).

    Returns ``(x, y, feature_names)``: x (534, 9) with the columns union, education_yrs,
    experience_yrs, age, female, marr, south, manufacturing, construction (0/1 flags and
    years), and y (534,) the wage in US$ per hour (1.0 … 44.5, mean 9.024). From the
    DataCamp course "Introduction to Deep Learning in Python"; source, column meanings and
    licence notes in ``glassnet/data/bundled/hourly_wages/README.md``. The file's SHA-256
    is checked on load.
    """
    path = bundled_path("hourly_wages", "hourly_wages.csv")
    verified_bytes(path, HOURLY_WAGES_SHA256, "load_hourly_wages")
    return load_csv(path, target="wage_per_hour", dtype=dtype)


@dataclass(frozen=True)
class BankTransactions:
    """The bank-transactions forward-propagation example, with its network's weights.

    Attributes:
        x: (1, 2) one customer: 2 children, 3 existing accounts.
        y: (1,) 9 transactions, the output of the example's network for x.
        feature_names: ("children", "accounts").
        w_hidden: (2, 2) input → hidden weights in Dense's (in, out) layout; column j holds
            node j's weights: node_0 = (1, 1), node_1 = (−1, 1).
        w_output: (2, 1) hidden → output weights (2, −1).
        hidden: (1, 2) hidden node values x @ w_hidden = (2·1 + 3·1, 2·(−1) + 3·1) = (5, 1).
    """

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, str]
    w_hidden: np.ndarray
    w_output: np.ndarray
    hidden: np.ndarray


def load_bank_transactions(dtype: DTypeLike = np.float32) -> BankTransactions:
    """The lesson's bank example: predict a customer's number of transactions from the
    number of children and of existing accounts with a 2 → 2 → 1 network, no biases and
    identity activations:

        hidden = x @ w_hidden = (5, 1)
        output = hidden @ w_output = 5·2 + 1·(−1) = 9

    ``y`` is that output, so the lesson's weights fit the example with zero error; use it
    to check forward propagation by hand (``Dense(2, 2, use_bias=False)`` then
    ``Dense(2, 1, use_bias=False)`` with these weights predict 9).
    """
    x = np.array([[2.0, 3.0]], dtype=dtype)
    w_hidden = np.array([[1.0, -1.0], [1.0, 1.0]], dtype=dtype)
    w_output = np.array([[2.0], [-1.0]], dtype=dtype)
    hidden = x @ w_hidden
    return BankTransactions(
        x=x,
        y=(hidden @ w_output)[:, 0],
        feature_names=("children", "accounts"),
        w_hidden=w_hidden,
        w_output=w_output,
        hidden=hidden,
    )


def load_three_layer_toy(dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The 4 × 3 binary inputs and 4 × 1 binary outputs of the lesson's three-layer network.

    Returns ``(x, y)``:

        x = [[0, 0, 1],        y = [[0],
             [0, 1, 1],             [1],
             [1, 0, 1],             [1],
             [1, 1, 1]]             [0]]

    y is x₁ XOR x₂; the third input is always 1 and plays the part of a bias. The lesson
    fits it with a 3 → 4 → 1 sigmoid network (weights drawn from U(−1, 1), a 3 × 4 and a
    4 × 1 matrix) over 60,000 full-batch iterations. A single layer cannot separate XOR,
    which is why the hidden layer is needed. The values are those of the classic NumPy
    example the lesson narrates (A. Trask, "A Neural Network in 11 lines of Python").
    """
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=dtype)
    y = np.array([[0], [1], [1], [0]], dtype=dtype)
    return x, y
