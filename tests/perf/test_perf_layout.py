"""Image batches stay batch-last through a training step, so no op pays a transposing copy.

Conv2D, MaxPool2D, ReLU and Dropout produce (N, C, H, W) arrays stored as (C, H, W, N) in
memory (see glassnet.ops.conv), Flatten views them without a copy, and the Dense layer
after it hands its input gradient back in the same layout. A layout slip costs speed, not
correctness, so only a test like this one notices it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import _config
from glassnet.ops.linalg import Linear

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import run as bench  # noqa: E402


def is_batch_last(a: np.ndarray) -> bool:
    return a.transpose(1, 2, 3, 0).flags.c_contiguous


class LayoutRecorder:
    """Engine hook that lists every 4-D output or gradient that is not batch-last."""

    def __init__(self):
        self.slips: list[str] = []
        self.flatten_copied = False

    def check(self, where: str, a) -> None:
        if isinstance(a, np.ndarray) and a.ndim == 4 and not is_batch_last(a):
            self.slips.append(f"{where} {a.shape} strides {a.strides}")

    def on_forward(self, fn, inputs, output):
        self.check(f"{fn.name} output", output.data)
        if fn.name == "Reshape" and inputs[0].ndim == 4:
            self.flatten_copied = not np.shares_memory(inputs[0].data, output.data)

    def on_backward(self, fn, output, grad_y, grads):
        for i, (t, g) in enumerate(zip(fn.inputs, grads)):
            if t.creator is not None:  # images between layers, not the kernels' gradients
                self.check(f"{fn.name} gradient of input {i}", g)

    def on_unbroadcast(self, fn, index, before, after):
        pass

    def on_accumulate(self, tensor, grad, total):
        pass


def test_a_cnn_training_step_keeps_every_image_array_batch_last():
    x, y = bench.synthetic(16, image=True)
    model = bench.glassnet_model("W3")
    recorder = LayoutRecorder()
    with _config.use_hook(recorder):
        model.train_step(x, y)
    assert recorder.slips == []
    assert not recorder.flatten_copied


def test_linear_gives_a_transposed_input_its_gradient_in_the_same_layout_and_values():
    rng = np.random.default_rng(0)
    w, b, g = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal((4, 3))
    x_t = rng.standard_normal((5, 4))  # memory (in, N): x = x_tᵀ is stored transposed
    grads = []
    for x in (x_t.T, np.ascontiguousarray(x_t.T)):
        out = Linear.apply(gn.Tensor(x, requires_grad=True), gn.Tensor(w), gn.Tensor(b))
        grads.append(out.creator.backward(g)[0])  # before the engine copies a leaf's grad
    assert grads[0].T.flags.c_contiguous and grads[1].flags.c_contiguous
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    np.testing.assert_allclose(grads[1], g @ w.T, rtol=1e-12)


def test_dropout_draws_its_mask_in_the_layout_of_its_input():
    x = np.ones((3, 2, 4, 5), np.float32).transpose(0, 3, 1, 2)  # some non-C layout
    out = gn.nn.Dropout(0.5, seed=0)(gn.Tensor(x)).data
    assert out.strides == np.empty_like(x).strides
    kept = out != 0
    assert 0.2 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 2.0)
