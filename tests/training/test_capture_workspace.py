"""Replay kernels and their preallocated workspace (glassnet._capture_kernels, _capture_steps).

A replayed step writes its intermediates into the same arrays every time. These tests
check that nothing the user can hold on to (a returned value, a parameter's ``.grad``)
is such an array, that two threads replaying one program do not share one, and that
the kernels stand aside (the op itself replays) where a buffer would change a result.
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet import _capture_kernels
from glassnet._capture_steps import Workspace
from glassnet.ops.activation import ReLU, Sigmoid
from glassnet.ops.linalg import Linear
from glassnet.ops.loss import SquaredError

d = gn.nn


def _model(dtype=np.float32):
    model = gn.Sequential(
        [
            d.Dense(5, 7, seed=0),
            d.Sigmoid(),
            d.Dense(7, 4, seed=1),
            d.ReLU(),
            d.Dense(4, 3, seed=2),
        ]
    )
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    return model


def _loop(model, capture: bool):
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = gn.losses.MSE()

    def train_step(x, y):
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        return loss, out.data

    return gn.capture(train_step, enabled=capture)


def _run(capture: bool, x_dtype=np.float32, w_dtype=np.float32, steps=6):
    model = _model(w_dtype)
    step = _loop(model, capture)
    rng = np.random.default_rng(0)
    kept = []
    for _ in range(steps):
        x = rng.standard_normal((8, 5)).astype(x_dtype)
        y = rng.standard_normal((8, 3)).astype(w_dtype)
        loss, out = step(x, y)
        kept.append((loss.data, out, [p.grad for p in model.parameters()]))
    return step, kept


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_values_kept_from_earlier_replays_are_not_overwritten(x_dtype):
    """Outputs and .grad arrays held from every step equal eager's at the end."""
    step, replayed = _run(True, x_dtype)
    _, eager = _run(False, x_dtype)
    assert step.replays == 4, step.reason
    for (loss_a, out_a, grads_a), (loss_b, out_b, grads_b) in zip(eager, replayed):
        np.testing.assert_array_equal(loss_a, loss_b)
        np.testing.assert_array_equal(out_a, out_b)
        for ga, gb in zip(grads_a, grads_b):
            np.testing.assert_array_equal(ga, gb)


def test_replays_reuse_one_workspace():
    step, _ = _run(True)
    (program,) = step.programs.values()
    workspace = program.workspace
    assert len(workspace.protos) >= 8  # 3 Linear, Sigmoid, ReLU, SquaredError kernels
    assert len(workspace.spare) == 1  # taken and given back by each replay
    assert len(workspace.ids) == len(workspace.protos)  # allocated once, not per replay


def test_a_replay_allocates_less_than_the_eager_step():
    model = gn.Sequential([d.Dense(64, 256, seed=0), d.ReLU(), d.Dense(256, 10, seed=1)])
    model.compile(optimizer=gn.optim.SGD(lr=0.1), loss=gn.losses.CrossEntropy())
    x = np.random.default_rng(0).random((128, 64), dtype=np.float32)
    y = np.arange(128) % 10
    peaks = {}
    for capture in (False, True):
        model.compile(
            optimizer=gn.optim.SGD(lr=0.1), loss=gn.losses.CrossEntropy(), capture=capture
        )
        for _ in range(3):
            model.train_step(x, y)
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        model.train_step(x, y)
        peaks[capture] = tracemalloc.get_traced_memory()[1] - start
        tracemalloc.stop()
    assert model._captured["train"].replays >= 1
    # eager holds the (128, 256) activation, its mask and two gradients of that size at
    # once, on top of the weight gradients; a replay writes them into its workspace
    assert peaks[True] < peaks[False] - 2 * 128 * 256 * 4, peaks


def test_two_threads_replay_one_program_each_with_its_own_workspace():
    model = _model()
    forward = gn.capture(lambda x: model(x).data)
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((8, 5)).astype(np.float32) for _ in range(40)]
    expected = [model(x).data for x in inputs]
    forward(inputs[0]), forward(inputs[1])  # recorded twice: replays from here on
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(2)

    def work(indices):
        barrier.wait()
        for i in indices:
            results[i] = forward(inputs[i])

    threads = [threading.Thread(target=work, args=(range(k, 40, 2),)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert forward.replays == 40
    for i, out in results.items():
        np.testing.assert_array_equal(out, expected[i])


def _protos(*arrays):
    return dict(enumerate(arrays)).__getitem__


def test_kernels_stand_aside_where_a_buffer_would_cast_or_broadcast():
    f32, f64 = np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float64)
    w, b = np.zeros((3, 3), np.float32), np.zeros(3, np.float32)
    reserve = Workspace(10).reserve
    needs = (True, True, True)
    assert (
        _capture_kernels.make(
            Linear, {}, {}, needs, [0, 1, 2], 3, _protos(f64, w, b, f64), reserve
        )
        is None
    )
    assert _capture_kernels.make(
        Linear, {}, {}, needs, [0, 1, 2], 3, _protos(f32, w, b, f32), reserve
    )
    ints = np.zeros((4, 3), np.int64)
    assert (
        _capture_kernels.make(ReLU, {}, {}, (True,), [0], 1, _protos(ints, ints), reserve) is None
    )
    assert _capture_kernels.make(Sigmoid, {}, {}, (True,), [0], 1, _protos(f32, f32), reserve)
    row = np.zeros((1, 3), np.float32)  # a target that broadcasts: the difference grows
    loss = np.zeros((), np.float32)
    for target in (row, f64):
        settings = {"target": target, "scale": 0.5}
        assert (
            _capture_kernels.make(
                SquaredError, settings, {}, (True,), [0], 1, _protos(f32, loss), reserve
            )
            is None
        )
    settings = {"target": f32, "scale": 0.5}
    assert _capture_kernels.make(
        SquaredError, settings, {}, (True,), [0], 1, _protos(f32, loss), reserve
    )
