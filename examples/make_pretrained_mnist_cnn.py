"""Re-create the pretrained models shipped in ``glassnet/pretrained/``.

    python examples/make_pretrained_mnist_cnn.py            # both models, writes the files
    python examples/make_pretrained_mnist_cnn.py --dry-run  # train and report, write nothing

Both share the architecture described in ``glassnet/pretrained/__init__.py``. Training:
Adam (lr 1e-3), cross-entropy, batch 128, seed 0, on the bundled MNIST training images
scaled to [0, 1]:

- ``mnist-cnn``: all 60,000 training images, all ten digits, 4 epochs;
- ``mnist-cnn-digits0-4``: the 30,596 training images of digits 0–4, 2 epochs (its head still has
  10 outputs; 5–9 are simply never the answer). ``examples/transfer_learning.py`` reuses
  its convolutional base for digits 5–9, which it has never seen.

Each model is saved uncompiled (weights and BatchNorm running statistics, no optimizer
state) and ``glassnet/pretrained/README.md`` is rewritten with the test accuracies.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.vision import mnist_to_images

TARGET = Path(__file__).resolve().parent.parent / "glassnet" / "pretrained"
SEED = 0
EPOCHS = {"mnist-cnn": 4, "mnist-cnn-digits0-4": 2}


def build(seed: int = SEED, classes: int = 10) -> gn.Sequential:
    """The pretrained architecture; layers 0–7 are the convolutional base."""
    nn = gn.nn
    return gn.Sequential(
        [
            nn.Conv2D(1, 16, 3, padding="same", seed=seed),
            nn.BatchNorm(16),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Conv2D(16, 32, 3, padding="same", seed=seed + 1),
            nn.BatchNorm(32),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(32 * 7 * 7, 64, seed=seed + 2),
            nn.ReLU(),
            nn.Dropout(0.3, seed=seed + 3),
            nn.Dense(64, classes, seed=seed + 4),
        ]
    )


def train(name: str, digits: range) -> tuple[dict, gn.Sequential]:
    """Train one model on the given digits; return its record for the README."""
    (x_train, y_train), (x_test, y_test) = gn.data.load_mnist()
    keep, keep_test = np.isin(y_train, digits), np.isin(y_test, digits)
    x, y = mnist_to_images(x_train[keep]), y_train[keep]
    model = build()
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="cross_entropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=EPOCHS[name], batch_size=128, verbose=1, seed=SEED)
    seconds = time.perf_counter() - start
    scores = model.evaluate(mnist_to_images(x_test[keep_test]), y_test[keep_test])
    record = {
        "name": name,
        "digits": f"{digits.start}–{digits.stop - 1}",
        "epochs": EPOCHS[name],
        "images": len(x),
        "accuracy": scores["accuracy"],
        "test_images": int(keep_test.sum()),
        "seconds": seconds,
        "params": model.count_params(),
    }
    print(record)
    return record, gn.Sequential(list(model.layers))  # uncompiled: no optimizer state


README = """# Pretrained models

Made by `examples/make_pretrained_mnist_cnn.py` (seed {seed}, Adam lr 1e-3, batch 128,
cross-entropy, bundled MNIST scaled to [0, 1]). Load with
`gn.pretrained.load(name)`; the architecture ({params:,} parameters) is described in
`__init__.py`.

| name | trained on | training images | epochs | test accuracy | test images | wall time* |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
{rows}

*Training wall-clock time on the machine that made the files (a 2-core machine shared
with other jobs at the time), so only a rough guide.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="re-create glassnet's pretrained models")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    records = []
    for name, digits in (("mnist-cnn", range(10)), ("mnist-cnn-digits0-4", range(5))):
        record, model = train(name, digits)
        records.append(record)
        if not args.dry_run:
            model.save(gn.pretrained.path(name))
    rows = "\n".join(
        f"| `{r['name']}` | digits {r['digits']} | {r['images']:,} | {r['epochs']} "
        f"| {r['accuracy']:.2%} "
        f"| {r['test_images']:,} | {r['seconds']:.0f} s |"
        for r in records
    )
    text = README.format(seed=SEED, params=records[0]["params"], rows=rows)
    print(text)
    if not args.dry_run:
        (TARGET / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
