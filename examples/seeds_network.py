"""The lessons' MNIST network: [784, 30, 10] sigmoid neurons trained by mini-batch SGD.

The setup, as the lessons give it:

- layers 784 → 30 → 10, a sigmoid after both weighted sums (so outputs lie in (0, 1));
- weights and biases drawn from N(0, 1);
- the quadratic cost C = 1/(2n) Σₓ ‖y(x) − a(x)‖² against one-hot targets y(x);
- stochastic gradient descent, learning rate η = 3.0, mini-batches of 10, 30 epochs;
- trained on the first 50,000 training images, tested on the 10,000 test images.

The target is ≥ 95% test accuracy. ``GLASSNET_SMOKE=1`` runs a tiny version (1,000
images, 1 epoch, 1,000 test images) to check that the script works.

    python examples/seeds_network.py [SEED]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import glassnet as gn


def standard_normal(shape, seed=None, dtype=np.float32):
    """w ~ N(0, 1), the lessons' initialisation (for weights and biases alike)."""
    return gn.nn.init.normal(shape, std=1.0, seed=seed, dtype=dtype)


def build(seed: int = 0) -> gn.Sequential:
    rng = np.random.default_rng(seed)
    model = gn.Sequential(
        [
            gn.nn.Dense(784, 30, init=standard_normal, seed=rng),
            gn.nn.Sigmoid(),
            gn.nn.Dense(30, 10, init=standard_normal, seed=rng),
            gn.nn.Sigmoid(),
        ]
    )
    for dense in (model[0], model[2]):
        dense.b.data[:] = rng.standard_normal(dense.b.shape)
    return model


def main(smoke: bool = False, seed: int = 0) -> dict:
    (x, y), (x_test, y_test) = gn.data.load_mnist()
    train_rows, test_rows, epochs = (1_000, 1_000, 1) if smoke else (50_000, 10_000, 30)
    x = x[:train_rows].reshape(-1, 784) / np.float32(255)
    x_test, y_test = x_test[:test_rows].reshape(-1, 784) / np.float32(255), y_test[:test_rows]
    model = build(seed).compile(gn.optim.SGD(lr=3.0), "quadratic", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(
        x,
        gn.data.one_hot(y[:train_rows], 10),
        epochs=epochs,
        batch_size=10,
        validation_data=(x_test, gn.data.one_hot(y_test, 10)),
        verbose=2,
        seed=seed,
    )
    seconds = time.perf_counter() - started
    accuracy, best = history["val_accuracy"][-1], max(history["val_accuracy"])
    print(
        f"seeds' network (seed {seed}): test accuracy {accuracy:.2%} after {epochs} epochs "
        f"(best epoch {best:.2%}) in {seconds:.0f} s"
    )
    return {"test_accuracy": accuracy, "best": best, "seconds": seconds, "history": history}


if __name__ == "__main__":
    main(
        smoke=os.environ.get("GLASSNET_SMOKE") == "1", seed=int(sys.argv[1]) if sys.argv[1:] else 0
    )
