"""Captured steps (glassnet.captured): a replay is bit-identical to the eager step.

Each matrix case trains the same model twice from the same weights and seed, once with
``compile(capture=False)`` and once with capture on, for about 50 steps with a short last
batch (a second program), and compares every weight, every epoch loss and the whole
optimizer state bit for bit. Each case also checks that replays really happened.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from capture_cases import CASES, _data, _mlp, _regularised, _train

import glassnet as gn
from glassnet import _config
from glassnet.errors import ConfigError
from glassnet.optim import fused

d = gn.nn


@pytest.mark.parametrize("case", sorted(CASES))
def test_replayed_training_is_bit_identical_to_eager(case):
    _assert_replay_is_eager(case)


@pytest.mark.parametrize("case", ["W2", "dropout-batchnorm", "adam-bce-logits"])
def test_replays_are_bit_identical_with_adams_numpy_passes(case, monkeypatch):
    """The cases above run Adam and AdamW fused (numba is in the dev extra); without it
    the replay writes the NumPy passes alone, and they must match eager as well."""
    monkeypatch.setattr(fused, "ENABLED", False)
    _assert_replay_is_eager(case)
    step = _train(case, capture=True)[0]._captured["train"]
    assert all("fused_adam" not in p.source for p in step.programs.values())


def _assert_replay_is_eager(case):
    eager, eager_history = _train(case, capture=False)
    captured, captured_history = _train(case, capture=True)
    step = captured._captured["train"]
    assert step.replays >= step.recordings > 0, step.reason
    assert eager._captured["train"].replays == 0
    assert captured_history.history == eager_history.history
    for a, b in zip(eager.parameters(), captured.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    for (key, a), b in zip(eager.state_dict().items(), captured.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)  # BatchNorm's running statistics
    state_a, state_b = eager.optimizer.state_dict(), captured.optimizer.state_dict()
    _, _, _, _, _, batch, rows, epochs = CASES[case]
    assert state_a["steps"] == state_b["steps"]
    assert state_a["iterations"] == state_b["iterations"] == -(-rows // batch) * epochs
    for key, value in state_a["buffers"].items():
        np.testing.assert_array_equal(value, state_b["buffers"][key], err_msg=key)


def test_predict_and_evaluate_replay_the_forward_pass():
    model, _ = _train("dropout-batchnorm", capture=True)
    x, y = _data((6,), 50, "onehot3", seed=1)
    eager = copy.deepcopy(model)
    eager.compile(optimizer="adam", loss=gn.losses.CrossEntropy(from_logits=False), capture=False)
    for _ in range(3):
        np.testing.assert_array_equal(model.predict(x, 16), eager.predict(x, 16))
        assert model.evaluate(x, y, 16) == eager.evaluate(x, y, 16)
    assert model._captured["predict"].replays > 0


def test_deepcopy_of_a_captured_model_trains_its_own_weights():
    model, _ = _train("sgd-momentum-mse", capture=True)
    twin = copy.deepcopy(model)
    before = [p.data.copy() for p in model.parameters()]
    x, y = _data((6,), 40, 2, seed=2)
    twin.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert twin._captured["train"].replays > 0
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def _pair(case="sgd-momentum-mse"):
    a, _ = _train(case, capture=False)
    b, _ = _train(case, capture=True)
    return a, b


def _assert_same(a, b):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_changed_learning_rate_is_read_on_replay():
    a, b = _pair()
    x, y = _data((6,), 40, 2, seed=3)
    for model in (a, b):
        for lr in (0.2, 0.01, 0.5):
            model.optimizer.lr = lr
            model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    _assert_same(a, b)
    assert b._captured["train"].replays > 0


def _fresh(capture: bool):
    model = gn.Sequential(_regularised())
    return model.compile(optimizer="adam", loss=gn.losses.CrossEntropy(False), capture=capture)


def test_freezing_and_mode_switches_fall_back_and_capture_again():
    a, b = _fresh(False), _fresh(True)
    x, y = _data((6,), 40, "onehot3", seed=4)
    for model in (a, b):
        model.freeze(2)  # recorded with the first layers frozen: their gradients are skipped
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=2, validation_data=(x, y))
        model.unfreeze()  # the guard sees the flags change, so the step records again
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=3)
    assert b._captured["train"].recordings >= 4 and b._captured["train"].replays > 0
    _assert_same(a, b)
    for (key, u), v in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(u, v, err_msg=key)


def test_a_train_eval_switch_records_again():
    model = gn.Sequential(_regularised())
    step = gn.capture(lambda x: model(x).data)
    x, _ = _data((6,), 8, 2, seed=6)
    for training in (True, True, True, False, False, False, True):
        model.train(training)
        outputs = step(x)
        if not training:  # eval mode is deterministic: the eager forward must agree
            np.testing.assert_array_equal(outputs, model(x).data)
    assert step.replays == 2 and step.recordings == 5


def test_replaced_weights_are_read_not_stale():
    a, b = _pair()
    x, y = _data((6,), 40, 2, seed=5)
    for model in (a, b):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
        first = model.parameters()[0]
        first.data = np.full_like(first.data, 0.1)  # a new array: the program reads it
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    _assert_same(a, b)


def test_dropout_draws_a_fresh_mask_on_every_replay():
    layer = d.Dropout(0.5, seed=0)
    step = gn.capture(lambda x: layer(x))
    x = gn.tensor(np.ones((4, 6), np.float32))
    masks = [step(x).data for _ in range(5)]
    reference = d.Dropout(0.5, seed=0)
    assert step.replays == 3
    for mask in masks:
        np.testing.assert_array_equal(mask, reference(x).data)
    assert not np.array_equal(masks[3], masks[4])


def _linear_problem():
    w = gn.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), requires_grad=True)
    return w, gn.optim.SGD([w], lr=0.1)


def _train_step(w, opt):
    def train_step(x):
        opt.zero_grad()
        loss = ((x @ w) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return train_step


def test_a_hand_written_loop_replays_with_gn_capture():
    w, opt = _linear_problem()
    w2, opt2 = _linear_problem()
    step, eager_step = gn.capture(_train_step(w, opt)), _train_step(w2, opt2)
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = rng.standard_normal((4, 3)).astype(np.float32)
        captured, eager = step(x), eager_step(x)
        assert captured.data == eager.data
    np.testing.assert_array_equal(w.data, w2.data)
    assert step.replays == 4 and "captured" in repr(step)


def test_a_python_argument_is_part_of_the_key():
    w, opt = _linear_problem()
    calls = []

    def forward(x, double):
        calls.append(double)
        y = x @ w
        return (y * 2 if double else y).data

    step = gn.capture(forward)
    rng = np.random.default_rng(2)
    for flag in (True, True, False, False, True, False):
        x = rng.standard_normal((2, 3)).astype(np.float32)
        np.testing.assert_array_equal(step(x, flag), (x @ w.data) * (2 if flag else 1))
    assert step.replays == 2 and len(calls) == 4


def test_a_value_read_into_python_keeps_the_step_eager():
    w, _ = _linear_problem()

    def branchy(x):
        y = (x @ w).sum()
        return y * 2 if y.item() > 0 else y * -1

    step = gn.capture(branchy)
    for sign in (1, 1, -1, 1):
        x = np.full((2, 3), sign, np.float32)
        assert step(x).data == branchy(x).data
    assert step.replays == 0 and "reads a tensor's value into Python (item())" in step.reason


def test_an_array_computed_in_python_from_the_inputs_is_not_baked_in():
    w, _ = _linear_problem()

    def centred_ops(x):
        t = gn.tensor(x)
        return ((t - gn.tensor(x.mean(axis=0))) @ w).data

    step = gn.capture(centred_ops)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal((4, 3)).astype(np.float32)
        np.testing.assert_array_equal(step(x), centred_ops(x))
    assert step.replays == 0 and "computed in Python" in step.reason


def test_a_trace_hook_sees_the_eager_path():
    w, opt = _linear_problem()

    class Counter:
        forwards = 0

        def on_forward(self, fn, inputs, out):
            Counter.forwards += 1

        on_backward = on_unbroadcast = on_accumulate = lambda self, *args: None

    step = gn.capture(lambda x: (x @ w).data)
    x = np.ones((2, 3), np.float32)
    for _ in range(3):
        step(x)
    with _config.use_hook(Counter()):
        step(x)
    assert step.replays == 1 and Counter.forwards == 1


def test_capture_errors():
    with pytest.raises(ConfigError, match=r"capture: the step must be callable\. Got int"):
        gn.capture(5)
    model = gn.Sequential(_mlp(d.ReLU(), 2))
    with pytest.raises(ConfigError, match=r"compile: capture must be True or False\. Got 'yes'"):
        model.compile(loss="mse", capture="yes")


def test_capture_can_be_switched_off():
    w, _ = _linear_problem()
    step = gn.capture(enabled=False)(lambda x: (x @ w).data)
    for _ in range(4):
        step(np.ones((2, 3), np.float32))
    assert step.replays == 0 and step.recordings == 0


def test_the_playground_replays_its_steps_bit_identically():
    from glassnet.playground.protocol import validate_settings
    from glassnet.playground.session import Session

    settings = validate_settings({"seed": 3, "dropout": 0.2, "l2": 0.01, "batch_size": 16})
    captured, eager = Session(settings), Session(settings)
    eager._captured.enabled = False
    for session in (captured, eager):
        for _ in range(3):
            session.step("epoch")
    assert captured._captured.replays > 0 and eager._captured.replays == 0
    assert captured.history == eager.history
    for p, q in zip(captured.model.parameters(), eager.model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
