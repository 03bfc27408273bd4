"""Keras's classic ``mnist_mlp`` example, in glassnet.

The setup: 784 → 512 → 512 → 10, ReLU after each hidden layer and Dropout(0.2) after each
ReLU, cross-entropy on the logits, RMSprop (lr 0.001, ρ 0.9, as Keras's defaults), batches
of 128, 20 epochs, validated on the 10,000 test images after each epoch. The target is
≥ 98.0% test accuracy. ``GLASSNET_SMOKE=1`` runs a tiny version (2,000 images, 1 epoch,
1,000 test images).

    python examples/mnist_mlp.py
"""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet as gn
from glassnet import nn


def build(seed: int = 0) -> gn.Sequential:
    rng = np.random.default_rng(seed)
    return gn.Sequential(
        [
            nn.Dense(784, 512, seed=rng),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Dense(512, 512, seed=rng),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Dense(512, 10, seed=rng),
        ]
    )


def main(smoke: bool = False, seed: int = 0) -> dict:
    (x, y), (x_test, y_test) = gn.data.load_mnist()
    rows, test_rows, epochs = (2_000, 1_000, 1) if smoke else (60_000, 10_000, 20)
    x = x[:rows].reshape(-1, 784) / np.float32(255)
    x_test, y_test = x_test[:test_rows].reshape(-1, 784) / np.float32(255), y_test[:test_rows]
    model = build(seed)
    model.compile(gn.optim.RMSprop(lr=1e-3, rho=0.9), "cross_entropy", metrics=["accuracy"])
    model.summary()
    started = time.perf_counter()
    history = model.fit(
        x,
        y[:rows],
        epochs=epochs,
        batch_size=128,
        validation_data=(x_test, y_test),
        verbose=2,
        seed=seed,
    )
    seconds = time.perf_counter() - started
    accuracy, best = history["val_accuracy"][-1], max(history["val_accuracy"])
    print(
        f"mnist_mlp: test accuracy {accuracy:.2%} after {epochs} epochs "
        f"(best epoch {best:.2%}) in {seconds:.0f} s"
    )
    return {"test_accuracy": accuracy, "best": best, "seconds": seconds, "history": history}


if __name__ == "__main__":
    main(smoke=os.environ.get("GLASSNET_SMOKE") == "1")
