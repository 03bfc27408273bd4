"""The compiled replay (glassnet._capture_codegen): its source, its guard, fit's whole step.

A program is one Python function written from the recorded steps. These tests read that
source, check that the optimizer's step written into it replays bit for bit (and is
skipped for a NaN loss, as eager does), that changing an optimizer's structure records
the step again instead of replaying stale lines, and that fit's quick epoch loop (no
per-batch hooks) ends with the same History as the plain loop.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.monitor import Callback
from glassnet.training.callbacks import DivergenceWarning

d = gn.nn


def _w1(capture: bool, optimizer=None) -> gn.Sequential:
    model = gn.Sequential(
        [d.Dense(12, 5, seed=0), d.Sigmoid(), d.Dense(5, 3, seed=1), d.Sigmoid()]
    )
    optimizer = optimizer or gn.optim.SGD(lr=3.0)
    model.compile(optimizer=optimizer, loss=gn.losses.QuadraticCost(), capture=capture)
    return model


def _batches(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.random((4, 12), dtype=np.float32), np.eye(3, dtype=np.float32)[rng.integers(0, 3, 4)])
        for _ in range(n)
    ]


def _same_weights(a, b) -> None:
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_the_replay_is_one_readable_function():
    model = _w1(True)
    for x, y in _batches(3):
        model.train_step(x, y)
    (program,) = model._captured["train"].programs.values()
    source = program.source
    assert source.startswith("def replay(args, ws):")
    # the kernels' NumPy calls, the gradient routing and SGD's rule, written out in order
    order = ["matmul(", "reciprocal(", "vdot(", " = one", ".T @ gy", "multiply(ug, lr, out="]
    places = [source.index(word) for word in order]
    assert places == sorted(places)
    assert source.count('with errstate(over="ignore"):') == 1  # both sigmoids, one block
    assert "def valid():" in program.guard_source and program.valid()
    compile(source, "replay", "exec")  # plain Python: it can be printed and read


def test_a_nan_loss_skips_the_update_on_replay_as_in_eager():
    eager, captured = _w1(False), _w1(True)
    batches = _batches(6)
    bad_x = batches[4][0].copy()
    bad_x[0, 0] = np.nan
    batches[4] = (bad_x, batches[4][1])
    for x, y in batches:
        values = [m.train_step(x, y)[0] for m in (eager, captured)]
        assert np.isnan(values[0]) == np.isnan(values[1])
        assert values[0] == values[1] or np.isnan(values[0])
    step = captured._captured["train"]
    assert step.replays >= 3 and step.recordings == 2, step.reason
    assert eager.optimizer.iterations == captured.optimizer.iterations == 5
    _same_weights(eager, captured)


@pytest.mark.parametrize("change", ["clipnorm", "rebind", "reload", "momentum"])
def test_a_changed_optimizer_structure_records_again(change):
    def tweak(model):
        opt = model.optimizer
        if change == "clipnorm":
            opt.clipnorm = 0.5
        elif change == "rebind":
            opt.bind(model.parameters())
        elif change == "reload":
            opt.load_state_dict(opt.state_dict())
        else:  # momentum on: SGD keeps a velocity from here on
            opt.configure(momentum=0.9)
            opt.allocate_buffers()

    models = [_w1(c, gn.optim.SGD(lr=0.5)) for c in (False, True)]
    for k, (x, y) in enumerate(_batches(10)):
        if k == 5:
            for model in models:
                tweak(model)
        for model in models:
            model.train_step(x, y)
    step = models[1]._captured["train"]
    assert step.recordings == 4 and step.replays == 6, (step, step.reason)
    _same_weights(*models)
    a, b = (m.optimizer.state_dict() for m in models)
    assert a["steps"] == b["steps"] and a["iterations"] == b["iterations"]
    for key, value in a["buffers"].items():
        np.testing.assert_array_equal(value, b["buffers"][key])


class _Counting(Callback):
    def __init__(self):
        self.losses = []

    def on_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def _fit(callbacks, lr=3.0, shuffle=True):
    model = gn.Sequential([d.Dense(12, 5, seed=0), d.Sigmoid(), d.Dense(5, 3, seed=1)])
    model.compile(optimizer=gn.optim.SGD(lr=lr), loss="mse")
    rng = np.random.default_rng(3)
    x = rng.random((50, 12), dtype=np.float32) * 40
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 50)]
    settings = dict(epochs=3, batch_size=4, verbose=0, shuffle=shuffle, seed=0)
    return model, model.fit(x, y, callbacks=callbacks, **settings)


@pytest.mark.parametrize("shuffle", [True, False])  # rows taken, or slices
@pytest.mark.parametrize("lr", [0.1, 300.0])  # 300: the loss overflows, the NaN guard stops
def test_the_quick_epoch_loop_ends_as_the_plain_loop(lr, shuffle):
    counting = _Counting()  # a batch hook: fit keeps its plain loop
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain_model, plain = _fit([counting], lr, shuffle)
        quick_model, quick = _fit([], lr, shuffle)
    diverged = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    assert len(diverged) == (2 if lr > 1 else 0)  # one per fit, the same in both loops
    assert len({str(w.message) for w in diverged}) <= 1
    assert quick.history == plain.history
    assert quick.batch_loss == plain.batch_loss == counting.losses
    assert quick.diverged == plain.diverged and (quick.diverged is not None) == (lr > 1)
    assert quick.stopped_early == plain.stopped_early
    _same_weights(plain_model, quick_model)
    assert quick_model._captured["train"].replays > 0


def test_only_callbacks_without_batch_work_let_fit_take_the_quick_loop():
    from glassnet.training import epochs
    from glassnet.training.batches import ArrayBatches
    from glassnet.training.callbacks import CallbackList, NaNGuard
    from glassnet.training.history import History

    model = _w1(True)
    batches = ArrayBatches(np.zeros((8, 12), np.float32), np.zeros((8, 3), np.float32), 4)
    run = {"epochs": 1, "steps": 2, "samples": 8, "batch_size": 4, "verbose": 0}
    plain = [NaNGuard(), History(), Callback()]
    assert epochs.quick(model, batches, CallbackList(plain, model, run))
    assert not epochs.quick(model, batches, CallbackList([*plain, _Counting()], model, run))


def test_the_loop_replays_a_run_of_batches_and_hands_back_another_shape():
    looped, called = _w1(True), _w1(True)
    batches = _batches(7)
    small = (batches[6][0][:3], batches[6][1][:3])  # a last, partial batch: another key
    for model in (looped, called):
        for x, y in batches[:2]:  # two recordings: the program exists from here on
            model.train_step(x, y)
    step = looped._captured["train"]
    run = step.loop(batches[2])
    (program,) = step.programs.values()
    assert run is not None and program.loop_source.startswith("def loop(pairs, ws, append):")
    results = []
    with np.errstate(over="ignore", invalid="ignore"):
        left = run(iter([*batches[2:6], small, batches[6]]), results.append)
    assert left is small and len(results) == 4 and step.replays == 4
    for (x, y), (loss, output) in zip(batches[2:6], results):
        want_loss, want_output = called.train_step(x, y)
        assert float(loss) == want_loss
        np.testing.assert_array_equal(output, want_output)
    _same_weights(looped, called)


def test_the_loop_stops_after_a_nan_loss_as_fit_does():
    model = _w1(True)
    batches = _batches(8)
    for x, y in batches[:2]:
        model.train_step(x, y)
    bad_x = batches[4][0].copy()
    bad_x[1, 2] = np.nan
    batches[4] = (bad_x, batches[4][1])
    results, pairs = [], iter(batches[2:])
    with np.errstate(over="ignore", invalid="ignore"):
        left = model._captured["train"].loop(batches[2])(pairs, results.append)
    assert left is None and len(results) == 3 and np.isnan(results[-1][0])
    assert next(pairs) is batches[5]  # the batches after the NaN one are not taken
    assert model.optimizer.iterations == 4  # the NaN batch did not update


def test_no_loop_when_the_optimizer_step_is_called_as_it_is():
    model = _w1(True, gn.optim.SGD(lr=0.5, clipnorm=1.0))  # clipping: step is not written out
    for x, y in _batches(3):
        model.train_step(x, y)
    step = model._captured["train"]
    (program,) = step.programs.values()
    assert program.replay_loop is None and step.loop(_batches(1)[0]) is None
    assert program.loop_source is None and step.replays == 1
