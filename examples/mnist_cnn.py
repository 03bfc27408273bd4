"""The Keras mnist_cnn example in glassnet: a small convolutional network on MNIST.

    python examples/mnist_cnn.py                 # 12 epochs, the Keras setup
    python examples/mnist_cnn.py --epochs 1 --limit 6000   # a quick look

Network (as in keras/examples/mnist_cnn.py, which reports 99.25% test accuracy after 12
epochs): Conv 32 3×3 ReLU, Conv 64 3×3 ReLU, MaxPool 2, Dropout 0.25, Flatten,
Dense 128 ReLU, Dropout 0.5, Dense 10; batch 128, cross-entropy. Keras used Adadelta;
here Adam (lr 1e-3), the usual choice today. Every epoch prints its wall time and the
test accuracy; at the end, ``--torch-steps`` steps of the same network in PyTorch eager
(if installed) are timed in this same process for the s/epoch comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import glassnet as gn
from glassnet.vision import mnist_to_images


def build(seed: int = 0) -> gn.Sequential:
    """The mnist_cnn network; 1,199,882 parameters, almost all in the 9216 → 128 Dense."""
    nn = gn.nn
    return gn.Sequential(
        [
            nn.Conv2D(1, 32, 3, seed=seed),
            nn.ReLU(),
            nn.Conv2D(32, 64, 3, seed=seed + 1),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Dropout(0.25, seed=seed + 2),
            nn.Flatten(),
            nn.Dense(9216, 128, seed=seed + 3),
            nn.ReLU(),
            nn.Dropout(0.5, seed=seed + 4),
            nn.Dense(128, 10, seed=seed + 5),
        ]
    )


class EpochTimer(gn.callbacks.Callback):
    """Wall-clock seconds of each epoch's training (validation excluded), printed as it goes."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._last - self._start)
        print(
            f"epoch {epoch + 1}: {self.seconds[-1]:.1f} s, loss {logs['loss']:.4f}, "
            f"test accuracy {logs['val_accuracy']:.4f}",
            flush=True,
        )


def torch_seconds_per_epoch(steps: int, x: np.ndarray, y: np.ndarray) -> float | None:
    """PyTorch eager on the same network and data, as benchmarks/cnn_epoch.py times it."""
    try:
        import torch
    except ImportError:
        return None
    sys.path.insert(
        0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks")
    )
    import _torch_workloads
    import cnn_epoch

    torch.set_num_threads(cnn_epoch.THREADS)
    parts = _torch_workloads.build("W3")  # the benchmark's twin of this network
    n, labels = steps * cnn_epoch.BATCH, y.astype(np.int64)
    _torch_workloads.epoch(parts, x[:256], labels[:256], cnn_epoch.BATCH, onehot=False)  # warm-up
    start = time.perf_counter()
    _torch_workloads.epoch(parts, x[:n], labels[:n], cnn_epoch.BATCH, onehot=False)
    return (time.perf_counter() - start) / steps * 469


def main(argv: list[str] | None = None) -> dict:
    """Train, print each epoch and the s/epoch comparison; return the numbers."""
    parser = argparse.ArgumentParser(description="Keras' mnist_cnn in glassnet")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--limit", type=int, default=None, help="use the first N training images")
    parser.add_argument("--torch-steps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = gn.data.load_mnist()
    x_train, y_train = mnist_to_images(x_train[: args.limit]), y_train[: args.limit]
    x_test = mnist_to_images(x_test)
    model = build(args.seed)
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="cross_entropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=128,
        validation_data=(x_test, y_test),
        callbacks=[timer],
        verbose=0,
        seed=args.seed,
    )
    steps = -(-len(x_train) // 128)
    per_epoch = float(np.median(timer.seconds)) * 469 / steps
    best = max(history["val_accuracy"])
    print(f"final test accuracy {history['val_accuracy'][-1]:.4f} (best {best:.4f})")
    print(f"glassnet: {per_epoch:.1f} s/epoch (median epoch, scaled to 469 steps of 128)")
    torch_time = torch_seconds_per_epoch(args.torch_steps, x_train, y_train)
    if torch_time is not None:
        print(f"torch eager: {torch_time:.1f} s/epoch ({args.torch_steps} steps timed here)")
        print(f"ratio: {per_epoch / torch_time:.2f} × torch")
    return {"history": history, "seconds_per_epoch": per_epoch, "torch_seconds": torch_time}


if __name__ == "__main__":
    main()
