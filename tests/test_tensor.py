"""Tensor: constructors, properties, dtype rules, comparisons, repr and NumPy interop."""

from __future__ import annotations

import numpy as np
import pytest
from optable import OPS, sample

import glassnet as gn
from glassnet import _config


def test_constructors_default_to_float32():
    for t in (
        gn.tensor([[1, 2], [3, 4]]),
        gn.tensor(2.5),
        gn.zeros((2, 3)),
        gn.ones(4),
        gn.full((2, 2), 7.0),
        gn.arange(5),
        gn.eye(3),
        gn.randn((2, 3), seed=0),
        gn.rand((2, 3), seed=0),
    ):
        assert t.dtype == np.float32
    assert gn.zeros((2, 3)).shape == (2, 3) and not gn.zeros(2).data.any()
    np.testing.assert_array_equal(gn.full((2,), 7.0).data, [7.0, 7.0])
    np.testing.assert_array_equal(gn.arange(1, 7, 2).data, [1, 3, 5])
    np.testing.assert_array_equal(gn.eye(2, 3).data, np.eye(2, 3))


def test_float64_on_request_and_from_float64_arrays():
    assert gn.tensor([1.0], dtype="float64").dtype == np.float64
    assert gn.tensor(np.zeros(3)).dtype == np.float64  # the data says float64
    for make in (gn.zeros, gn.ones, gn.arange, gn.eye):
        assert make(3, dtype=np.float64).dtype == np.float64
    assert gn.full((2,), 7.0, dtype="float64").dtype == np.float64
    assert gn.randn(3, seed=0, dtype="float64").dtype == np.float64
    assert gn.rand(3, seed=0, dtype="float64").dtype == np.float64


def test_random_constructors_take_a_seed_or_generator_and_no_global_state():
    np.testing.assert_array_equal(gn.randn((3,), seed=7).data, gn.randn((3,), seed=7).data)
    rng = np.random.default_rng(7)
    first, second = gn.rand(3, seed=rng), gn.rand(3, seed=rng)
    assert not np.array_equal(first.data, second.data)  # the generator advances
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    gn.randn(100, seed=1)
    assert np.random.random() == before  # the global NumPy RNG is untouched
    assert np.all((gn.rand(1000, seed=0).data >= 0) & (gn.rand(1000, seed=0).data < 1))


def test_tensor_copies_its_input():
    data = np.array([1.0, 2.0], dtype=np.float32)
    t = gn.tensor(data)
    data[0] = 99
    assert t.data[0] == 1.0


def test_properties_and_conversions():
    t = gn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True, name="w")
    assert (t.shape, t.ndim, t.size, t.dtype, t.name) == ((2, 3), 2, 6, np.float32, "w")
    assert t.requires_grad and t.grad is None and t.is_leaf
    assert t.T.shape == (3, 2)
    assert t.numpy() is t.data and np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert gn.tensor([[4.5]]).item() == 4.5
    assert t.astype("float64").dtype == np.float64
    assert len(t) == 2 and [row.shape for row in t] == [(3,), (3,)]
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_iterating_rows_stays_differentiable():
    x = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row.sum() * (i + 1) for i, row in enumerate(x))
    total.backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [2, 2]])


def test_repr_shows_values_dtype_and_the_op():
    w = gn.tensor([1.0, 2.0], requires_grad=True, name="w")
    assert repr(w) == "tensor([1., 2.], requires_grad=True, name='w')"
    assert repr(w * 2) == "tensor([2., 4.], op=Mul)"
    assert repr(gn.tensor([1.5], dtype="float64")) == "tensor([1.5], dtype=float64)"


def test_ndarray_on_the_left_calls_the_tensor_operator():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, gn.Tensor) and y.requires_grad


def test_comparisons_return_boolean_tensors_without_gradient():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in (
        (x > 1.5, [False, True, True]),
        (x >= 2, [False, True, True]),
        (x < 2, [True, False, False]),
        (x <= 2, [True, True, False]),
        (x == 2, [False, True, False]),
        (x != 2, [True, False, True]),
        (x > gn.tensor([0.0, 5.0, 1.0]), [True, False, True]),
    ):
        assert isinstance(result, gn.Tensor) and result.dtype == bool
        assert not result.requires_grad and result.creator is None
        np.testing.assert_array_equal(result.data, expected)


# ---- dtype rules: float32 stays float32 -------------------------------------------------
@pytest.mark.parametrize(
    "other",
    [0.5, 2, np.float32(0.5), np.array([0.5, 2.0], dtype=np.float32), np.array([0.5, 2.0])],
    ids=["python float", "python int", "np.float32", "float32 array", "float64 array"],
)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "r-", "r/"])
def test_a_number_or_array_meeting_a_float32_tensor_stays_float32(op, other):
    x = gn.tensor([1.0, 3.0], requires_grad=True)
    y = {
        "+": lambda: x + other,
        "-": lambda: x - other,
        "*": lambda: x * other,
        "/": lambda: x / other,
        "**": lambda: x**other,
        "r-": lambda: other - x,
        "r/": lambda: other / x,
    }[op]()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


