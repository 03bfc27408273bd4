"""Every figure is written as a PNG and draws exactly the data it was given."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn


def is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_import_glassnet_does_not_import_matplotlib():
    code = "import sys, glassnet as gn; gn.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_history_curves_equal_the_history_and_mark_the_onset(tmp_path):
    table = {
        "loss": [1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1],
        "val_loss": [1.1, 0.7, 0.5, 0.55, 0.6, 0.7, 0.8],
        "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95],
        "val_accuracy": [0.5, 0.65, 0.75, 0.74, 0.73, 0.72, 0.7],
    }
    fig = gn.plot.history(table, tmp_path / "history.png")
    assert is_png(tmp_path / "history.png")
    loss_ax, metric_ax = fig.axes[:2]
    train, val, onset = loss_ax.lines[:3]
    assert train.get_ydata().tolist() == table["loss"]
    assert val.get_ydata().tolist() == table["val_loss"]
    assert train.get_xdata().tolist() == list(range(1, 8))
    assert fig.glassnet_onset == 4 and list(onset.get_xdata()) == [4, 4]
    assert metric_ax.lines[1].get_ydata().tolist() == table["val_accuracy"]


def test_history_from_a_real_fit(tmp_path):
    x, y = gn.data.make_circles(60, noise=0.1, seed=0)
    model = gn.Sequential([gn.nn.Dense(2, 8, seed=0), gn.nn.Tanh(), gn.nn.Dense(8, 2, seed=1)])
    model.compile("adam", "cross_entropy", ["accuracy"])
    h = model.fit(x, y, epochs=5, validation_split=0.2, verbose=0, seed=0)
    fig = gn.plot.history(h, tmp_path / "fit.png")
    assert fig.axes[0].lines[0].get_ydata().tolist() == h["loss"]
    assert fig.axes[1].lines[0].get_ydata().tolist() == h["accuracy"]


def test_history_skips_the_learning_rate_and_ticks_whole_epochs(tmp_path):
    table = {"loss": [1.0, 0.5, 0.4, 0.3], "lr": [0.1, 0.1, 0.05, 0.05], "mae": [2, 1, 0.8, 0.7]}
    fig = gn.plot.history(table, tmp_path / "history.png")
    assert fig.axes[1].get_ylabel() == "mae"  # a scheduler's lr column is no metric
    ticks = fig.axes[0].get_xticks()
    assert np.all(ticks == np.round(ticks))  # no epoch 1.5


def test_history_without_loss_is_refused():
    with pytest.raises(gn.ConfigError, match="plot.history: a history needs a 'loss' curve"):
        gn.plot.history({"accuracy": [0.5]})


def test_loss_curves_one_line_per_optimizer(tmp_path):
    curves = {"GD": [1.0, 0.8, 0.7], "SGD": [1.0, 0.5, 0.6], "Adam": [1.0, 0.3, 0.1]}
    fig = gn.plot.loss_curves(curves, tmp_path / "optimizers.png")
    assert is_png(tmp_path / "optimizers.png")
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines] == list(curves)
    assert [line.get_ydata().tolist() for line in lines] == list(curves.values())


def test_lr_sweep_labels_too_small_good_and_diverged(tmp_path):
    curves = {1e-4: [1.0, 0.999, 0.998], 0.1: [1.0, 0.5, 0.2], 10.0: [1.0, 5.0, float("nan")]}
    fig = gn.plot.lr_sweep(curves, tmp_path / "sweep.png")
    assert is_png(tmp_path / "sweep.png")
    assert fig.glassnet_verdicts == {1e-4: "too small", 0.1: "good", 10.0: "diverged"}
    lines = fig.axes[0].lines
    assert lines[1].get_ydata().tolist() == [1.0, 0.5, 0.2]
    assert lines[2].get_ydata().tolist() == [1.0, 5.0]  # drawn up to its last finite value
    assert "diverged" in lines[2].get_label()


def test_lr_sweep_judges_each_rate_against_the_best_one():
    from glassnet.plot.training import sweep_verdicts

    curves = {  # 1e-3 falls 7%: slow next to 0.1, which ends 40× lower
        1e-3: [5.9, 5.7, 5.5],
        0.1: [5.9, 1.0, 0.14],
        0.3: [5.9, 0.8, 0.2],  # within 2× of the best: also good
        0.9: [5.9, 4.0, 3.0],  # fell, but far above the best, at a larger rate
    }
    assert sweep_verdicts(curves) == {
        1e-3: "too small", 0.1: "good", 0.3: "good", 0.9: "too large"
    }  # fmt: skip
    assert sweep_verdicts({0.01: [1.0, 0.99]}) == {0.01: "too small"}
    assert sweep_verdicts({5.0: [1.0, float("inf")]}) == {5.0: "diverged"}


def test_surface_2d_path_is_gradient_descent_on_the_bowl(tmp_path):
    fig = gn.plot.surface_2d(path=tmp_path / "bowl.png", start=(4.0, -3.0), lr=0.1, steps=10)
    assert is_png(tmp_path / "bowl.png")
    expected = np.array([[4.0, -3.0]]) * (1 - 2 * 0.1) ** np.arange(11)[:, None]  # ∇C = (2x, 2y)
    np.testing.assert_allclose(fig.glassnet_path_points, expected, rtol=1e-12)
    path_line = next(line for line in fig.axes[0].lines if line.get_label() == "descent path")
    np.testing.assert_allclose(path_line.get_xdata(), expected[:, 0])


def test_surface_1d_walks_down_the_curve(tmp_path):
    fig = gn.plot.surface_1d(lambda w: (w - 1.0) ** 2, tmp_path / "one.png", start=-3.0, lr=0.25)
    assert is_png(tmp_path / "one.png")
    walk = fig.glassnet_path_points
    np.testing.assert_allclose(walk, 1.0 - 4.0 * 0.5 ** np.arange(len(walk)))
    curve = fig.axes[0].lines[0]
    np.testing.assert_allclose(curve.get_ydata(), (curve.get_xdata() - 1.0) ** 2, atol=1e-12)


def test_model_surface_is_the_models_loss_along_two_weights(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2))
    y = x @ np.array([[1.5], [-0.5]])
    model = gn.Sequential([gn.nn.Dense(2, 1, use_bias=False, seed=0)])
    fig = gn.plot.model_surface(model, x, y, "mse", path=tmp_path / "model.png", steps=30)
    assert is_png(tmp_path / "model.png")
    walk = fig.glassnet_path_points
    np.testing.assert_allclose(walk[0], model[0].w.data.ravel(), rtol=1e-6)
    np.testing.assert_allclose(walk[-1], [1.5, -0.5], atol=1e-3)  # descends to the true weights
    assert model[0].w.grad is None  # the model itself was not touched


def test_activation_curves_and_slopes_equal_the_formulas(tmp_path):
    fig = gn.plot.activations(tmp_path / "act.png", names=("sigmoid", "tanh", "relu"))
    assert is_png(tmp_path / "act.png")
    values, slopes = fig.axes[0].lines, fig.axes[1].lines
    z = values[0].get_xdata()
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(values[0].get_ydata(), s, rtol=1e-6)
    np.testing.assert_allclose(slopes[0].get_ydata(), s * (1 - s), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(slopes[1].get_ydata(), 1 - np.tanh(z) ** 2, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(slopes[2].get_ydata(), (z > 0).astype(float))


def test_unknown_activation_is_refused():
    with pytest.raises(gn.ConfigError, match="plot.activations: unknown activation 'swish'"):
        gn.plot.activations(names=("swish",))


def test_line_fitter_reaches_least_squares_and_plots_its_error(tmp_path):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([2.2, 4.1, 6.3, 7.9, 10.2])
    fig = gn.plot.line_fitter(x, y, tmp_path / "line.png", lr=0.05, steps=400)
    assert is_png(tmp_path / "line.png")
    walk = fig.glassnet_path_points
    np.testing.assert_allclose(walk[-1], np.polyfit(x, y, 1), atol=1e-3)
    sse = [np.sum((m * x + b - y) ** 2) for m, b in walk]
    np.testing.assert_allclose(fig.axes[2].lines[0].get_ydata(), sse)
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_offsets(), np.c_[x, y])
    star = fig.axes[1].lines[1]  # the least-squares point on the error surface, in view
    np.testing.assert_allclose(np.r_[star.get_xdata(), star.get_ydata()], np.polyfit(x, y, 1))
    (low, high), (bottom, top) = fig.axes[1].get_xlim(), fig.axes[1].get_ylim()
    assert low < star.get_xdata()[0] < high and bottom < star.get_ydata()[0] < top
    minimum = fig.axes[2].lines[1].get_ydata()[0]  # the floor the error curve descends to
    assert minimum <= min(sse) and minimum == pytest.approx(min(sse), rel=1e-4)


def test_line_fitter_refuses_mismatched_data():
    with pytest.raises(gn.ShapeError, match="plot.line_fitter: x and y must be equally long"):
        gn.plot.line_fitter([1.0, 2.0], [1.0])


def test_decision_boundary_draws_the_models_classes(tmp_path):
    x, y = gn.data.make_xor(80, noise=0.05, seed=0)
    model = gn.Sequential([gn.nn.Dense(2, 8, seed=0), gn.nn.Tanh(), gn.nn.Dense(8, 2, seed=1)])
    fig = gn.plot.decision_boundary(model, x, y, tmp_path / "boundary.png", resolution=40)
    assert is_png(tmp_path / "boundary.png")
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    x0, x1, y0, y1 = ax.images[0].get_extent()
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 40), np.linspace(y0, y1, 40)), -1)
    expected = gn.plot.predict_classes(model, grid.reshape(-1, 2)).reshape(40, 40)
    np.testing.assert_array_equal(image, expected)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), x, rtol=1e-6)


def test_network_edges_follow_the_weights(tmp_path):
    model = gn.Sequential([gn.nn.Dense(2, 3, seed=0), gn.nn.ReLU(), gn.nn.Dense(3, 1, seed=1)])
    fig = gn.plot.network(model, tmp_path / "net.png")
    assert is_png(tmp_path / "net.png")
    first, second = fig.axes[0].collections[:2]
    w = model[0].w.data.ravel()
    assert len(first.get_segments()) == 6 and len(second.get_segments()) == 3
    widths = first.get_linewidths()
    assert np.argsort(widths).tolist() == np.argsort(np.abs(w)).tolist()
    blue = [tuple(c) for c in first.get_colors()]
    assert [b[2] > b[0] for b in blue] == (w >= 0).tolist()  # blue positive, red negative
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["positive weight", "negative weight"]
    edge_labels = [t.get_text() for t in fig.axes[0].texts if "\n" not in t.get_text()]
    values = np.concatenate([model[0].w.data.ravel(), model[2].w.data.ravel()])
    assert edge_labels == [f"{v:.3g}" for v in values]  # every edge carries its weight


def test_network_labels_the_bank_example_weights_on_their_edges(tmp_path):
    net = gn.nn.Sequential([gn.nn.Dense(2, 2, use_bias=False), gn.nn.Dense(2, 1, use_bias=False)])
    net[0].w.data[:] = [[1, -1], [1, 1]]
    net[1].w.data[:] = [[2], [-1]]
    fig = gn.plot.network(net, tmp_path / "bank.png")
    edge_labels = [t.get_text() for t in fig.axes[0].texts if "\n" not in t.get_text()]
    assert edge_labels == ["1", "-1", "1", "1", "2", "-1"]
    wide = gn.plot.network(gn.Sequential([gn.nn.Dense(6, 2, seed=0)]))
    assert all("\n" in t.get_text() for t in wide.axes[0].texts)  # 6 units: no edge labels


def test_network_refuses_large_layers():
    with pytest.raises(gn.ConfigError, match="plot.network: a layer has 100 units"):
        gn.plot.network(gn.Sequential([gn.nn.Dense(100, 2)]))


def test_mnist_grid_titles_predictions_and_mistakes(tmp_path):
    (x, y), _ = gn.data.load_mnist()
    images, labels = x[:9], y[:9]
    predictions = labels.copy()
    predictions[[2, 5]] = (labels[[2, 5]] + 1) % 10
    fig = gn.plot.mnist_grid(images, labels, predictions, tmp_path / "mnist.png")
    assert is_png(tmp_path / "mnist.png")
    assert fig.glassnet_order[:2].tolist() == [2, 5]  # mistakes first
    first = fig.axes[0]
    assert first.get_title() == f"{predictions[2]} (true {labels[2]})"
    np.testing.assert_array_equal(first.images[0].get_array(), images[2])
    assert fig.axes[2].get_title() == str(labels[0])


def test_matrices_show_every_number(tmp_path):
    a, b = np.array([[3.0, 1.0], [2.0, 0.0]]), np.array([[4.0, -1.0], [0.5, 2.0]])
    fig = gn.plot.matrices({"A": a, "B": b, "A + B": a + b}, tmp_path / "m.png")
    assert is_png(tmp_path / "m.png")
    third = fig.axes[2]
    np.testing.assert_array_equal(third.images[0].get_array(), a + b)
    assert [t.get_text() for t in third.texts] == ["7", "0", "2.5", "2"]


def test_matrices_refuse_a_3d_array():
    with pytest.raises(gn.ShapeError, match="plot.matrices: 'T' is not a matrix"):
        gn.plot.matrices({"T": np.zeros((2, 2, 2))})


def test_empty_curves_are_refused():
    with pytest.raises(gn.ConfigError, match="plot.loss_curves: no curves given"):
        gn.plot.loss_curves({})
    with pytest.raises(gn.ConfigError, match="plot.lr_sweep: the curve 'lr=0.1' is empty"):
        gn.plot.lr_sweep({0.1: []})


def test_descend_refuses_a_non_positive_rate():
    with pytest.raises(gn.ConfigError, match="plot.descend: lr must be > 0 and steps ≥ 0"):
        gn.plot.surface_2d(lr=0.0)


def test_decision_boundary_needs_two_features():
    model = gn.Sequential([gn.nn.Dense(3, 2, seed=0)])
    with pytest.raises(gn.ShapeError, match="plot.decision_boundary: needs 2-D points"):
        gn.plot.decision_boundary(model, np.zeros((4, 3)), np.zeros(4))


def test_network_needs_a_dense_layer():
    with pytest.raises(gn.ConfigError, match="plot.network: the model has no Dense layer"):
        gn.plot.network(gn.Sequential([gn.nn.ReLU()]))
