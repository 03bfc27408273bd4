"""Optimizer behaviour beyond the update formula: binding, frozen parameters, in-place
float32 updates, state dicts that continue training exactly, and validation errors."""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

ALL = {
    "sgd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "adam": {"weight_decay": 0.01},
    "adamw": {},
    "rmsprop": {"momentum": 0.5, "centered": True},
    "adagrad": {"initial_accumulator_value": 0.1},
}


def _params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [gn.nn.Parameter(rng.normal(size=s).astype(dtype)) for s in [(3, 2), (2,)]]


def _feed(params, step):
    for k, p in enumerate(params):
        p.grad = np.sin(p.data * (step + 1) + k)


def _train(opt, params, steps, start=0):
    for step in range(start, start + steps):
        _feed(params, step)
        opt.step()


@pytest.mark.parametrize("name", list(ALL))
def test_float32_stays_float32_and_updates_in_place(name):
    params = _params(np.float32)
    arrays = [p.data for p in params]
    opt = optim.get(name, params=params, lr=0.1, **ALL[name])
    _train(opt, params, 3)
    for p, array in zip(params, arrays):
        assert p.data is array and p.data.dtype == np.float32
    for buffers in opt.buffers.values():
        assert all(b.dtype == np.float32 for b in buffers)


@pytest.mark.parametrize("name", list(ALL))
def test_gradients_are_read_not_written(name):
    params = _params()
    opt = optim.get(name, params=params, lr=0.1, **ALL[name])
    _feed(params, 0)
    before = [p.grad.copy() for p in params]
    opt.step()
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("name", list(ALL))
def test_frozen_and_gradless_parameters_are_skipped(name):
    frozen, gradless, live = _params(seed=1) + [gn.nn.Parameter(np.ones(3))]
    frozen.trainable = False
    frozen.grad = np.ones_like(frozen.data)  # a stale gradient must not be applied
    opt = optim.get(name, params=[frozen, gradless, live], lr=0.1, **ALL[name])
    copies = [frozen.data.copy(), gradless.data.copy(), live.data.copy()]
    live.grad = np.ones(3)
    opt.step()
    np.testing.assert_array_equal(frozen.data, copies[0])
    np.testing.assert_array_equal(gradless.data, copies[1])
    assert not np.allclose(live.data, copies[2])
    assert opt.steps == [0, 0, 1] and opt.iterations == 1


@pytest.mark.parametrize("name", list(ALL))
def test_state_dict_continues_training_exactly(name):
    params = _params()
    opt = optim.get(name, params=params, lr=0.05, **ALL[name])
    _train(opt, params, 10)
    state = opt.state_dict()
    json.dumps({k: v for k, v in state.items() if k != "buffers"})  # plain data
    assert all(isinstance(b, np.ndarray) for b in state["buffers"].values())
    weights = [p.data.copy() for p in params]
    _train(opt, params, 10, start=10)

    restored = [gn.nn.Parameter(w) for w in weights]
    fresh = optim.get(name, lr=0.001)  # settings come back from the state
    fresh.load_state_dict(state)  # before bind: applied when bound
    fresh.bind(restored)
    _train(fresh, restored, 10, start=10)
    for p, q in zip(params, restored):
        np.testing.assert_array_equal(p.data, q.data)
    assert fresh.lr == 0.05 and fresh.iterations == 20


def test_bind_accepts_a_module_and_zero_grad_clears():
    model = gn.nn.Sequential([gn.nn.Dense(3, 2, seed=0), gn.nn.ReLU(), gn.nn.Dense(2, 1, seed=1)])
    opt = optim.SGD(lr=0.1).bind(model)
    assert opt.params == model.parameters() and len(opt.params) == 4
    model(np.ones((2, 3), np.float32)).sum().backward()
    opt.step()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_the_seeds_update_rule_by_hand():
    w = gn.tensor([2.0, -1.0], dtype=np.float64, requires_grad=True)
    w.grad = np.array([-24.0, 3.0])
    optim.SGD([w], lr=0.01).step()
    np.testing.assert_allclose(w.data, [2.24, -1.03])


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: optim.SGD(lr=0), "SGD: lr must be a positive number. Got 0; expected lr > 0"),
        (lambda: optim.SGD(lr=-1e-3), "SGD: lr must be a positive number"),
        (lambda: optim.SGD(lr=float("nan")), "SGD: lr must be a positive number. Got nan"),
        (lambda: optim.SGD(lr="0.1"), "SGD: lr must be a positive number. Got '0.1'"),
        (lambda: optim.SGD(momentum=-0.1), "momentum must be a non-negative number"),
        (lambda: optim.SGD(nesterov=True), "(?s)nesterov=True needs momentum.*hint: e.g."),
        (lambda: optim.SGD(weight_decay=-1), "weight_decay must be a non-negative"),
        (lambda: optim.Adam(beta1=1.0), r"Adam: beta1 must be in \[0, 1\). Got 1.0"),
        (lambda: optim.Adam(beta2=-0.1), r"beta2 must be in \[0, 1\)"),
        (lambda: optim.Adam(eps=0), "eps must be a positive number"),
        (lambda: optim.AdamW(lr=0), "AdamW: lr must be a positive number"),
        (lambda: optim.RMSprop(rho=1.2), r"RMSprop: rho must be in \[0, 1\)"),
        (lambda: optim.Adagrad(lr_decay=-1), "Adagrad: lr_decay must be a non-negative"),
    ],
)
def test_hyperparameters_are_validated_at_construction(make, pattern):
    with pytest.raises(gn.ConfigError, match=pattern):
        make()


