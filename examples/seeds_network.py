"""The lessons' MNIST network: [784, 30, 10] sigmoid neurons trained by mini-batch SGD.

The setup, as the lessons give it:

- layers 784 → 30 → 10, a sigmoid after both weighted sums (so outputs lie in (0, 1));
- the quadratic cost C = 1/(2n) Σₓ ‖y(x) − a(x)‖² against one-hot targets y(x);
- stochastic gradient descent, learning rate η = 3.0, mini-batches of 10, 30 epochs;
- trained on the first 50,000 training images, tested on the 10,000 test images.

The target is ≥ 95% test accuracy. The lessons leave the starting weights open. By
default they are Glorot-uniform, w ~ U(−a, a) with a = √(6 / (fan_in + fan_out)), biases 0
(glassnet's Dense default). ``--init normal`` draws weights and biases from N(0, 1)
instead: such large weights push many sigmoids into saturation, where σ′(z) ≈ 0, so the
first epochs stall at 60–75% and the run ends about half a point lower.

``GLASSNET_SMOKE=1`` runs a tiny version (1,000 images, 1 epoch, 1,000 test images).

    python examples/seeds_network.py [--seed 0] [--init glorot|normal]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import glassnet as gn


def standard_normal(shape, seed=None, dtype=np.float32):
    """w ~ N(0, 1) (``--init normal``, used for weights and biases alike)."""
    return gn.nn.init.normal(shape, std=1.0, seed=seed, dtype=dtype)


def build(seed: int = 0, init: str = "glorot") -> gn.Sequential:
    """784 → 30 → 10 with sigmoids; ``init`` is "glorot" (default) or "normal" (N(0, 1))."""
    rng = np.random.default_rng(seed)
    weights = standard_normal if init == "normal" else "glorot_uniform"
    model = gn.Sequential(
        [
            gn.nn.Dense(784, 30, init=weights, seed=rng),
            gn.nn.Sigmoid(),
            gn.nn.Dense(30, 10, init=weights, seed=rng),
            gn.nn.Sigmoid(),
        ]
    )
    if init == "normal":
        for dense in (model[0], model[2]):
            dense.b.data[:] = rng.standard_normal(dense.b.shape)
    return model


def main(smoke: bool = False, seed: int = 0, init: str = "glorot") -> dict:
    (x, y), (x_test, y_test) = gn.data.load_mnist()
    train_rows, test_rows, epochs = (1_000, 1_000, 1) if smoke else (50_000, 10_000, 30)
    x = x[:train_rows].reshape(-1, 784) / np.float32(255)
    x_test, y_test = x_test[:test_rows].reshape(-1, 784) / np.float32(255), y_test[:test_rows]
    model = build(seed, init).compile(gn.optim.SGD(lr=3.0), "quadratic", metrics=["accuracy"])
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
        f"seeds' network ({init} init, seed {seed}): test accuracy {accuracy:.2%} "
        f"after {epochs} epochs (best epoch {best:.2%}) in {seconds:.0f} s"
    )
    return {"test_accuracy": accuracy, "best": best, "seconds": seconds, "history": history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The lessons' 784-30-10 sigmoid network.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", choices=("glorot", "normal"), default="glorot")
    args = parser.parse_args()
    main(os.environ.get("GLASSNET_SMOKE") == "1", args.seed, args.init)
