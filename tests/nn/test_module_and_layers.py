"""Module bookkeeping (registration, names, state dicts, modes, freezing) and layer errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Dense(3, 4, seed=0)
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.act = nn.ReLU()
        self.second = nn.Dense(4, 2, seed=1)

    def forward(self, x):
        return self.second(self.act(self.first(x) * self.scale))


def _mlp():
    return nn.Sequential(
        [nn.Dense(3, 4, seed=0), nn.ReLU(), nn.Dropout(0.5), nn.Dense(4, 2, seed=1)]
    )


def test_parameters_register_in_definition_order_with_dotted_names():
    assert [n for n, _ in Two().named_parameters()] == [
        "scale",
        "first.w",
        "first.b",
        "second.w",
        "second.b",
    ]
    names = dict(_mlp().named_parameters())
    assert list(names) == ["0.w", "0.b", "3.w", "3.b"]
    assert names["0.w"].shape == (3, 4) and names["0.b"].shape == (4,)


def test_reassigning_and_deleting_attributes_update_the_registry():
    model = Two()
    model.scale = 2.0  # no longer a parameter
    del model.second
    assert [n for n, _ in model.named_parameters()] == ["first.w", "first.b"]
    assert [n for n, _ in model.named_modules()] == ["", "first", "act"]


def test_a_shared_layer_is_listed_and_updated_once():
    shared = nn.Dense(2, 2, seed=0)
    model = nn.Sequential([shared, nn.Tanh(), shared])
    assert [n for n, _ in model.named_parameters()] == ["0.w", "0.b"]
    gn.optim.SGD(model.parameters())  # would raise on a duplicate


def test_state_dict_round_trip_copies_arrays():
    source, target = (
        _mlp(),
        nn.Sequential(
            [nn.Dense(3, 4, seed=5), nn.ReLU(), nn.Dropout(0.5), nn.Dense(4, 2, seed=6)]
        ),
    )
    state = source.state_dict()
    state["0.w"][0, 0] = 123.0  # a copy: the model is untouched
    assert source[0].w.data[0, 0] != 123.0
    arrays = [p.data for p in target.parameters()]
    target.load_state_dict(source.state_dict())
    assert all(p.data is a for p, a in zip(target.parameters(), arrays))  # copied in place
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(source.eval()(x).data, target.eval()(x).data)


def test_load_state_dict_errors_name_the_problem():
    model = _mlp()
    state = model.state_dict()
    del state["3.b"]
    state["9.w"] = np.zeros(1)
    with pytest.raises(gn.ConfigError, match=r"missing \['3.b'\], unexpected \['9.w'\]"):
        model.load_state_dict(state)
    model.load_state_dict({"0.w": np.zeros((3, 4))}, strict=False)
    assert not model[0].w.data.any()
    with pytest.raises(
        gn.ShapeError, match=r"'0.w' has the wrong shape. Got \(4, 3\); expected \(3, 4\)"
    ):
        model.load_state_dict({**model.state_dict(), "0.w": np.zeros((4, 3))})


def test_train_and_eval_reach_every_sub_module():
    model = _mlp()
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(model(x).data, model(x).data)  # dropout off
    assert model.train() is model and model[2].training


def test_frozen_layers_get_no_gradient_and_no_update_but_pass_gradients_on():
    model = _mlp()
    model[3].trainable = False
    assert not model[3].trainable and model[0].trainable and model.trainable
    assert model.count_params() == 26 and model.count_params(trainable=True) == 16
    assert model.count_params(trainable=False) == 10
    frozen = model[3].w.data.copy()
    opt = gn.optim.Adam(model.parameters(), lr=0.1)
    x = gn.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    model(x).sum().backward()
    assert model[3].w.grad is None and model[3].b.grad is None
    assert model[0].w.grad is not None and x.grad is not None
    opt.step()
    np.testing.assert_array_equal(model[3].w.data, frozen)
    model.trainable = False
    assert not model.trainable and model.count_params(trainable=True) == 0
    model[3].trainable = True
    assert model.trainable


def test_module_init_must_run_first():
    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(
        gn.ConfigError, match=r"(?s)Forgot: Module.__init__\(\) was not called.*hint"
    ):
        Forgot()


def test_dense_feature_mismatch_names_the_layer():
    layer = nn.Dense(784, 128)
    with pytest.raises(gn.ShapeError) as info:
        layer(np.zeros((32, 28, 28), np.float32))
    assert str(info.value) == (
        "Dense(784 → 128): input has 28 features on its last axis, expected 784. "
        "Got x.shape=(32, 28, 28).\n  hint: add Flatten() before this layer"
    )
    with pytest.raises(gn.ShapeError, match="(?s)input has 5 features.*must output 784 features"):
        layer(np.zeros((2, 5), np.float32))


def test_layer_settings_are_validated():
    with pytest.raises(gn.ConfigError, match="Dense: in_features must be a positive int. Got 0"):
        nn.Dense(0, 3)
    with pytest.raises(gn.ConfigError, match="out_features must be a positive int. Got 2.5"):
        nn.Dense(3, 2.5)
    with pytest.raises(gn.ConfigError, match="in_features must be a positive int. Got True"):
        nn.Dense(True, 3)
    with pytest.raises(gn.ConfigError, match="LeakyReLU: alpha must be a number. Got 'a'"):
        nn.LeakyReLU("a")
    with pytest.raises(gn.ConfigError, match=r"Dropout: p must be in \[0, 1\). Got 1"):
        nn.Dropout(1)
    with pytest.raises(
        gn.ConfigError, match="(?s)every layer must be a Module. Got type.*instance"
    ):
        nn.Sequential([nn.ReLU])


def test_dense_layout_dtype_and_repr():
    layer = nn.Dense(3, 2, seed=0)
    assert layer.w.shape == (3, 2) and layer.w.dtype == np.float32
    assert not layer.b.data.any()
    y = layer(np.arange(6, dtype=np.uint8).reshape(2, 3))  # inputs take the weights' dtype
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, np.arange(6).reshape(2, 3) @ layer.w.data, rtol=1e-6)
    assert str(layer) == "Dense(3 → 2)" and "Dense(3, 2)" in repr(nn.Sequential([layer]))
    assert nn.Dense(3, 2, seed=7).w.data.tolist() == nn.Dense(3, 2, seed=7).w.data.tolist()
