"""Transfer learning: reuse a network trained on digits 0–4 to learn digits 5–9 from 500 images.

    python examples/transfer_learning.py

1. Load ``mnist-cnn-digits0-4``, a pretrained CNN that has only ever seen digits 0–4
   (``examples/make_pretrained_mnist_cnn.py`` made it).
2. Keep its convolutional base (layers 0–7: two Conv2D + BatchNorm + ReLU + MaxPool
   blocks), freeze it with ``model.freeze(up_to=8)``, and put a new, randomly initialised
   head on top: Flatten, Dense(1568 → 64), ReLU, Dense(64 → 5).
3. Train only the head on 500 labelled images of digits 5–9.
4. Train the same architecture from scratch on the same 500 images, same epochs.
5. Repeat for three seeds (three draws of the 500 images) and for a short (2 epochs) and
   a long (15 epochs) training budget.

The frozen base's BatchNorm layers normalise with their running statistics from the
pretraining data, not with the statistics of each new batch (a frozen BatchNorm is in
inference mode even during ``fit``), and their weights and statistics stay bit for bit
what they were. The base's features (edges, strokes, curves) transfer to the new digits,
so the fine-tuned network is already good after two epochs, where the same network
trained from scratch is far behind; each of its epochs is also several times faster (no
backward pass through the base). Given many more epochs the network from scratch catches
up: 500 images of five digits are enough for a small CNN, and both end near 95%.
"""

from __future__ import annotations

import time

import numpy as np

import glassnet as gn
from glassnet.vision import mnist_to_images

PRETRAINED = "mnist-cnn-digits0-4"
NEW_DIGITS = range(5, 10)


def new_task_data(labelled: int = 500, test: int | None = None, seed: int = 0):
    """``labelled`` random training images of digits 5–9 and the test images of 5–9
    (the first ``test`` of them), labels shifted to 0–4."""
    (x_train, y_train), (x_test, y_test) = gn.data.load_mnist()
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(np.isin(y_train, NEW_DIGITS))
    pick = rng.choice(pool, labelled, replace=False)
    test_rows = np.flatnonzero(np.isin(y_test, NEW_DIGITS))[:test]
    shift = NEW_DIGITS.start
    return (
        (mnist_to_images(x_train[pick]), y_train[pick] - shift),
        (mnist_to_images(x_test[test_rows]), y_test[test_rows] - shift),
    )


def head(seed: int) -> list:
    """The new classifier on top of the 32×7×7 feature maps: 5 outputs for digits 5–9."""
    nn = gn.nn
    return [nn.Flatten(), nn.Dense(1568, 64, seed=seed), nn.ReLU(), nn.Dense(64, 5, seed=seed + 1)]


def fine_tuned(seed: int = 0) -> gn.Sequential:
    """The pretrained convolutional base, frozen, under a new head."""
    base = gn.pretrained.load(PRETRAINED).layers[: gn.pretrained.BASE_LAYERS]
    model = gn.Sequential([*base, *head(seed)])
    return model.freeze(up_to=gn.pretrained.BASE_LAYERS)


def from_scratch(seed: int = 0) -> gn.Sequential:
    """The same architecture with every weight random and trainable."""
    nn = gn.nn
    base = [
        nn.Conv2D(1, 16, 3, padding="same", seed=seed + 10),
        nn.BatchNorm(16),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(16, 32, 3, padding="same", seed=seed + 11),
        nn.BatchNorm(32),
        nn.ReLU(),
        nn.MaxPool2D(2),
    ]
    return gn.Sequential([*base, *head(seed)])


def train_and_score(model: gn.Sequential, data, epochs: int, seed: int = 0) -> dict:
    """Fit on the labelled images; return test accuracy and training seconds."""
    (x, y), (x_test, y_test) = data
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="cross_entropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=seed)
    seconds = time.perf_counter() - start
    return {"accuracy": model.evaluate(x_test, y_test)["accuracy"], "seconds": seconds}


def compare(epochs: int, seeds=(0, 1, 2), test: int | None = None) -> dict[str, list[dict]]:
    """Fine-tuned vs from scratch, same data and epochs, one run per seed (each seed draws
    its own 500 images and initial weights)."""
    results = {"fine-tuned": [], "from scratch": []}
    for seed in seeds:
        data = new_task_data(500, test=test, seed=seed)
        results["fine-tuned"].append(train_and_score(fine_tuned(seed), data, epochs, seed))
        results["from scratch"].append(train_and_score(from_scratch(seed), data, epochs, seed))
    return results


def main(epochs: int = 2, long_epochs: int = 15) -> None:
    fine_tuned().summary((1, 28, 28))
    for budget in (epochs, long_epochs):
        results = compare(budget)
        print(f"\ndigits 5–9 from 500 labelled images, {budget} epochs, mean of seeds 0, 1, 2:")
        for name, runs in results.items():
            accuracy = np.mean([r["accuracy"] for r in runs])
            seconds = np.mean([r["seconds"] for r in runs])
            each = ", ".join(f"{r['accuracy']:.1%}" for r in runs)
            print(f"  {name:13s} test accuracy {accuracy:.2%} ({each})   training {seconds:.1f} s")


if __name__ == "__main__":
    main()
