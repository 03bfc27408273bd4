"""One browser tab's experiment: its data, its model, its optimizer and its training loop.

Training is the hand-written loop of the public API, one mini-batch at a time, so that the
page can stop after any batch:

    1. at the start of an epoch, order = a fresh permutation of the training rows
    2. batch = the next ``batch_size`` rows of ``order`` (the last batch may be smaller)
    3. C = loss(model(x_batch), y_batch) + (λ/2)·Σ‖w‖²   (Dense weights, not biases)
    4. C.backward();  optimizer.step()

The same seed gives the same data, initial weights, batch order and dropout masks; the
exported script replays the identical ``steps`` (with every learning-rate change at the
step it happened) and so ends with the identical weights.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

import glassnet as gn
from glassnet import activations, nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message
from glassnet.playground import views
from glassnet.playground.datasets import Prepared, prepare
from glassnet.playground.explainers import explain_neuron, explain_weight, run_doctor

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Session", "build_model"]

MAX_DIGITS = 16


def build_model(settings: dict, n_in: int, n_out: int) -> gn.Sequential:
    """Dense → activation (→ Dropout) per hidden layer, then a linear Dense output layer.

    Layer k's weights are seeded with seed + 1 + k and its dropout with seed + 101 + k.
    """
    seed, sizes, layers = settings["seed"], [n_in, *settings["hidden"]], []
    spec = activations.get(settings["activation"])
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [nn.Dense(a, b, seed=seed + 1 + k), spec.make()]
        if settings["dropout"] > 0:
            layers.append(nn.Dropout(settings["dropout"], seed=seed + 101 + k))
    layers.append(nn.Dense(sizes[-1], n_out, seed=seed + 1 + len(settings["hidden"])))
    return gn.Sequential(layers)


def build_optimizer(settings: dict, params: list) -> gn.optim.Optimizer:
    if settings["optimizer"] == "adam":
        return gn.optim.Adam(params, lr=settings["lr"])
    momentum = 0.9 if settings["optimizer"] == "momentum" else 0.0
    return gn.optim.SGD(params, lr=settings["lr"], momentum=momentum)


def _finite(value: float) -> float | None:
    """JSON has no NaN or ∞: a diverged number travels as null."""
    return value if np.isfinite(value) else None


def _listed(array: np.ndarray) -> list:
    """Nested lists for JSON, rounded to 5 decimals in float64 (a float32 would print as
    0.10322000086307526, tripling the message); non-finite entries (a diverged run) become 0."""
    array = np.asarray(array, np.float64)
    return np.round(np.where(np.isfinite(array), array, 0.0), 5).tolist()


class Session:
    """A model trained step by step on the data that ``settings`` describe.

    ``upload`` holds the CSV bytes when the data set is an uploaded CSV; ``data``, when
    given, is ``prepare(settings, upload)`` already made (the server parses a CSV outside
    the engine lock, so other tabs keep training meanwhile).
    """

    def __init__(
        self, settings: dict, upload: bytes | None = None, data: Prepared | None = None
    ) -> None:
        self.settings = dict(settings)
        self.data: Prepared = prepare(self.settings, upload) if data is None else data
        if self.settings["loss"] == "cross_entropy" and not self.data.classes:
            raise ConfigError(
                message(
                    "settings.loss",
                    "cross-entropy needs classes, and this target is a continuous number",
                    "'cross_entropy'",
                    "'squared_error' for a regression",
                )
            )
        self.reset()

    # ---- state ----------------------------------------------------------------------
    def reset(self) -> None:
        """Fresh weights from the seed; step, epoch and learning-rate log start over."""
        s, d = self.settings, self.data
        s["lr"] = getattr(self, "lr", s["lr"])  # a rate set on the page survives Reset
        self.model = build_model(s, d.x_train.shape[1], d.classes or 1)
        loss = gn.losses.CrossEntropy() if s["loss"] == "cross_entropy" else gn.losses.MSE()
        self.model.compile(build_optimizer(s, self.model.parameters()), loss)
        self.loss, self.optimizer = self.model.loss, self.model.optimizer
        self.weights = [m.w for m in self.model.layers if isinstance(m, nn.Dense)]
        self.targets = self._targets(d.y_train)
        self.shuffle = np.random.default_rng(s["seed"] + 1000)
        self.steps, self.epoch, self.cursor, self.order = 0, 0, 0, None
        self.lr, self.lr_log = s["lr"], []
        self.history: dict[str, list[float]] = {k: [] for k in ("loss", "val_loss")}
        self.recorded_epoch = 0
        self._captured = gn.capture(self._update)  # replays the step after two recordings

    @property
    def batches_per_epoch(self) -> int:
        n, size = len(self.data.x_train), self.settings["batch_size"]
        return -(-n // size)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """What the loss compares with: labels for cross-entropy, one-hot rows for squared
        error on classes, the standardised value for a regression."""
        if self.settings["loss"] == "cross_entropy" or not self.data.classes:
            return y
        return np.eye(self.data.classes, dtype=np.float32)[y]

    def objective(
        self,
        prediction: gn.Tensor,
        target: np.ndarray,
        l2: float | None = None,
        l1: float | None = None,
    ) -> gn.Tensor:
        """C = loss(prediction, target) + (λ/2)·Σ‖w‖² + λ₁·Σ|w| over the Dense weights
        (λ: ``l2``, λ₁: ``l1``, by default the session's settings)."""
        cost = self.loss(prediction, target)
        l2 = self.settings["l2"] if l2 is None else l2
        l1 = self.settings.get("l1", 0.0) if l1 is None else l1
        if l2 > 0:
            cost = cost + sum((w * w).sum() for w in self.weights) * (l2 / 2)
        if l1 > 0:
            cost = cost + sum(w.abs().sum() for w in self.weights) * l1
        return cost

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on (logged for the exported script)."""
        if float(lr) == self.lr:
            return
        self.lr = self.optimizer.lr = float(lr)
        if self.steps == 0:
            self.settings["lr"] = self.lr
            return
        self.lr_log = [e for e in self.lr_log if e[0] != self.steps] + [(self.steps, self.lr)]

    # ---- training -------------------------------------------------------------------
    def train_batch(self) -> float:
        """One optimizer step on the next mini-batch; returns the batch's cost."""
        n, size = len(self.data.x_train), self.settings["batch_size"]
        if self.cursor == 0:
            self.order = self.shuffle.permutation(n)
        rows = self.order[self.cursor : self.cursor + size]
        self.model.train()
        l1 = self.settings.get("l1", 0.0)
        with np.errstate(over="ignore", invalid="ignore"):  # the page's doctor explains instead
            cost = self._captured(
                self.data.x_train[rows], self.targets[rows], self.settings["l2"], l1
            )
        self.steps += 1
        self.cursor += size
        if self.cursor >= n:
            self.cursor, self.epoch = 0, self.epoch + 1
        return float(cost.item())

    def _update(self, x: np.ndarray, target: np.ndarray, l2: float, l1: float) -> gn.Tensor:
        """Forward, cost, backward, update: the step gn.capture records and replays (l2 and
        l1 are arguments so that a new value is a new program, never a stale constant)."""
        cost = self.objective(self.model(x), target, l2, l1)
        self.optimizer.zero_grad()
        cost.backward()
        self.optimizer.step()
        return cost

    def step(self, unit: str) -> None:
        """One batch, or the batches up to the end of the current epoch."""
        self.train_batch()
        while unit == "epoch" and self.cursor != 0:
            self.train_batch()

    def finish_epoch_for(self, seconds: float) -> bool:
        """Batches up to the end of the current epoch, for about ``seconds`` at most; True
        once the epoch is over. ``step("epoch")`` in slices, so other tabs get their turns."""
        end = time.perf_counter() + seconds
        while self.cursor != 0 and time.perf_counter() < end:
            self.train_batch()
        return self.cursor == 0

    def train_for(self, seconds: float) -> int:
        """Train batch after batch for about ``seconds`` but at most one epoch (so that the
        page can follow the learning), at least one batch; returns how many batches ran."""
        end, count = time.perf_counter() + seconds, 0
        while count < self.batches_per_epoch and (count == 0 or time.perf_counter() < end):
            self.train_batch()
            count += 1
        return count

    # ---- measuring ------------------------------------------------------------------
    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        """(loss, accuracy) of the data loss in eval mode; accuracy is None for a regression."""
        self.model.eval()
        with no_grad():
            scores = self.model(x)
            cost = float(self.loss(scores, self._targets(y)).item())
        if not self.data.classes:
            return cost, None
        return cost, float(np.mean(scores.data.argmax(axis=1) == y))

    def metrics(self) -> dict:
        d = self.data
        train_loss, train_acc = self.evaluate(d.x_train, d.y_train)
        test_loss, test_acc = self.evaluate(d.x_test, d.y_test)
        if self.epoch > self.recorded_epoch:  # the doctor reads one entry per epoch
            self.recorded_epoch = self.epoch
            self.history["loss"].append(train_loss)
            self.history["val_loss"].append(test_loss)
        losses = (train_loss, test_loss)
        return {
            "train_loss": _finite(train_loss),
            "test_loss": _finite(test_loss),
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "diverged": not all(np.isfinite(losses)),
        }

    def snapshot(self, with_doctor: bool = False) -> dict:
        """Everything one page update needs: counters, metrics, weights and the views."""
        dense = [m for m in self.model.layers if isinstance(m, nn.Dense)]
        mnist = self.settings["dataset"] == "mnist"
        state = {
            "type": "state",
            "steps": self.steps,
            "epoch": self.epoch,
            "epoch_progress": self.epoch + self.cursor / len(self.data.x_train),
            "lr": self.lr,
            **self.metrics(),
            "weights": [
                None if (mnist and k == 0) else _listed(m.w.data) for k, m in enumerate(dense)
            ],
            "biases": [_listed(m.b.data) for m in dense],
        }
        if self.data.is_plane:
            state["plane"] = views.plane_view(self.model, self.data, self.settings["features"])
        if mnist:
            state["filters"] = views.weight_images(dense[0].w.data)
            state["predictions"] = self.predict(self.data.x_test[:MAX_DIGITS]).tolist()
        if with_doctor:
            state["doctor"] = run_doctor(self, state)
        return state

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        with no_grad():
            scores = self.model(x).data
        return scores.argmax(axis=1) if self.data.classes else scores[:, 0]

    def topology(self) -> dict:
        """The fixed facts of this experiment, sent once after ``configure``."""
        d, dense = self.data, [m for m in self.model.layers if isinstance(m, nn.Dense)]
        info = {
            "type": "ready",
            "settings": self.settings,
            "sizes": [d.x_train.shape[1]] + [m.out_features for m in dense],
            "features": d.feature_names if len(d.feature_names) <= 64 else [],
            "classes": d.classes,
            "class_names": d.class_names,
            "train_size": len(d.x_train),
            "test_size": len(d.x_test),
            "batches_per_epoch": self.batches_per_epoch,
        }
        if d.is_plane:
            info["extent"], info["grid"] = d.extent, views.GRID
            info["points"] = {
                "train": np.round(d.points_train, 4).tolist(),
                "test": np.round(d.points_test, 4).tolist(),
                "train_y": np.asarray(d.y_train).reshape(-1).round(4).tolist(),
                "test_y": np.asarray(d.y_test).reshape(-1).round(4).tolist(),
            }
            info["input_maps"] = views.input_maps(d, self.settings["features"])
        if self.settings["dataset"] == "mnist":
            info["digits"] = views.digit_images(d.x_test[:MAX_DIGITS])
            info["digit_labels"] = d.y_test[:MAX_DIGITS].tolist()
        return info

    # ---- the math on demand -----------------------------------------------------------
    def explain_weight(self, layer: int, row: int, col: int, sample: int) -> dict:
        return explain_weight(self, layer, row, col, sample)

    def explain_neuron(
        self, layer: int, unit: int, point: Sequence[float] | None, sample: int | None
    ) -> dict:
        return explain_neuron(self, layer, unit, point, sample)
