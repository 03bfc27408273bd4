"""Export: the playground's experiment as a standalone glassnet script.

The script repeats what the server did, step for step: the same data preparation
(:mod:`glassnet.playground.datasets`), the same seeded layers (:func:`session.build_model`),
the same shuffling and the same number of optimizer steps, with each learning-rate change at
the step where it was made. Run it and it reaches the weights, and so the accuracy, that the
page showed. Settings enter the text only through ``repr`` of validated values, so nothing a
page sends can become code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from glassnet import activations
from glassnet.playground.protocol import PLANE_DATASETS, REGRESSION_DATASETS

if TYPE_CHECKING:
    from glassnet.playground.session import Session

__all__ = ["script", "MODEL_FILE"]

MODEL_FILE = "playground_model.gn"

_FEATURES = {
    "x1": "p[:, 0]",
    "x2": "p[:, 1]",
    "x1^2": "p[:, 0] ** 2",
    "x2^2": "p[:, 1] ** 2",
    "x1*x2": "p[:, 0] * p[:, 1]",
    "sin(x1)": "np.sin(p[:, 0])",
    "sin(x2)": "np.sin(p[:, 1])",
}
_GENERATORS = {name: f"make_{name}" for name in PLANE_DATASETS}

_STANDARDISE_Y = """\
mean, std = float(y_train.mean()), float(y_train.std()) or 1.0
y_train = ((np.asarray(y_train, np.float64).reshape(-1, 1) - mean) / std).astype(np.float32)
y_test = ((np.asarray(y_test, np.float64).reshape(-1, 1) - mean) / std).astype(np.float32)
"""


def _data_plane(s: dict) -> str:
    feats = ",\n        ".join(_FEATURES[f] for f in s["features"])
    arms = f", n_classes={s['classes']!r}" if s["dataset"] == "spiral" else ""
    make = f"{_GENERATORS[s['dataset']]}({s['samples']!r}, noise={s['noise']!r}, seed=SEED{arms})"
    text = f"""\
x, y = gn.data.{make}
p_train, p_test, y_train, y_test = gn.data.train_test_split(
    x, y, test_size={s["test_size"]!r}, seed=SEED
)


def features(p):
    \"\"\"The input features {", ".join(s["features"])} of (N, 2) points.\"\"\"
    return np.stack([
        {feats},
    ], axis=1).astype(np.float32)


x_train, x_test = features(p_train), features(p_test)
"""
    if s["dataset"] in REGRESSION_DATASETS:
        return text + _STANDARDISE_Y
    return text + "y_train, y_test = y_train.astype(np.intp), y_test.astype(np.intp)\n"


def _data_mnist(s: dict) -> str:
    return f"""\
(images, labels), _ = gn.data.load_mnist()
pick = np.random.default_rng(SEED).choice(len(images), {s["samples"]!r}, replace=False)
x = images[pick].reshape(len(pick), -1).astype(np.float32) / 255.0
y = labels[pick].astype(np.intp)
x_train, x_test, y_train, y_test = gn.data.train_test_split(
    x, y, test_size={s["test_size"]!r}, seed=SEED
)
"""


def _data_csv(s: dict, classes: int, csv_name: str) -> str:
    text = f"""\
