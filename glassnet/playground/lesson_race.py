"""The gradient-descent race: five optimizers train copies of one network, side by side.

Same data, same initial weights; each round every runner makes one update:

    GD          SGD on the full batch (n = 200):  w ← w − η ∇L_batch(w)
    SGD         SGD on one example at a time (batch 1)
    mini-batch  SGD on batches of 16
    momentum    v ← μ·v + ∇L, w ← w − η·v  (μ = 0.9), batches of 16
    Adam        Adam (β₁ 0.9, β₂ 0.999), batches of 16

and reports its loss on the whole data set, L = (1/n) Σ (ŷ − y)² (MSE). The learning rate
η is shared and may change between rounds. Batches are drawn without replacement from a
per-runner shuffle (seeded), as ``Model.fit`` does.
"""

from __future__ import annotations

import math
import secrets
from collections import OrderedDict

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message
from glassnet.playground.lessons import numbers

__all__ = ["RUNNERS", "race_data", "race_model", "Race", "RaceStore"]

#: runner → (batch size, None = all; optimizer factory)
RUNNERS = {
    "GD": (None, lambda p, lr: gn.optim.SGD(p, lr=lr)),
    "SGD": (1, lambda p, lr: gn.optim.SGD(p, lr=lr)),
    "mini-batch": (16, lambda p, lr: gn.optim.SGD(p, lr=lr)),
    "momentum": (16, lambda p, lr: gn.optim.SGD(p, lr=lr, momentum=0.9)),
    "Adam": (16, lambda p, lr: gn.optim.Adam(p, lr=lr)),
}
SAMPLES, MAX_RACES = 200, 16


def race_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """200 points x ∈ N(0, 1)², y = sin(2x₁) + ½x₂² + noise (σ 0.1), shape (200, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, 2))
    y = np.sin(2 * x[:, :1]) + 0.5 * x[:, 1:] ** 2 + rng.normal(0, 0.1, (SAMPLES, 1))
    return x, y


def race_model(seed: int = 0) -> gn.Sequential:
    """2 → 16 → 1 with tanh, float64, weights from ``seed`` (the same for every runner)."""
    return gn.Sequential(
        [
            nn.Dense(2, 16, seed=seed, dtype=np.float64),
            nn.Tanh(),
            nn.Dense(16, 1, seed=seed + 1, dtype=np.float64),
        ]
    )


class Runner:
    """One contestant: its model copy, optimizer, batch order and loss history."""

    def __init__(self, name: str, lr: float, seed: int, index: int) -> None:
        self.name, (self.batch, make) = name, RUNNERS[name]
        self.model = race_model(seed)
        self.optimizer = make(self.model.parameters(), lr)
        self.rng = np.random.default_rng(seed + 100 + index)
        self.order, self.position = np.arange(SAMPLES), SAMPLES
        self.loss_fn, self.losses = gn.losses.MSE(), []

    def rows(self) -> np.ndarray:
        if self.batch is None:
            return self.order
        if self.position + self.batch > SAMPLES:
            self.order, self.position = self.rng.permutation(SAMPLES), 0
        self.position += self.batch
        return self.order[self.position - self.batch : self.position]

    def update(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One optimizer step on the next batch, then the loss on all of (x, y)."""
        if self.losses and not math.isfinite(self.losses[-1]):
            return self.losses[-1]  # diverged: it stays out of the race
        self.optimizer.lr = lr
        rows = self.rows()
        self.optimizer.zero_grad()
        self.loss_fn(self.model(x[rows]), y[rows]).backward()
        self.optimizer.step()
        with no_grad():
            loss = float(self.loss_fn(self.model(x), y).item())
        self.losses.append(loss if math.isfinite(loss) and loss < 1e12 else math.inf)
        return self.losses[-1]


class Race:
    """Five runners on the same data from the same initial weights."""

    def __init__(self, lr: float, seed: int = 0) -> None:
        self.x, self.y = race_data(seed)
        self.runners = [Runner(n, lr, seed, i) for i, n in enumerate(RUNNERS)]
        with no_grad():
            start = float(gn.losses.MSE()(race_model(seed)(self.x), self.y).item())
        self.start = start

    def step(self, lr: float, rounds: int = 1) -> dict:
        """``rounds`` updates of every runner; their losses after each (None: diverged)."""
        losses = {
            r.name: [r.update(self.x, self.y, lr) for _ in range(rounds)] for r in self.runners
        }
        clean = {n: [v if math.isfinite(v) else None for v in vs] for n, vs in losses.items()}
        return {"losses": clean, "updates": len(self.runners[0].losses)}


class RaceStore:
    """The live races of one server, newest last; the oldest is dropped past MAX_RACES."""

    def __init__(self) -> None:
        self.races: OrderedDict[str, Race] = OrderedDict()

    def handle(self, request: dict) -> dict:
        where = "lessons.race"
        lr = float(numbers(where, "lr", request.get("lr", 0.05), (), 1e-5, 10))
        rounds = request.get("rounds", 1)
        if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 100:
            raise ConfigError(message(where, "rounds is out of range", repr(rounds), "1 … 100"))
        token = request.get("token")
        if token is None:
            token, race = secrets.token_urlsafe(9), Race(lr)
            self.races[token] = race
            while len(self.races) > MAX_RACES:
                self.races.popitem(last=False)
            return {"token": token, "runners": list(RUNNERS), "start": race.start, "updates": 0}
        if token not in self.races:
            raise ConfigError(
                message(where, "no such race", repr(token)[:40], "a token from a started race")
            )
        return {"token": token, **self.races[token].step(lr, rounds)}
