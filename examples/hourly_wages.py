"""Hourly wages (1985 CPS, 534 workers): an MLP regressor next to a least-squares line.

The lessons' regression example predicts ``wage_per_hour`` from 9 columns (union,
education, experience, age, sex, marital status, region, sector) with a small ReLU network
and the mean squared error. This script holds out 20% of the rows, standardises
the features with the training rows' mean and standard deviation, and reports the test
mean absolute error (MAE, US$ per hour) of

- the baseline: ordinary least squares, ŷ = x·β + β₀ with β minimising Σ (yᵢ − ŷᵢ)²
  (the closed-form solution, ``np.linalg.lstsq``);
- the MLP 9 → 50 → 32 → 1 (ReLU), Adam, MSE, batches of 32; early stopping on a
  validation split of the training rows restores the best epoch's weights.

Both are scored on five different 80/20 splits (seeds 0–4): with 107 test rows one split
is too noisy to rank them. ``GLASSNET_SMOKE=1`` runs one split for 3 epochs.

    python examples/hourly_wages.py
"""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet as gn
from glassnet import nn


def least_squares_mae(x_train, y_train, x_test, y_test) -> float:
    """Test MAE of the ordinary least-squares fit on the training rows.

    The columns are exactly collinear (experience = age − education − 6 in this survey),
    so the minimiser is not unique; ``rcond`` drops the near-zero singular direction and
    lstsq returns the minimum-norm solution instead of huge cancelling coefficients.
    """
    design = np.column_stack([x_train, np.ones(len(x_train))]).astype(np.float64)
    beta, *_ = np.linalg.lstsq(design, y_train.astype(np.float64), rcond=1e-6)
    predicted = np.column_stack([x_test, np.ones(len(x_test))]) @ beta
    return gn.metrics.mae(y_test, predicted)


def one_split(x, y, smoke: bool, seed: int) -> tuple[float, float]:
    """(MLP test MAE, least-squares test MAE) for the 80/20 split drawn with ``seed``."""
    x_train, x_test, y_train, y_test = gn.data.train_test_split(x, y, test_size=0.2, seed=seed)
    scaler = gn.data.StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    baseline = least_squares_mae(x_train, y_train, x_test, y_test)
    rng = np.random.default_rng(seed)
    model = gn.Sequential(
        [nn.Dense(9, 50, seed=rng), nn.ReLU(), nn.Dense(50, 32, seed=rng), nn.ReLU()]
        + [nn.Dense(32, 1, seed=rng)]
    )
    model.compile(gn.optim.Adam(lr=1e-3), "mse", metrics=["mae"])
    stop = gn.callbacks.EarlyStopping(patience=30, restore_best_weights=True)
    model.fit(
        x_train,
        y_train,
        epochs=3 if smoke else 500,
        batch_size=32,
        validation_split=0.2,
        callbacks=[stop],
        verbose=0,
        seed=seed,
    )
    return model.evaluate(x_test, y_test)["mae"], baseline


def main(smoke: bool = False, splits: int = 5) -> dict:
    """Both test MAEs on ``splits`` different 80/20 splits (seeds 0, 1, ...)."""
    x, y, _ = gn.data.load_hourly_wages()
    started = time.perf_counter()
    results = np.array([one_split(x, y, smoke, seed) for seed in range(1 if smoke else splits)])
    seconds = time.perf_counter() - started
    for seed, (mlp, baseline) in enumerate(results):
        print(f"split {seed}: test MAE (US$/hour) MLP {mlp:.3f}, least squares {baseline:.3f}")
    mean, std = results.mean(axis=0), results.std(axis=0)
    print(
        f"hourly wages, mean test MAE over {len(results)} splits: "
        f"MLP {mean[0]:.3f} ± {std[0]:.3f}, least squares {mean[1]:.3f} ± {std[1]:.3f} "
        f"({seconds:.1f} s)"
    )
    return {"mlp_mae": mean[0], "baseline_mae": mean[1], "seconds": seconds}


if __name__ == "__main__":
    main(smoke=os.environ.get("GLASSNET_SMOKE") == "1")