x, y, names = gn.data.load_csv({csv_name!r}, target={s["target"]!r})
x = np.asarray(x, np.float32)
x_train, x_test, y_train, y_test = gn.data.train_test_split(
    x, y, test_size={s["test_size"]!r}, seed=SEED
)
scaler = gn.data.StandardScaler().fit(x_train)
x_train = np.asarray(scaler.transform(x_train), np.float32)
x_test = np.asarray(scaler.transform(x_test), np.float32)
"""
    if not classes:
        return text + _STANDARDISE_Y
    return text + (
        "values = np.unique(np.asarray(y, np.float64))  # class k is the k-th smallest value\n"
        "y_train = np.searchsorted(values, np.asarray(y_train, np.float64)).astype(np.intp)\n"
        "y_test = np.searchsorted(values, np.asarray(y_test, np.float64)).astype(np.intp)\n"
    )


def _model(s: dict, n_in: int, n_out: int) -> str:
    sizes, lines = [n_in, *s["hidden"]], []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        lines.append(f"gn.nn.Dense({a}, {b}, seed=SEED + {1 + k}),")
        lines.append(f"gn.nn.{activations.get(s['activation']).module.__name__}(),")
        if s["dropout"] > 0:
            lines.append(f"gn.nn.Dropout({s['dropout']!r}, seed=SEED + {101 + k}),")
    lines.append(f"gn.nn.Dense({sizes[-1]}, {n_out}, seed=SEED + {1 + len(s['hidden'])}),")
    return "model = gn.Sequential([\n" + "".join(f"    {line}\n" for line in lines) + "])\n"


def _loss_code(s: dict, classes) -> tuple[str, str]:
    """The loss expression and the target it compares with (one-hot rows for MSE on classes)."""
    if s["loss"] == "cross_entropy":
        return "gn.losses.CrossEntropy()", "y_train"
    if classes:
        return "gn.losses.MSE()", f"np.eye({classes}, dtype=np.float32)[y_train]"
    return "gn.losses.MSE()", "y_train"


def _optimizer_code(s: dict) -> str:
    """The optimizer expression: Adam, or SGD with momentum 0.9 ("momentum") or 0."""
    if s["optimizer"] == "adam":
        return f"gn.optim.Adam(model.parameters(), lr={s['lr']!r})"
    momentum = 0.9 if s["optimizer"] == "momentum" else 0.0
    return f"gn.optim.SGD(model.parameters(), lr={s['lr']!r}, momentum={momentum!r})"


def _penalty_code(l2: float, l1: float = 0.0) -> str:
    """The lines adding the L2 and L1 terms to the cost (none when they are 0)."""
    code = ""
    if l2 > 0:
        code += (
            f"\n    cost = cost + sum((w * w).sum() for w in weights) * ({l2!r} / 2)"
            "  # L2: (λ/2)·Σ‖w‖²"
        )
    if l1 > 0:
        code += f"\n    cost = cost + sum(w.abs().sum() for w in weights) * {l1!r}  # L1: λ₁·Σ|w|"
    return code


def _training(s: dict, session) -> str:
    """The training loop: the page's loss, optimizer, L2 term, batches and lr changes."""
    loss, target = _loss_code(s, session.data.classes)
    opt, penalty = _optimizer_code(s), _penalty_code(s["l2"], s.get("l1", 0.0))
    return f"""\
loss = {loss}
optimizer = {opt}
model.compile(optimizer, loss)  # the saved file records them too
weights = [m.w for m in model.layers if isinstance(m, gn.nn.Dense)]
target = {target}
LR_CHANGES = {dict(session.lr_log)!r}  # step → new learning rate, as set on the page
STEPS, BATCH = {session.steps!r}, {s["batch_size"]!r}

shuffle = np.random.default_rng(SEED + 1000)
n, cursor = len(x_train), 0
for step in range(STEPS):
    if step in LR_CHANGES:
        optimizer.lr = LR_CHANGES[step]
    if cursor == 0:
        order = shuffle.permutation(n)
    rows = order[cursor : cursor + BATCH]
    model.train()
    cost = loss(model(x_train[rows]), target[rows]){penalty}
    optimizer.zero_grad()
    cost.backward()
    optimizer.step()
    cursor = 0 if cursor + BATCH >= n else cursor + BATCH
"""


def _report(classes: int) -> str:
    if not classes:
        return """\
model.eval()
with gn.no_grad():
    test_loss = loss(model(x_test), y_test).item()
print(f"test loss {test_loss:.4f} (standardised target)")
"""
    return """\
model.eval()
with gn.no_grad():
    predicted = model(x_test).numpy().argmax(axis=1)
print(f"test accuracy {np.mean(predicted == y_test):.4f}")
"""


def _needs(s: dict, csv_name: str) -> str:
    if s["dataset"] != "csv":
        return ""
    return f"\nPut the uploaded file {csv_name!r} next to this script before running it."


def safe_file_name(name: str) -> str:
    """Letters, digits, ``._-`` and spaces only (the name enters the script's text)."""
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:100].strip()
    return cleaned or "data.csv"


def script(session: Session, csv_name: str = "data.csv") -> str:
    """The Python source of the session's experiment, trained to its current step.

    ``csv_name`` (the uploaded file's name, from the page) is reduced to safe characters.
    """
    s, d = session.settings, session.data
    csv_name = safe_file_name(csv_name)
    if s["dataset"] in PLANE_DATASETS:
        data = _data_plane(s)
    elif s["dataset"] == "mnist":
        data = _data_mnist(s)
    else:
        data = _data_csv(s, d.classes, csv_name)
    return "\n".join(
        [
            f'"""glassnet playground export: {s["dataset"]}, hidden layers {s["hidden"]}, '
            f"{s['activation']}, {s['loss']}, {s['optimizer']}.\n\n"
            f"Replays the page's {session.steps} training steps exactly, then saves the "
            f'model and prints the test score.{_needs(s, csv_name)}\n"""',
            "import numpy as np\n\nimport glassnet as gn\n",
            f"SEED = {s['seed']!r}\n",
            data,
            _model(s, d.x_train.shape[1], d.classes or 1),
            _training(s, session),
            _report(d.classes),
            f"model.save({MODEL_FILE!r})\n",
        ]
    )
