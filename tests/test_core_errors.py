"""Every error the core raises on purpose: its class and its message, in the house template."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import check_axis, message

x23 = gn.tensor(np.ones((2, 3)))


def test_message_template():
    text = message("matmul", "inner sizes differ", "28 and 784", "equal sizes", "transpose")
    assert text == (
        "matmul: inner sizes differ. Got 28 and 784; expected equal sizes.\n  hint: transpose"
    )
    assert message("load_csv", "the file is empty") == "load_csv: the file is empty."


def test_matmul_names_the_inner_sizes():
    x, w = gn.zeros((32, 28)), gn.zeros((784, 128))
    with pytest.raises(gn.ShapeError, match=r"matmul: inner sizes 28 and 784 differ") as info:
        x @ w
    assert "a.shape=(32, 28), b.shape=(784, 128)" in str(info.value)
    assert "hint: transpose one operand" in str(info.value)


def test_linear_names_all_three_shapes():
    x, w, b = gn.zeros((32, 28)), gn.zeros((784, 128)), gn.zeros(128)
    with pytest.raises(gn.ShapeError, match=r"linear: x, w and b do not fit z = x·w \+ b"):
        gn.ops.linear(x, w, b)
    with pytest.raises(gn.ShapeError, match=r"b.shape=\(10,\)"):
        gn.ops.linear(gn.zeros((2, 784)), w, gn.zeros(10))


def test_linear_skips_the_input_gradient_when_x_needs_none():
    x = gn.ones((2, 3))
    w = gn.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    gn.ops.linear(x, w, gn.zeros(2)).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 2.0))


def test_matmul_needs_axes():
    with pytest.raises(gn.ShapeError, match=r"matmul: both operands need at least one axis"):
        gn.tensor(2.0) @ gn.zeros(3)


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "Add"),
        (lambda a, b: a * b, "Mul"),
        (lambda a, b: gn.ops.maximum(a, b), "Maximum"),
        (lambda a, b: a**b, "Pow"),
    ],
)
def test_broadcasting_mismatch_names_the_op_and_both_shapes(op, name):
    with pytest.raises(gn.ShapeError, match=rf"{name}: .*shapes \(2, 3\), \(4,\)"):
        op(x23, gn.zeros(4))


@pytest.mark.parametrize(
    "data, pattern",
    [
        (np.array(["a", "b"]), r"tensor: data must be numeric. Got data of dtype <U1"),
        ("abc", r"tensor: data must be numeric. Got data of dtype <U3"),
        ("1", r"data must be numeric. Got data of dtype <U1"),
        (["1.5", "2"], r"data must be numeric. Got data of dtype <U3"),
        (object(), r"data must be numeric. Got data of dtype object"),
        ([1, None], r"data must be numeric. Got data of dtype object"),
        ([[1, 2], [3]], r"tensor: cannot convert the data to a numeric array. Got list"),
    ],
)
def test_strings_and_objects_are_dtype_errors(data, pattern):
    with pytest.raises(gn.DTypeError, match=pattern):
        gn.tensor(data)


def test_non_numeric_operands_and_dtypes_are_dtype_errors():
    with pytest.raises(gn.DTypeError, match=r"data must be numeric. Got data of dtype <U1"):
        x23 + "1"
    with pytest.raises(gn.DTypeError, match=r"tensor: dtype must be numeric. Got dtype <U"):
        gn.tensor([1.0], dtype=str)


def test_integer_tensors_cannot_require_grad():
    pattern = r"only floating-point tensors can require a gradient. Got dtype int64"
    with pytest.raises(gn.DTypeError, match=pattern):
        gn.tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(gn.DTypeError, match=pattern):
        gn.tensor(np.array([1, 2])).requires_grad_()


def test_reshape_size_mismatch():
    with pytest.raises(gn.ShapeError, match=r"reshape: cannot lay 6 elements out as \(4, 2\)"):
        x23.reshape(4, 2)
    with pytest.raises(gn.ShapeError, match=r"reshape: cannot lay 6 elements out as \(-1, -1\)"):
        x23.reshape(-1, -1)
    with pytest.raises(gn.ShapeError, match=r"reshape: cannot lay 6 elements out as \(4, -1\)"):
        x23.reshape(4, -1)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: x23.sum(axis=2), r"Sum: axis 2 is out of range for a tensor with 2 axes"),
        (lambda: x23.max(axis=-3), r"Max: axis -3 is out of range .* an axis in \[-2, 2\)"),
        (lambda: x23.softmax(axis=2), r"softmax: axis 2 is out of range"),
        (lambda: x23.swapaxes(0, 2), r"swapaxes: axis 2 is out of range"),
        (lambda: x23.expand_dims(4), r"expand_dims: axis 4 is out of range .* 3 axes"),
        (lambda: x23.flatten(2), r"flatten: axis 2 is out of range"),
        (lambda: gn.tensor(1.0).squeeze(0), r"squeeze: axis 0 .*no axis \(the tensor is a"),
        (lambda: gn.ops.stack([x23, x23], 3), r"stack: axis 3 is out of range"),
    ],
)
def test_axis_out_of_range(call, pattern):
    with pytest.raises(gn.ShapeError, match=pattern):
        call()


def test_check_axis_normalises_negative_axes():
    assert check_axis(-1, 3, "sum") == 2 and check_axis(0, 1, "sum") == 0
    assert check_axis(np.int64(1), 2, "sum") == 1


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: x23.sum(axis=1.5), r"Sum: an axis must be an integer. Got axis=1.5"),
        (lambda: x23.mean(axis=(0, 1.0)), r"Mean: an axis must be an integer. Got axis=1.0"),
        (lambda: x23.softmax(axis=True), r"softmax: an axis must be an integer. Got axis=True"),
        (lambda: x23.swapaxes(0, "1"), r"swapaxes: an axis must be an integer. Got axis='1'"),
    ],
)
def test_an_axis_must_be_an_integer(call, pattern):
    with pytest.raises(gn.ShapeError, match=pattern):
        call()


def test_shape_op_errors():
    with pytest.raises(gn.ShapeError, match=r"transpose: axes must be a permutation"):
        x23.transpose(0, 0)
    with pytest.raises(gn.ShapeError, match=r"squeeze: axis 1 has size 3"):
        x23.squeeze(1)
    with pytest.raises(gn.ShapeError, match=r"broadcast_to: .* Got x.shape=\(2, 3\) to \(3, 3\)"):
        x23.broadcast_to((3, 3))
    with pytest.raises(gn.ShapeError, match=r"concatenate: shapes differ off axis 0"):
        gn.ops.concatenate([x23, gn.zeros((2, 4))])
    with pytest.raises(gn.ShapeError, match=r"concatenate: there is nothing to join"):
        gn.ops.concatenate([])
    with pytest.raises(gn.ShapeError, match=r"stack: all tensors need the same shape"):
        gn.ops.stack([x23, gn.zeros((3, 2))])
    with pytest.raises(gn.ShapeError, match=r"getitem: the index does not fit .*\(2, 3\)"):
        x23[5]


def test_transpose_axes_are_checked_not_wrapped():
    with pytest.raises(gn.ShapeError, match=r"transpose: axis 5 is out of range .* 2 axes"):
        x23.transpose(5, 0)  # 5 % 2 == 1 must not pass for axis 1
    with pytest.raises(gn.ShapeError, match=r"transpose: axis 0 .*no axis \(the tensor is a"):
        gn.tensor(1.0).permute(0)
    assert x23.transpose(-1, 0).shape == (3, 2)


@pytest.mark.parametrize("pad_width", [-2, [(1, 1)] * 3, 1.5, ((0, 1), (2, -6))])
def test_pad_widths_are_checked(pad_width):
    # negative widths crop (PyTorch's F.pad), but never more than the axis holds
    pattern = r"pad: pad_width must give integer widths .* x.shape=\(2, 3\)"
    with pytest.raises(gn.ShapeError, match=pattern):
        gn.ops.pad(x23, pad_width)


def test_where_names_all_three_shapes():
    with pytest.raises(
        gn.ShapeError,
        match=r"where: condition, a and b do not broadcast together. "
        r"Got condition.shape=\(2,\), a.shape=\(2, 3\), b.shape=\(\)",
    ):
        gn.ops.where([True, False], x23, 0.0)


def test_a_numpy_axis_error_inside_an_op_names_the_op():
    softmax = gn.ops.activation.Softmax
    with pytest.raises(
        gn.ShapeError, match=r"Softmax: an axis is out of range. Got shapes \(2, 3\)"
    ):
        softmax.apply(x23, axis=5)  # applied directly, past the function's own check


def test_item_needs_one_element():
    with pytest.raises(gn.ShapeError, match=r"item: only a one-element tensor .* shape \(2, 3\)"):
        x23.item()


def test_astype_refuses_non_numeric_dtypes():
    with pytest.raises(gn.DTypeError, match=r"astype: dtype must be numeric. Got dtype <U5"):
        x23.astype("U5")


def test_clip_bounds_must_be_numbers():
    with pytest.raises(gn.DTypeError, match=r"clip: high must be a number. Got high='1'"):
        x23.clip(0.0, "1")


def test_non_numeric_exponent_is_a_dtype_error():
    with pytest.raises(gn.DTypeError, match=r"data must be numeric. Got data of dtype <U1"):
        x23 ** "2"


def test_backward_errors():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gn.ShapeError, match=r"backward: an upstream gradient is needed"):
        (x * 2).backward()
    with pytest.raises(gn.ShapeError, match=r"backward: the upstream gradient's shape differs"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(gn.DTypeError, match=r"backward: the upstream gradient is not numeric"):
        (x * 2).backward(np.array(["a", "b"]))
    with pytest.raises(gn.GlassnetError, match=r"backward: this tensor does not require"):
        gn.tensor(1.0).backward()


def test_seed_must_be_an_int_or_generator():
    with pytest.raises(gn.DTypeError, match=r"seed: a seed must be an int, None or"):
        gn.randn(3, seed="zero")


def test_error_classes_are_also_builtin_errors():
    assert issubclass(gn.ShapeError, ValueError) and issubclass(gn.DTypeError, TypeError)
    assert issubclass(gn.GradientCheckError, gn.GlassnetError)
    assert gn.errors.ShapeError is gn.ShapeError
