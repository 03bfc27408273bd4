"""The perceptron: the first trainable artificial neuron, and why we moved beyond it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import positive_int, positive_number
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.nn import init as initializers
from glassnet.nn.module import Module, Parameter
from glassnet.tensor import Tensor, rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike


__all__ = ["Perceptron"]


class Perceptron(Module):
    """Rosenblatt's perceptron: a weighted sum followed by a step, trained by its own rule.

    Forward:   z = x·w + b,   output = step(z) = 1 if z > 0 else 0
    Learning rule (one example at a time, in order; η = lr):
               1. ŷ = step(x·w + b)
               2. w ← w + η·(y − ŷ)·x
               3. b ← b + η·(y − ŷ)
    Shapes:    x (N, in) → output (N,);  w (in,),  b ()

    A correct answer (y = ŷ) changes nothing; a mistake moves the boundary x·w + b = 0
    towards the misclassified point. If some line (a hyperplane in general) separates
    the two classes, the rule stops making mistakes after finitely many updates
    (Novikoff's convergence theorem): AND and OR are learned in a few epochs.

    XOR cannot be learned. Its positives (0, 1), (1, 0) and negatives (0, 0), (1, 1)
    lie on opposite corners of a square, so no single line separates them: whatever
    w and b are, at least one of the four points is on the wrong side, and the rule
    cycles forever. Two changes fix this, and every layer in glassnet makes both:

    - Hidden layers. A second layer combines several lines (e.g. "OR and not AND"),
      which carves out regions no single neuron can; a 2-layer network learns XOR.
    - Sigmoid neurons instead of steps. step(z) has slope 0 everywhere (and none at 0),
      so a small change in a weight either changes nothing or flips the output: there
      is no gradient to follow, and the perceptron rule has no extension to hidden
      units (which target should a hidden unit aim for?). σ(z) = 1 / (1 + e⁻ᶻ) is a
      smooth step whose output changes a little when a weight changes a little, so the
      chain rule gives every weight, hidden ones included, a slope to descend.

    The weights are Parameters (so ``state_dict`` and saving work) but they are updated
    by :meth:`fit`'s rule, not by an optimizer: ``forward`` records no graph because the
    step's derivative is zero wherever it exists.
    Reference: Rosenblatt 1958; Minsky & Papert 1969 (the XOR limitation).
    """

    def __init__(
        self,
        in_features: int,
        lr: float = 1.0,
        init: str | Callable[..., np.ndarray] = "zeros",
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_features = positive_int("Perceptron", "in_features", in_features)
        self.lr = positive_number("Perceptron", "lr", lr)
        self.init = init if isinstance(init, str) else "custom"
        rng = rng_from(seed)
        self.w = Parameter(initializers.get(init)((self.in_features,), seed=rng, dtype=np.float64))
        self.b = Parameter(np.zeros((), np.float64))

    def get_config(self) -> dict:
        return {"in_features": self.in_features, "lr": self.lr, "init": self.init}

    def decision(self, x: Tensor | ArrayLike) -> np.ndarray:
        """z = x·w + b for every row of x (the signed distance to the boundary, times ‖w‖)."""
        x = self._checked(x)
        return x @ self.w.data + self.b.data

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        """step(x·w + b) as a float tensor of 0s and 1s (no graph: the step has no slope)."""
        return Tensor((self.decision(x) > 0).astype(np.float64))

    def predict(self, x: Tensor | ArrayLike) -> np.ndarray:
        """Class labels 0/1 as ints, shape (N,)."""
        return (self.decision(x) > 0).astype(np.int64)

    def fit(self, x: Tensor | ArrayLike, y: ArrayLike, epochs: int = 100) -> list[int]:
        """Apply the learning rule for up to ``epochs`` passes over the data, in order.

        Returns the number of mistakes in each pass; training stops after the first pass
        without a mistake (the data are then separated). The loop runs over examples
        because the rule is sequential by definition: each update changes the next
        example's prediction.
        """
        epochs = positive_int("Perceptron.fit", "epochs", epochs)
        x = self._checked(x)
        y = np.asarray(y).reshape(-1)
        if y.shape[0] != x.shape[0] or not np.isin(y, (0, 1)).all():
            raise ShapeError(
                message(
                    "Perceptron.fit",
                    "targets must be one 0 or 1 per example",
                    f"y with shape {fmt_shape(y.shape)} and values {np.unique(y)[:5].tolist()}",
                    f"shape ({x.shape[0]},) with values in {{0, 1}}",
                )
            )
        w, b = self.w.data, self.b.data
        mistakes_per_epoch: list[int] = []
        for _ in range(epochs):
            mistakes = 0
            for xi, yi in zip(x, y):
                error = yi - (1 if xi @ w + b > 0 else 0)
                if error:
                    w += self.lr * error * xi
                    b += self.lr * error
                    mistakes += 1
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:
                break
        return mistakes_per_epoch

    def _checked(self, x) -> np.ndarray:
        x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ShapeError(
                message(
                    f"Perceptron({self.in_features})",
                    f"the input must be rows of {self.in_features} features",
                    f"x.shape={fmt_shape(x.shape)}",
                    f"(N, {self.in_features})",
                )
            )
        return x

    def extra_repr(self) -> str:
        return f"{self.in_features}, lr={self.lr}"
