"""The model ``gn.onnx.load`` returns: a functional model that runs as ONNX would.

Two things set an imported graph apart from one built by hand, and both are visible:

* **Integer inputs keep their dtype.** ONNX computes an Add of int8 tensors in int8 (and
  a MaxPool of uint8 in uint8); ``predict`` hands such inputs to the graph as they are,
  where a hand-built model converts every input to its float dtype.
* **MaxPool's Indices output** counts the rows before each one (a flat index into the
  whole batch), so a model computing it runs its input at once, never in batches.
* **A graph that mixes its axis 0 with the others** (Flatten at axis 0 or ≥ 2, a Reshape
  or Concat across axis 0, Gemm with transA or a bias that depends on the row, a MatMul of
  two matrices, broadcasting that stretches axis 0, BatchNormalization's training form,
  a seeded training-mode Dropout...) has no batch axis: splitting its
  input into batches would give wrong numbers. It loads as a :class:`WholeBatchModel`,
  whose one sample is the whole tensor: ``predict(x)`` runs x at once, never in batches,
  ``whole_batch`` is True and ``summary()`` says so; ``fit`` takes a stack of such
  tensors (one per sample).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._config import no_grad
from glassnet.training.functional import Functional
from glassnet.training.io import register_layer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["OnnxModel", "WholeBatchModel"]


class OnnxModel(Functional):
    """A functional model read from ONNX; integer inputs keep their dtype in ``predict``."""

    whole_batch = False

    def _integer_inputs(self) -> bool:
        return any(np.dtype(dtype).kind in "iub" for _, dtype in self.spec["inputs"])

    def _counts_rows(self) -> bool:
        """Whether an output depends on a row's position (MaxPool's Indices output)."""
        from glassnet.nn import MaxPoolIndices

        return any(isinstance(layer, MaxPoolIndices) for layer in self.layers)

    def predict(
        self, x: ArrayLike | Sequence[ArrayLike], batch_size: int = 1024, verbose: int = 0
    ) -> np.ndarray:
        parts = list(x) if isinstance(x, list | tuple) else [x]
        if self._counts_rows():  # one batch: an index counts the rows before it
            batch_size = max(len(np.asarray(parts[0])), 1)
        if not self._integer_inputs():
            return super().predict(x, batch_size, verbose)
        arrays = [np.asarray(p).astype(dtype, copy=False)
                  for p, (_, dtype) in zip(parts, self.spec["inputs"])]  # fmt: skip
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                y = self(arrays if len(arrays) > 1 else arrays[0])
        finally:
            self.train(was_training)
        return y.numpy()

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        text = super().summary(input_shape)
        if not self.whole_batch:
            return text
        note = (
            "whole batch: this ONNX graph mixes its axis 0 with the others, so one sample "
            "is a whole tensor and predict never splits it"
        )
        return f"{text}\n{note}"


class WholeBatchModel(OnnxModel):
    """An imported graph whose axis 0 is not a batch: its one sample is the whole tensor
    (see the module docstring). ``predict(x)`` adds the sample axis and takes it off."""

    whole_batch = True

    def predict(
        self, x: ArrayLike | Sequence[ArrayLike], batch_size: int = 1024, verbose: int = 0
    ) -> np.ndarray:
        parts = list(x) if isinstance(x, list | tuple) else [x]
        one = [np.asarray(p)[None] for p in parts]
        return super().predict(one if len(one) > 1 else one[0], batch_size, verbose)[0]


register_layer(OnnxModel)
register_layer(WholeBatchModel)