def test_binding_and_stepping_errors():
    with pytest.raises(gn.ConfigError, match="(?s)no parameters are bound.*hint: pass params="):
        optim.Adam().step()
    w = gn.nn.Parameter(np.zeros(2))
    with pytest.raises(gn.ConfigError, match="a parameter appears more than once"):
        optim.SGD([w, w])
    with pytest.raises(gn.ConfigError, match="parameter 0 is not a tensor. Got ndarray"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(gn.DTypeError, match="parameter 0 is not floating point"):
        optim.SGD([gn.tensor(np.array([1, 2]))])


def test_state_dict_errors():
    opt = optim.SGD(_params(), momentum=0.9)
    with pytest.raises(gn.ConfigError, match="the state belongs to another optimizer. Got 'adam'"):
        opt.load_state_dict(optim.Adam(_params()).state_dict())
    with pytest.raises(gn.ShapeError, match="different number of parameters. Got 1; expected 2"):
        opt.load_state_dict(optim.SGD(_params()[:1], momentum=0.9).state_dict())
    mixed = optim.SGD(_params()).state_dict()
    mixed["hyperparameters"]["momentum"] = 0.9  # momentum without its velocity buffers
    with pytest.raises(gn.ConfigError, match="(?s)saved buffers do not fit.*hint: pass a state"):
        opt.load_state_dict(mixed)
    bad_settings = opt.state_dict()
    bad_settings["hyperparameters"]["lr"] = -1.0
    with pytest.raises(gn.ConfigError, match="lr must be a positive number. Got -1.0"):
        opt.load_state_dict(bad_settings)
    assert opt.lr == 0.01  # a rejected state changes nothing
    bad = opt.state_dict()
    bad["buffers"]["velocity.0"] = np.zeros(5)
    with pytest.raises(gn.ShapeError, match=r"buffer velocity.0 has the wrong shape. Got \(5,\)"):
        opt.load_state_dict(bad)


def test_get_resolves_names_classes_and_instances():
    for name, cls in [
        ("sgd", optim.SGD),
        ("adam", optim.Adam),
        ("adamw", optim.AdamW),
        ("rmsprop", optim.RMSprop),
        ("adagrad", optim.Adagrad),
    ]:
        opt = optim.get(name, lr=0.5)
        assert type(opt) is cls and opt.lr == 0.5 and opt.name == name
        assert type(optim.get(name.upper())) is cls
        assert repr(opt).startswith(cls.__name__ + "(lr=0.5")
    adam = optim.Adam()
    assert optim.get(adam) is adam and isinstance(optim.get(optim.SGD), optim.SGD)
    with pytest.raises(gn.ConfigError, match="unknown optimizer 'lbfgs'"):
        optim.get("lbfgs")
    with pytest.raises(gn.ConfigError, match="(?s)settings cannot be applied.*hint: write"):
        optim.get(adam, lr=0.1)


def test_docstring_examples_run():
    import doctest

    assert doctest.testmod(optim, raise_on_error=True).attempted >= 1


@pytest.mark.parametrize("name", list(ALL))
def test_a_step_allocates_no_arrays(name):
    import tracemalloc

    params = [gn.nn.Parameter(np.ones((256, 256), np.float32)) for _ in range(2)]
    for p in params:
        p.grad = np.full_like(p.data, 0.5)
    opt = optim.get(name, params=params, lr=0.01, **ALL[name])
    opt.step()
    tracemalloc.start()
    opt.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4096  # one 256×256 float32 array would be 262,144 bytes


def test_buffer_names_are_fixed_class_attributes():
    assert optim.SGD.buffer_names == ("velocity",) and optim.Adam.buffer_names == ("m", "v")
    assert optim.RMSprop.buffer_names == ("square_avg", "grad_avg", "velocity")
    assert optim.AdamW.buffer_names == ("m", "v") and optim.Adagrad.buffer_names == ("sum",)
    # buffers kept only under a setting: read from the class, no optimizer built
    assert optim.SGD.buffers_for({"momentum": 0.0}) == ()
    assert optim.RMSprop.buffers_for({"centered": True, "momentum": 0}) == (
        "square_avg",
        "grad_avg",
    )
    plain = optim.SGD(_params()).state_dict()["buffers"]
    assert plain == {} and set(optim.SGD(_params(), momentum=0.9).state_dict()["buffers"]) == {
        "velocity.0",
        "velocity.1",
    }


def test_loading_a_state_builds_no_second_optimizer():
    class Counted(optim.Adam):
        built = 0

        def __init__(self, *args, **kwargs):
            type(self).built += 1
            super().__init__(*args, **kwargs)

    source = Counted(_params(), lr=0.1)
    _feed(source.params, 0)
    source.step()
    target = Counted(_params())
    assert Counted.built == 2
    target.load_state_dict(source.state_dict())
    assert Counted.built == 2 and target.lr == 0.1
    np.testing.assert_array_equal(target.buffers["m"][0], source.buffers["m"][0])


def test_adamw_inherits_adams_signature_and_owns_only_its_decay():
    import inspect

    assert "__init__" not in vars(optim.AdamW)
    assert inspect.signature(optim.AdamW) == inspect.signature(optim.Adam)
    assert optim.AdamW().weight_decay == 0.01 and optim.Adam().weight_decay == 0.0
    assert optim.AdamW(weight_decay=0.2).get_config()["weight_decay"] == 0.2


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad])
def test_the_base_class_validates_weight_decay_for_every_optimizer(cls):
    with pytest.raises(
        gn.ConfigError, match=rf"{cls.__name__}: weight_decay must be a non-negative number"
    ):
        cls(weight_decay=-0.1)
    with pytest.raises(gn.ConfigError, match=rf"{cls.__name__}: unknown settings. Got nope"):
        cls().configure(nope=1)
