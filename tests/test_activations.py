"""glassnet.activations: every spec agrees with its module, and one registered spec reaches
every reader (explain, the doctor, the CLI, plot, the playground) and leaves with it."""

import dataclasses

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet import activations, cli
from glassnet.playground import server
from glassnet.playground.protocol import validate_settings
from glassnet.playground.session import Session
from glassnet.training import recipes

ELEMENTWISE = [s for s in activations.specs() if s.elementwise]


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_each_written_slope_equals_autograd_and_outputs_stay_in_range(spec):
    z = np.random.default_rng(0).normal(scale=4.0, size=200)
    z = z[np.abs(z) > 1e-3]  # off the kink of ReLU and LeakyReLU
    module = spec.make()
    t = gn.tensor(z, dtype=np.float64, requires_grad=True)
    a = module(t)
    upstream = np.random.default_rng(1).normal(size=z.shape)
    a.backward(upstream)
    np.testing.assert_allclose(upstream * spec.slope(z, a.data, module), t.grad, rtol=1e-12)
    low, high = spec.output_range
    wide = module(gn.tensor(np.linspace(-60, 60, 241), dtype=np.float64)).data
    assert np.all((wide >= low) & (wide <= high))
    assert isinstance(module, spec.module) and activations.of(module) is spec


def test_every_shipped_spec_names_an_op_whose_docstring_states_the_formula():
    assert all(spec.op is not None for spec in ELEMENTWISE)
    for spec in activations.specs():
        if spec.op is None:  # a module built from existing ops (the softsign below)
            continue
        doc = spec.op.__doc__
        assert "Forward:" in doc and "Backward:" in doc, spec.name
    assert activations.of(gn.nn.Softmax()).elementwise is False
    assert activations.of(gn.nn.Softmax(), elementwise=True) is None
    assert activations.of(gn.nn.Dense(2, 2)) is None


def test_aliases_resolve_and_unknown_names_list_the_choices():
    assert activations.get("linear") is activations.get("identity")
    assert "linear" in activations.choices() and "linear" not in activations.names()
    with pytest.raises(gn.ConfigError, match=r"build_mlp: unknown activation 'swish'.*relu"):
        activations.get("swish", where="build_mlp")
    with pytest.raises(gn.ConfigError, match="activations.get: unknown activation 'softmax'"):
        activations.get("softmax")  # not elementwise: no hidden layer may use it


# ---- registering a new activation reaches every reader --------------------------------------
class Softsign(gn.nn.Module):
    """y = x / (1 + |x|), composed of existing ops."""

    def forward(self, x):
        x = gn.as_tensor(x)
        return x / (1 + gn.ops.abs(x))


SOFTSIGN = activations.ActivationSpec(
    "softsign",
    Softsign,
    None,
    forward="a = z / (1 + |z|)",
    slope_formula="1 / (1 + |z|)²",
    slope=lambda z, a, m: (1 - np.abs(a)) ** 2,
    output_range=(-1.0, 1.0),
    stalls="saturated",
)


@pytest.fixture
def softsign():
    activations.register(SOFTSIGN)
    try:
        yield SOFTSIGN
    finally:
        activations.unregister("softsign")


def softsign_net():
    return gn.Sequential([gn.nn.Dense(2, 3, seed=0), Softsign(), gn.nn.Dense(3, 2, seed=1)])


def test_a_registered_activation_is_explained_with_its_formula_and_slope(softsign):
    net = softsign_net()
    walk = str(gn.explain.forward(net, [0.5, -1.0]))
    assert "a = z / (1 + |z|)" in walk and "a[0] = softsign(" in walk
    e = gn.explain.weight(net, [0.5, -1.0], [1.0, 0.0], "0.w[1, 2]")  # checked vs autograd
    assert "softsign: f′(z) = 1 / (1 + |z|)²" in str(e)
    assert e.gradient == pytest.approx(e.autograd, rel=1e-12)


