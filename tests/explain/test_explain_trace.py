"""gn.trace(): every forward with its docstring formula, every backward step, un-broadcasting
and accumulation, rendered as text and Markdown."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import _config


def traced_step():
    net = gn.nn.Sequential([gn.nn.Dense(2, 2, seed=0), gn.nn.ReLU(), gn.nn.Dense(2, 1, seed=1)])
    x = np.array([[2.0, 3.0], [1.0, -1.0]], dtype=np.float32)
    with gn.trace(net) as t:
        loss = gn.losses.MSE()(net(x), [[1.0], [2.0]])
        loss.backward()
    return net, t


def test_forward_events_carry_docstring_formula_shapes_and_values():
    net, t = traced_step()
    forward = t.of_kind("forward")
    assert [e["op"] for e in forward] == ["Linear", "ReLU", "Linear", "SquaredError"]
    first = forward[0]
    assert first["formula"].startswith("z = x·w + b")
    assert first["inputs"][0] == ("t1", "(2, 2)", "[2, 3, 1, -1]")
    assert first["inputs"][1][:2] == ("0.w", "(2, 2)")
    assert first["inputs"][2][:2] == ("0.b", "(2,)")
    assert forward[1]["formula"] == "y = max(0, x)"


def test_backward_steps_and_accumulation_are_recorded():
    net, t = traced_step()
    backward = t.of_kind("backward")
    assert [e["op"] for e in backward] == ["SquaredError", "Linear", "ReLU", "Linear"]
    assert backward[2]["formula"] == "dL/dx = dL/dy ⊙ [x > 0]"
    accumulated = {e["tensor"]: e["total"] for e in t.of_kind("accumulate")}
    assert set(accumulated) == {"0.w", "0.b", "2.w", "2.b"}
    assert accumulated["2.b"] == gn.explain.render.excerpt(net[2].b.grad, limit=6)


def test_unbroadcasting_of_a_hand_written_bias_is_recorded():
    x = gn.tensor([[2.0, 3.0], [1.0, -1.0]])
    w = gn.tensor([[1.0], [-1.0]], requires_grad=True, name="w")
    b = gn.tensor([0.5], requires_grad=True, name="b")
    with gn.trace() as t:
        ((x @ w + b) ** 2).sum().backward()
    unbroadcast = t.of_kind("unbroadcast")
    assert [(e["input"], e["before"], e["after"]) for e in unbroadcast] == [
        ("b", "(2, 1)", "(1,)"),
    ]
    assert "un-broadcast Add → b" in str(t)


def test_a_second_backward_accumulates_into_grad():
    w = gn.tensor([1.5], requires_grad=True, name="w")
    with gn.trace() as t:
        (w * 2.0).sum().backward()
        (w * 2.0).sum().backward()
    totals = [e["total"] for e in t.of_kind("accumulate")]
    assert totals == ["[2]", "[4]"]
    assert "grad ← grad + dL/dx" in str(t)


def test_text_and_markdown_rendering():
    _, t = traced_step()
    text = str(t)
    assert "1. forward Linear:  z = x·w + b" in text
    md = t.markdown()
    assert md.startswith("## Trace: ") and "```" in md
    assert repr(t) == "Trace(4 forward, 4 backward steps)"


def test_hook_slot_is_restored_even_after_an_error():
    assert _config.state.hook is None
    with pytest.raises(gn.ShapeError):
        with gn.trace():
            gn.ops.matmul(gn.ones((2, 3)), gn.ones((2, 3)))
    assert _config.state.hook is None


def test_values_are_copied_when_recorded():
    w = gn.tensor([1.0, 2.0], requires_grad=True, name="w")
    with gn.trace() as t:
        y = w * 3.0
    w.data[:] = 100.0
    assert t.events[0]["inputs"][0] == ("w", "(2,)", "[1, 2]")
    assert y.data.tolist() == [3.0, 6.0]
