"""Keras habits: layers built on first use, activation=, input_shape=, Keras loss names,
learning_rate=, and no silent double softmax."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ConfigError

X = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
Y = np.arange(12) % 3


def keras_mlp(last="softmax"):
    return gn.Sequential(
        [gn.nn.Dense(8, activation="relu", seed=0), gn.nn.Dense(3, activation=last, seed=1)]
    )


def test_dense_reads_its_input_size_from_the_first_batch_with_the_same_draw():
    lazy, explicit = gn.nn.Dense(4, seed=3), gn.nn.Dense(5, 4, seed=3)
    assert lazy.parameters() == [] and not lazy.built and str(lazy) == "Dense(? → 4)"
    np.testing.assert_array_equal(lazy(X).data, explicit(X).data)
    assert lazy.built and lazy.w.shape == (5, 4)


def test_activation_becomes_its_own_layer_in_a_sequential():
    model = keras_mlp()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "ReLU", "Dense", "Softmax"]
    standalone = gn.nn.Dense(5, 3, activation="relu", seed=0)
    assert (standalone(-np.abs(X)).data >= 0).all()  # outside a Sequential it applies itself


def test_unbuilt_summary_names_the_unbuilt_layers_and_predict_builds(capsys):
    model = keras_mlp()
    text = model.summary()
    assert "Not built yet: 0 Dense(? → 8), 2 Dense(? → 3)" in text
    assert model.predict(X).shape == (12, 3)
    assert "Not built yet" not in model.summary() and model.count_params() == 48 + 27


def test_input_shape_on_the_first_layer_builds_every_layer_at_construction():
    model = gn.Sequential(
        [
            gn.nn.Conv2D(4, 3, activation="relu", input_shape=(1, 8, 8), seed=0),
            gn.nn.Flatten(),
            gn.nn.Dense(2, seed=1),
        ]
    )
    assert model[0].w.shape == (4, 1, 3, 3) and model[3].w.shape == (144, 2)
    assert "(None, 4, 6, 6)" in model.summary()


def test_fit_builds_then_binds_the_optimizer_and_trains():
    model = keras_mlp().compile(
        gn.optim.Adam(learning_rate=0.05), "sparse_categorical_crossentropy"
    )
    history = model.fit(X, Y, epochs=20, verbose=0, seed=0)
    assert len(model.optimizer.params) == 4
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_unbuilt_layer_cannot_be_saved_and_a_built_one_round_trips(tmp_path):
    model = keras_mlp().compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match=r"save: Dense\(\? → 8\): this layer is not built yet"):
        model.save(tmp_path / "m.gnm")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.gnm")
    loaded = gn.load_model(tmp_path / "m.gnm")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)
    assert "Dense(5 → 8)" in str(gn.explain.forward(loaded, X[0]))


def test_bad_activation_and_input_shape_are_named():
    with pytest.raises(ConfigError, match=r"Dense: unknown activation. Got 'rleu'"):
        gn.nn.Dense(3, activation="rleu")
    with pytest.raises(ConfigError, match=r"Conv2D: input_shape must be the shape of one sample"):
        gn.nn.Conv2D(3, 3, input_shape=(8,))


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sparse_categorical_crossentropy", gn.losses.CrossEntropy),
        ("categorical_crossentropy", gn.losses.CrossEntropy),
        ("binary_crossentropy", gn.losses.BinaryCrossEntropy),
        ("mean_squared_error", gn.losses.MSE),
        ("mean_absolute_error", gn.losses.MAE),
    ],
)
def test_keras_loss_names(name, cls):
    loss = gn.losses.get(name)
    assert type(loss) is cls
    assert getattr(loss, "from_logits", False) is False  # Keras's default: probabilities


def test_a_loss_by_name_matches_the_last_layer():
    after_softmax = keras_mlp("softmax").compile("adam", "cross_entropy").loss
    after_linear = keras_mlp(None).compile("adam", "sparse_categorical_crossentropy").loss
    assert after_softmax.from_logits is False and after_linear.from_logits is True
    binary = gn.Sequential([gn.nn.Dense(1, activation="sigmoid")]).compile("sgd", "bce").loss
    assert binary.from_logits is False


def test_a_loss_object_taking_logits_after_softmax_stops_with_a_hint():
    model = keras_mlp("softmax")
    with pytest.raises(ConfigError, match=r"ends in softmax and the loss applies softmax again"):
        model.compile("adam", gn.losses.CrossEntropy())
    model.compile("adam", gn.losses.CrossEntropy(from_logits=False))  # the fix the hint names
    sig = gn.Sequential([gn.nn.Dense(2, 1), gn.nn.Sigmoid()])
    with pytest.raises(ConfigError, match=r"hint: use BinaryCrossEntropy\(from_logits=False\)"):
        sig.compile("adam", gn.losses.BinaryCrossEntropy(from_logits=True))


@pytest.mark.parametrize(
    "cls", [gn.optim.SGD, gn.optim.Adam, gn.optim.AdamW, gn.optim.RMSprop, gn.optim.Adagrad]
)
def test_every_optimizer_takes_learning_rate(cls):
    opt = cls(learning_rate=0.123)
    assert opt.lr == opt.learning_rate == 0.123
    opt.learning_rate = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ConfigError, match="lr"):
        opt.learning_rate = -1.0
    assert gn.optim.get(cls.__name__.lower(), learning_rate=0.2).lr == 0.2


def test_metric_acc_is_accuracy():
    model = keras_mlp().compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    assert "accuracy" in model.evaluate(X, Y)