def test_the_doctor_checks_a_registered_saturating_activation(softsign):
    x, _ = gn.data.make_circles(100, noise=0.05, seed=0)
    net = softsign_net()
    net[0].w.data[:] = 100.0
    d = gn.doctor(model=net, x=x)["saturated_units"]
    assert d.finding.startswith("sigmoid/tanh/softsign units whose slope is below 0.01")
    assert d.numbers["saturated_fraction"] == {"1": 1.0}


def test_the_cli_offers_a_registered_activation_and_builds_it(softsign, capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--help"])
    assert "leaky_relu, softplus, identity, softsign" in " ".join(capsys.readouterr().out.split())
    model = recipes.build_mlp(2, [4, 4], 2, activation="softsign")
    assert [type(layer).__name__ for layer in model.layers][1::2] == ["Softsign", "Softsign"]


def test_plot_draws_a_registered_activation_and_its_slope(softsign, tmp_path):
    fig = gn.plot.activations(tmp_path / "act.png")
    n = len(activations.names())  # one curve each, then the axis lines
    values, slopes = fig.axes[0].lines[:n], fig.axes[1].lines[:n]
    labels = [line.get_label() for line in values]
    assert labels == [*activations.names()] and labels[-1] == "softsign"
    z = values[-1].get_xdata()
    np.testing.assert_allclose(values[-1].get_ydata(), z / (1 + np.abs(z)), rtol=1e-12)
    np.testing.assert_allclose(slopes[-1].get_ydata(), 1 / (1 + np.abs(z)) ** 2, rtol=1e-12)


def test_the_playground_lists_builds_and_explains_a_registered_activation(softsign):
    with TestClient(server.create_app()) as client:
        page = client.get("/").text
    assert '<option value="softsign">softsign</option>' in page
    assert '<option value="identity">linear</option>' in page
    session = Session(validate_settings({"activation": "softsign", "hidden": [3]}))
    assert isinstance(session.model.layers[1], Softsign)
    text = session.explain_neuron(0, 1, [0.5, -0.5], None)["text"]
    assert "a = softsign(z)" in text


def test_after_unregistering_no_reader_offers_it():
    activations.register(SOFTSIGN)
    assert activations.unregister("softsign") is SOFTSIGN
    assert "softsign" not in activations.choices()
    with pytest.raises(gn.ConfigError, match="plot.activations: unknown activation 'softsign'"):
        gn.plot.activations(names=("softsign",))
    with pytest.raises(gn.ConfigError, match="settings.activation: is not a known choice"):
        validate_settings({"activation": "softsign"})
    assert activations.of(Softsign()) is None


# ---- the registry refuses what it cannot use ---------------------------------------------------
@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"name": "tanh"}, r"its name cannot be registered. Got name='tanh'"),
        ({"aliases": ("linear",)}, r"its name cannot be registered.*not yet taken"),
        ({"name": "soft sign"}, r"its name cannot be registered.*an identifier"),
        ({"module": gn.nn.Tanh}, r"its module cannot be registered.*no other activation has"),
        ({"module": object}, r"its module cannot be registered.*a glassnet.nn.Module class"),
        ({"slope": 2.0}, r"its slope cannot be registered. Got slope=2.0"),
        ({"output_range": (1.0, -1.0)}, r"its output_range cannot be registered.*low < high"),
        ({"stalls": "dying"}, r"its stalls cannot be registered.*'dead' or 'saturated'"),
    ],
)
def test_a_spec_that_cannot_be_registered_is_refused(changes, pattern):
    bad = dataclasses.replace(SOFTSIGN, **changes)
    with pytest.raises(gn.ConfigError, match=r"activations.register\(.*\): " + pattern):
        activations.register(bad)
    assert "softsign" not in activations.choices()


def test_replace_keeps_the_place_and_unknown_names_are_refused():
    before = activations.names()
    right = activations.get("tanh")
    activations.register(dataclasses.replace(right, label="TANH"), replace=True)
    try:
        assert activations.names() == before and activations.get("tanh").label == "TANH"
    finally:
        activations.register(right, replace=True)
    with pytest.raises(gn.ConfigError, match="there is no activation of this name to replace"):
        activations.register(SOFTSIGN, replace=True)
    with pytest.raises(gn.ConfigError, match="activations.unregister: no activation called 'x'"):
        activations.unregister("x")
