"""float32 end to end: a training step of each benchmark workload makes no float64 array.

A recorder on the engine's hook slot sees every op's output, every array an op saved for
its backward, every gradient a backward returns (before and after un-broadcasting) and
every accumulated leaf gradient; after the step the parameters and the optimizer's state
are checked too. One float64 anywhere doubles memory traffic and silently slows training.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet import _config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import run as bench  # noqa: E402


class Float64Finder:
    """Engine hook that lists every non-float32 floating array it is shown."""

    def __init__(self):
        self.found: list[str] = []

    def check(self, where: str, array) -> None:
        if isinstance(array, np.ndarray) and array.dtype.kind == "f" and array.dtype != np.float32:
            self.found.append(f"{where}: {array.dtype} {array.shape}")

    def on_forward(self, fn, inputs, output):
        self.check(f"{fn.name} output", output.data)
        for name, value in vars(fn).items():
            self.check(f"{fn.name}.{name}", value)

    def on_backward(self, fn, output, grad_y, grads):
        self.check(f"{fn.name} upstream gradient", grad_y)
        for i, g in enumerate(grads):
            self.check(f"{fn.name} gradient of input {i}", g)

    def on_unbroadcast(self, fn, index, before, after):
        self.check(f"{fn.name} un-broadcast gradient {index}", after)

    def on_accumulate(self, tensor, grad, total):
        self.check(f"accumulated gradient of {tensor.name}", total)


@pytest.mark.parametrize("workload", ["W1", "W2", "W3"])
def test_a_training_step_makes_no_float64_array(workload):
    batch, _, _, image, onehot = bench.SPECS[workload]
    x, y = bench.synthetic(batch, image)
    target = np.eye(10, dtype=np.float32)[y] if onehot else y
    model = bench.glassnet_model(workload)
    finder = Float64Finder()
    with _config.use_hook(finder):
        loss, output = model.train_step(x, target)
    for name, p in model.named_parameters():
        finder.check(f"parameter {name}", p.data)
    for name, arrays in model.optimizer.buffers.items():
        for i, array in enumerate(arrays):
            finder.check(f"optimizer buffer {name}[{i}]", array)
    finder.check("outputs", output)
    assert np.isfinite(loss)
    assert finder.found == [], "\n".join(finder.found)


def test_the_finder_does_see_a_float64_array():
    """The check above can fail: a float64 input shows up in the op that consumes it."""
    import glassnet as gn

    finder = Float64Finder()
    w = gn.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    with _config.use_hook(finder):
        (gn.tensor(np.ones((4, 3))) @ w).sum().backward()
    assert any("float64" in f for f in finder.found)
