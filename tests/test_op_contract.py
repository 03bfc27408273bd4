"""The op contract (glassnet.autograd.Function): settings declared in __init__, backward
told which input gradients are needed, never reading the input tensors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from test_docstrings import OP_CLASSES

import glassnet as gn
from glassnet import _config
from glassnet.autograd import Function
from glassnet.ops import arithmetic, conv, linalg, reduce


@pytest.mark.parametrize("cls", OP_CLASSES, ids=lambda cls: cls.__qualname__)
def test_no_backward_reads_the_input_tensors(cls):
    source = inspect.getsource(cls.backward)
    for forbidden in ("self.inputs", "requires_grad"):
        assert forbidden not in source, f"{cls.__qualname__}.backward reads {forbidden}"


@pytest.mark.parametrize(
    "cls, settings",
    [
        (reduce.Sum, ["axis", "keepdims"]),
        (reduce.Var, ["axis", "keepdims", "ddof"]),
        (arithmetic.PowScalar, ["p"]),
        (arithmetic.Clip, ["low", "high"]),
        (conv.Conv2D, ["stride", "pad", "dilation", "groups"]),
        (gn.ops.pool.MaxPool2D, ["kernel", "stride", "pad", "out", "dilation"]),
    ],
)
def test_settings_are_the_parameters_of_init(cls, settings):
    assert list(inspect.signature(cls).parameters) == settings


class Recorder:
    """A trace hook that keeps each op's needs_input_grad as its backward runs."""

    def __init__(self):
        self.seen = {}

    def on_forward(self, *args): ...
    def on_unbroadcast(self, *args): ...
    def on_accumulate(self, *args): ...

    def on_backward(self, fn, output, grad_y, grads):
        self.seen[fn.name] = (fn.needs_input_grad, [g is not None for g in grads])


def test_the_engine_tells_backward_which_input_gradients_are_needed():
    x = gn.tensor(np.ones((2, 3)))  # a constant: its gradient is never computed
    w = gn.tensor(np.ones((3, 4)), requires_grad=True)
    m = gn.tensor(np.full((2, 4), 0.5))
    recorder = Recorder()
    with _config.use_hook(recorder):
        ((x @ w) * m).sum().backward()
    assert recorder.seen["MatMul"] == ((False, True), [False, True])
    assert recorder.seen["Mul"] == ((True, False), [True, False])
    assert recorder.seen["Sum"] == ((True,), [True])


def test_an_op_on_a_parameter_gives_a_plain_tensor():
    p = gn.nn.Parameter(np.ones(3))
    y = linalg.MatMul.apply(p, gn.tensor(np.ones(3)))
    assert type(y) is gn.Tensor and y.requires_grad


def test_a_user_op_declares_its_settings():
    class Scale(Function):
        """Forward: y = c·x.  Backward: dL/dx = c·dL/dy."""

        def __init__(self, c: float):
            self.c = c

        def forward(self, x):
            return self.c * x

        def backward(self, grad_y):
            return (self.c * grad_y,)

    x = gn.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, c=3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert gn.gradcheck(lambda t: Scale.apply(t, c=-2.0), [0.5, 1.5]).ok

    class Undeclared(Function):
        """Forward: y = x.  Backward: dL/dx = dL/dy."""

        def forward(self, x):
            return x

        def backward(self, grad_y):
            return (grad_y,)

    with pytest.raises(TypeError, match="Undeclared"):
        Undeclared.apply(x, c=3.0)  # a setting the op does not declare
