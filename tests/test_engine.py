"""The backward engine: graph shapes, accumulation, freeing, no_grad, hooks and gradcheck."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import glassnet as gn
from glassnet import _config
from glassnet.autograd import Function, unbroadcast


def leaf(values, dtype="float64"):
    return gn.tensor(values, dtype=dtype, requires_grad=True)


def test_node_used_twice_gets_both_gradients():
    x = leaf([1.5, -2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, -4.0])  # d(x²)/dx = 2x, from both operands


def test_diamond_waits_for_both_branches():
    # a = 2x feeds b = eᵃ and c = 3a; d = b + c, so dd/dx = (eᵃ + 3)·2
    x = leaf([0.3, -0.7])
    a = x * 2
    d = (a.exp() + a * 3).sum()
    d.backward()
    np.testing.assert_allclose(x.grad, (np.exp(2 * x.data) + 3) * 2)


def test_gradients_accumulate_over_two_backward_calls_until_zero_grad():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_each_leaf_owns_a_writable_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    upstream = np.array([0.5, -1.0])
    (a + b).backward(upstream)
    assert a.grad is not b.grad and a.grad is not upstream
    a.grad *= 2  # an optimizer may work in place
    np.testing.assert_allclose(b.grad, upstream)
    c = leaf([[1.0, 2.0]])
    c.sum().backward()  # sum's backward is a read-only broadcast view
    c.grad += 1
    np.testing.assert_allclose(c.grad, [[2.0, 2.0]])


def test_explicit_upstream_gradient_for_a_non_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (x * x).backward(np.array([[1.0, 0.0], [0.5, -1.0]]))
    np.testing.assert_allclose(x.grad, [[2.0, 0.0], [3.0, -8.0]])


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([2.0, 3.0])
    y = (x * 4).detach()
    assert not y.requires_grad and y.is_leaf
    (y * x).sum().backward()
    np.testing.assert_allclose(x.grad, y.data)  # y is a constant: d(y·x)/dx = y
    frozen = x.detach()
    assert np.shares_memory(frozen.data, x.data)


def test_no_grad_records_nothing_and_restores_the_flag():
    x = leaf([1.0])
    with gn.no_grad():
        y = x * 2
        with gn.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad and z.creator is not None
    with pytest.raises(RuntimeError), gn.no_grad():
        raise RuntimeError("leaving the block by an exception")
    assert _config.state.grad_enabled


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data)


def test_backward_through_a_freed_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(gn.GlassnetError, match=r"(?s)already freed.*hint: pass retain_graph=True"):
        y.backward()


def test_a_shared_subgraph_is_freed_by_the_first_backward():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.sum().backward()
    with pytest.raises(gn.GlassnetError, match="already freed"):
        (h * 3).sum().backward()


def test_backward_frees_saved_arrays_and_intermediate_tensors():
    x = leaf(np.ones(5))
    h = x.exp()
    probe = weakref.ref(h)
    y = h.sum()
    del h
    gc.collect()
    assert probe() is not None  # the graph keeps h alive for backward
    y.backward()
    gc.collect()
    assert probe() is None and y.creator.inputs is None


def test_a_10000_op_chain_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000, rtol=1e-9)
    assert sys.getrecursionlimit() == limit
    kept = x
    for _ in range(10_000):
        kept = kept + 1.0
    del kept  # an unreleased chain is freed without recursion too


def test_non_leaf_grad_is_kept_only_when_asked():
    x = leaf([1.0, 2.0])
    h, k = x * 3, x * 4
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad, k.data)
    assert k.grad is None


def test_only_inputs_that_require_grad_get_one():
    x, c = leaf([1.0, 2.0]), gn.tensor([5.0, 6.0], dtype="float64")
    (x * c).sum().backward()
    np.testing.assert_allclose(x.grad, c.data)
    assert c.grad is None


def test_unbroadcast_sums_over_repeated_axes():
    grad = np.arange(24.0).reshape(2, 3, 4)
    assert unbroadcast(grad, (3, 1)).shape == (3, 1)
    np.testing.assert_allclose(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(unbroadcast(grad, ()), grad.sum())
    assert unbroadcast(grad, (2, 3, 4)) is grad


class Recorder:
    """A trace hook that writes down every event the engine reports."""

    def __init__(self):
        self.events = []

    def on_forward(self, fn, inputs, output):
        self.events.append(("forward", fn.name, [t.shape for t in inputs], output.shape))

    def on_backward(self, fn, output, grad_y, grads):
        self.events.append(("backward", fn.name, grad_y.shape, [g.shape for g in grads]))

    def on_unbroadcast(self, fn, index, grad_before, grad_after):
        self.events.append(("unbroadcast", fn.name, index, grad_before.shape, grad_after.shape))

    def on_accumulate(self, tensor, grad, total):
        self.events.append(("accumulate", tensor.name, grad.shape))


def test_hook_receives_forward_backward_unbroadcast_and_accumulate_events():
    w = gn.tensor(np.ones((3, 1)), requires_grad=True, name="w")
    b = gn.tensor(np.ones(4), requires_grad=True, name="b")
    recorder = Recorder()
    with _config.use_hook(recorder):
        y = (w + b).sum()
        y.backward()
    assert _config.state.hook is None
    assert recorder.events == [
        ("forward", "Add", [(3, 1), (4,)], (3, 4)),
        ("forward", "Sum", [(3, 4)], ()),
        ("backward", "Sum", (), [(3, 4)]),
        ("backward", "Add", (3, 4), [(3, 4), (3, 4)]),
        ("unbroadcast", "Add", 0, (3, 4), (3, 1)),
        ("accumulate", "w", (3, 1)),  # a leaf's gradient is added in as soon as it arrives
        ("unbroadcast", "Add", 1, (3, 4), (4,)),
        ("accumulate", "b", (4,)),
    ]


def test_hook_slot_is_empty_again_after_the_block():
    class Exploding:
        def __getattr__(self, name):
            raise AssertionError(f"hook.{name} called while no hook is installed")

    x = leaf([1.0, 2.0])
    with _config.use_hook(Exploding()):
        pass
    (x * x).sum().backward()  # the slot is None again: one `is None` check per op
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


class WrongSquare(Function):
    """A deliberately broken op for testing gradcheck.

    Forward:   y = x²
    Backward:  dL/dx = dL/dy ⊙ x      (wrong on purpose: the factor 2 is missing)
    """

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad_y):
        return (grad_y * self.x,)


def test_gradcheck_reports_per_input_errors():
    report = gn.gradcheck(lambda a, b: a * b.exp(), np.ones((2, 3)), np.zeros(3))
    assert report.ok
    assert len(report.max_abs) == len(report.max_rel) == 2
    assert max(report.max_abs) < 1e-8 and max(report.max_rel) < 1e-6
    assert report.names == ["input 0 (2, 3)", "input 1 (3,)"]
    assert "max abs error" in str(report)


def test_gradcheck_names_the_input_whose_gradient_is_wrong():
    good = gn.tensor([1.0, 2.0], name="good")
    bad = gn.tensor([0.5, 3.0], name="bad")
    with pytest.raises(gn.GradientCheckError, match=r"gradient of input 1 'bad' is wrong"):
        gn.gradcheck(lambda a, b: a * WrongSquare.apply(b), good, bad)
    report = gn.gradcheck(lambda a, b: a * WrongSquare.apply(b), good, bad, raise_on_error=False)
    assert not report.ok and report.max_abs[0] < 1e-8 and report.max_abs[1] > 0.1


def test_gradcheck_catches_a_backward_that_ignores_the_upstream_gradient():
    class IgnoresUpstream(Function):
        """Forward: y = 3x.  Backward: dL/dx = 3 (wrong: drops dL/dy)."""

        def forward(self, x):
            return 3 * x

        def backward(self, grad_y):
            return (np.full_like(grad_y, 3.0),)

    with pytest.raises(gn.GradientCheckError, match="input 0"):
        gn.gradcheck(IgnoresUpstream.apply, np.ones(4))


class Doubler(Function):
    """y = 2x, with a backward chosen per test to break the engine's contract.

    Forward:   y = 2x
    Backward:  dL/dx = 2 dL/dy (in ``returns``, deliberately malformed)
    """

    def __init__(self, returns):
        self.returns = returns

    def forward(self, x):
        return 2 * x

    def backward(self, grad_y):
        return self.returns(grad_y)


@pytest.mark.parametrize(
    "returns, pattern",
    [
        (
            lambda g: 2 * g,
            r"Doubler.backward: .* Got one ndarray; expected a tuple with one gradient .*: 1",
        ),
        (
            lambda g: (2 * g, 2 * g),
            r"Got a tuple of 2; expected a tuple with one gradient \(or None\) per input: 1",
        ),
        (
            lambda g: (2 * g.T,),
            r"Got a gradient of shape \(3, 2\) for input 0; expected shape \(2, 3\) or",
        ),
        (lambda g: (np.ones(5),), r"Got a gradient of shape \(5,\) for input 0"),
    ],
)
def test_a_malformed_backward_is_an_internal_error_naming_the_op(returns, pattern):
    x = leaf(np.ones((2, 3)))
    y = Doubler.apply(x, returns=returns)
    with pytest.raises(gn.InternalError, match=pattern):
        y.backward(np.ones((2, 3)))


def test_unbroadcast_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"cannot sum shape \(2, 3\) to \(3, 2\)"):
        unbroadcast(np.ones((2, 3)), (3, 2))
    with pytest.raises(ValueError, match=r"cannot sum shape \(3,\) to \(2, 3\)"):
        unbroadcast(np.ones(3), (2, 3))


def test_no_grad_works_as_a_decorator_and_hooks_nest():
    @gn.no_grad()
    def predict(x):
        return x * 2

    assert not predict(leaf([1.0])).requires_grad and _config.state.grad_enabled
    outer, inner = Recorder(), Recorder()
    with _config.use_hook(outer):
        with _config.use_hook(inner):
            leaf([1.0]) * 2
        assert _config.state.hook is outer
        leaf([1.0]) * 3
    assert len(inner.events) == 1 and len(outer.events) == 1 and _config.state.hook is None


def test_a_new_weight_gradient_becomes_grad_without_a_copy():
    """A backward's fresh array is handed to the leaf as is (no copy per step); arrays
    another place could hold (a passed-through grad_y) are still copied."""
    seen = {}

    class Keep:
        def on_forward(self, *args): ...
        def on_unbroadcast(self, *args): ...
        def on_accumulate(self, *args): ...

        def on_backward(self, fn, output, grad_y, grads):
            seen[fn.name] = (grad_y, grads)

    x = gn.ones((4, 3))
    w = gn.tensor(np.ones((3, 2)), requires_grad=True)
    b = gn.tensor(np.zeros(2), requires_grad=True)
    c = gn.tensor(np.zeros((4, 2)), requires_grad=True)
    with _config.use_hook(Keep()):
        (gn.ops.linear(x, w, b) + c).sum().backward()
    assert w.grad is seen["Linear"][1][1] and b.grad is seen["Linear"][1][2]
    assert c.grad is not seen["Add"][0] and c.grad.flags.writeable
    upstream = seen["Add"][0].copy()
    c.grad += 1  # c owns its gradient: the upstream array it was copied from is untouched
    np.testing.assert_array_equal(seen["Add"][0], upstream)


def test_grad_mode_and_hook_belong_to_the_calling_thread():
    """A thread predicting under no_grad, or tracing, leaves other threads alone."""
    import threading

    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def predictor():
        with gn.no_grad(), _config.use_hook(object()):
            inside.set()
            outside.wait(5)
            seen["worker"] = _config.state.grad_enabled

    worker = threading.Thread(target=predictor)
    worker.start()
    inside.wait(5)
    w = gn.tensor([2.0], requires_grad=True)
    y = w * 3.0  # recorded here although the worker sits inside no_grad
    seen["main"] = (_config.state.grad_enabled, _config.state.hook, y.requires_grad)
    outside.set()
    worker.join(5)
    assert seen == {"worker": False, "main": (True, None, True)}