class DTypeWatch:
    """A hook that records the dtype of every array the engine passes around."""

    def __init__(self):
        self.dtypes = set()

    def on_forward(self, fn, inputs, output):
        self.dtypes.add(("forward", fn.name, output.dtype))

    def on_backward(self, fn, output, grad_y, grads):
        self.dtypes.update(("backward", fn.name, g.dtype) for g in grads if g is not None)

    def on_unbroadcast(self, fn, index, before, after):
        self.dtypes.add(("unbroadcast", fn.name, after.dtype))

    def on_accumulate(self, tensor, grad, total):
        self.dtypes.add(("accumulate", "", grad.dtype))


@pytest.mark.parametrize("case", [c for c in OPS if c.op != "astype"], ids=repr)
def test_every_op_keeps_float32_in_forward_and_backward(case):
    shapes = case.shapes[-1]
    xs = [gn.tensor(a.astype(np.float32), requires_grad=True) for a in sample(case, shapes)]
    watch = DTypeWatch()
    with _config.use_hook(watch):
        y = case.fn(*xs)
        y.backward(np.ones(y.shape, dtype=np.float32))
    upcast = sorted(str(event) for event in watch.dtypes if event[2] != np.float32)
    assert upcast == [] and y.dtype == np.float32
    assert all(x.grad.dtype == np.float32 for x in xs)


def test_mixed_float32_and_float64_tensors_give_each_leaf_its_own_dtype():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    y = a * b
    assert y.dtype == np.float64  # two tensors promote as NumPy does
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_astype_to_int_or_bool_is_a_constant_as_in_torch():
    x = gn.tensor([1.7, -2.2], requires_grad=True)
    for dtype in ("int32", bool):
        y = x.astype(dtype)
        assert y.dtype == np.dtype(dtype) and not y.requires_grad and y.creator is None
    np.testing.assert_array_equal(x.astype("int64").data, [1, -2])


def test_astype_passes_gradients_back_in_the_source_dtype():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype("float64") * gn.tensor([3.0, 4.0], dtype="float64")
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ---- numerically extreme inputs -----------------------------------------------------------
def test_sigmoid_of_large_magnitudes_has_no_overflow(recwarn):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = gn.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
        y = x.sigmoid()
        y.sum().backward()
        softplus = gn.ops.softplus(x)
    np.testing.assert_allclose(y.data, [0, 1.9287e-22, 0.5, 1, 1], rtol=1e-4, atol=0)
    np.testing.assert_allclose(x.grad, [0, 1.9287e-22, 0.25, 0, 0], rtol=1e-4, atol=0)
    np.testing.assert_allclose(softplus.data, [0, 1.9287e-22, np.log(2), 50, 1000], rtol=1e-4)
    assert not recwarn.list


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_logits_of_1e4(fn, recwarn):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = gn.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0]], requires_grad=True)
        y = getattr(x, fn)()
        y.backward(np.ones(y.shape, dtype=np.float32))
    expected = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    if fn == "log_softmax":
        np.testing.assert_allclose(y.data[:, :2], [[0.0, -1e4], [-np.log(2), -np.log(2)]])
        assert np.isfinite(y.data).all()
    else:
        np.testing.assert_allclose(y.data, expected, atol=1e-7)
    assert np.isfinite(x.grad).all() and not recwarn.list


def test_getitem_backward_scatter_adds_repeated_indices():
    x = gn.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2, 0]].backward(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32))
    np.testing.assert_array_equal(x.grad, [1 + 2 + 4, 0, 3])


def test_getitem_with_negative_steps_and_ellipsis():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = gn.tensor(data, dtype="float64", requires_grad=True)
    y = x[..., ::-2]
    np.testing.assert_array_equal(y.data, data[..., ::-2])
    y.backward(np.ones(y.shape))
    expected = np.zeros_like(data)
    expected[..., ::-2] = 1
    np.testing.assert_array_equal(x.grad, expected)


def test_masks_from_comparisons_index_and_select():
    x = gn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    positive = x[x > 0]
    np.testing.assert_array_equal(positive.data, [1.0, 3.0])
    (positive.sum() + gn.ops.where(x > 0, 0.0, x).sum() * 2).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 1.0])


def test_tensors_copy_and_pickle_with_their_values():
    import copy
    import pickle

    x = gn.tensor([1.0, 2.0], requires_grad=True, name="w")
    for clone in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert clone.data is not x.data and clone.name == "w" and clone.requires_grad
        np.testing.assert_array_equal(clone.data, x.data)
