"""The fused optimizer updates (numba, ``glassnet.optim.fused``) against the NumPy passes
they replace: the same bits, step after step, in float32 and float64; and the cases
where the fused loop must step aside and leave the NumPy passes to run."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim import fused


def test_fused_updates_run_in_the_dev_environment():
    """numba comes with the dev extra (``fast``): without it every test below would
    compare the NumPy passes with themselves."""
    assert fused.available()


SHAPES = [(784, 33), (33,), (5, 3, 3, 2), (1,)]


def gradients(rng, params, dtype, step):
    """Gradients with the values that stress the update: zeros, huge, tiny, negative."""
    out = []
    for p in params:
        g = rng.normal(scale=10.0 ** rng.integers(-6, 4), size=p.data.shape)
        flat = g.reshape(-1)
        flat[::7] = 0.0
        flat[1::11] *= 1e4
        out.append(g.astype(dtype))
    if step % 3 == 2:  # a parameter whose gradient is all zero (v, m decay only)
        out[-1][...] = 0
    return out


def train(cls, dtype, use_fused, monkeypatch, steps=6, lr=None, **settings):
    """Weights and buffers after ``steps`` updates from the same start and gradients
    (``lr`` is set on the built optimizer, as a schedule sets it)."""
    monkeypatch.setattr(fused, "ENABLED", use_fused)
    ran, real = [], fused.adam

    def recorded(*args):  # what each update's request to the fused loop answered
        ran.append(real(*args))
        return ran[-1]

    monkeypatch.setattr(fused, "adam", recorded)
    rng = np.random.default_rng(0)
    params = [gn.nn.Parameter(rng.normal(size=s).astype(dtype)) for s in SHAPES]
    opt = cls(params, **settings)
    opt.lr = opt.lr if lr is None else lr
    for step in range(steps):
        for p, g in zip(params, gradients(rng, params, dtype, step)):
            p.grad = g
        opt.step()
    buffers = [a for name in ("m", "v") for a in opt.buffers[name]]
    expected = {use_fused and type(opt.lr) is float} if steps else set()
    assert set(ran) == expected  # every update ran fused exactly when it could
    return [p.data for p in params] + buffers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "cls, settings",
    [
        (gn.optim.Adam, {}),
        (gn.optim.Adam, {"lr": 0.3, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}),
        (gn.optim.Adam, {"weight_decay": 0.1}),
        (gn.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
    ],
)
def test_fused_adam_gives_the_numpy_passes_bits(cls, settings, dtype, monkeypatch):
    ours = train(cls, dtype, True, monkeypatch, **settings)
    passes = train(cls, dtype, False, monkeypatch, **settings)
    for a, b in zip(ours, passes):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b, strict=True)
    assert not np.array_equal(ours[0], train(cls, dtype, True, monkeypatch, steps=0)[0])


def arrays(dtype=np.float32, n=12):
    rng = np.random.default_rng(1)
    w, g, m = (rng.normal(size=n).astype(dtype) for _ in range(3))
    return w, g, m, np.abs(rng.normal(size=n)).astype(dtype)


SETTINGS = (0.9, 0.999, 1e-8, 1e-3, 3)


@pytest.mark.parametrize("read_only_gradient", [False, True])
def test_fused_adam_runs_on_contiguous_float_arrays(read_only_gradient):
    w, g, m, v = arrays()
    g.flags.writeable = not read_only_gradient  # the gradient is only read
    before = w.copy()
    assert fused.adam(w, g, m, v, *SETTINGS)
    assert not np.array_equal(w, before)


def declined_cases():
    w, g, m, v = arrays()
    square = [a.reshape(3, 4) for a in (w, g, m, v)]
    yield "F-ordered weights", (square[0].T.copy().T, *square[1:]), SETTINGS
    yield "a transposed view", (square[0].T, *(a.T.copy() for a in square[1:])), SETTINGS
    yield "mixed dtypes", (w, g.astype(np.float64), m, v), SETTINGS
    yield "float16", tuple(a.astype(np.float16) for a in (w, g, m, v)), SETTINGS
    yield "integers", tuple(a.astype(np.int64) for a in (w, g, m, v)), SETTINGS
    yield "different shapes", (w, g[:6], m, v), SETTINGS
    yield "gradient aliases m", (w, m, m, v), SETTINGS
    yield "NumPy scalar lr", (w, g, m, v), (0.9, 0.999, 1e-8, np.float64(1e-3), 3)
    yield "a list", (w.tolist(), g, m, v), SETTINGS
    frozen = v.copy()
    frozen.flags.writeable = False
    yield "read-only v", (w, g, m, frozen), SETTINGS


@pytest.mark.parametrize("case", list(declined_cases()), ids=lambda c: c[0])
def test_fused_adam_steps_aside_and_changes_nothing(case):
    _, given, settings = case
    copies = [np.array(a, copy=True) for a in given]
    assert fused.adam(*given, *settings) is False
    for a, before in zip(given, copies):
        np.testing.assert_array_equal(np.asarray(a), before)


def test_optimizer_falls_back_to_the_passes_where_fused_steps_aside(monkeypatch):
    """A NumPy-scalar learning rate: NumPy computes in float64, the loop cannot; the
    optimizer's own passes run, and give the same as with fused switched off."""
    ours = train(gn.optim.Adam, np.float32, True, monkeypatch, lr=np.float64(0.01))
    passes = train(gn.optim.Adam, np.float32, False, monkeypatch, lr=np.float64(0.01))
    for a, b in zip(ours, passes):
        np.testing.assert_array_equal(a, b, strict=True)


def test_a_captured_step_calls_the_fused_update_and_keeps_the_passes(monkeypatch):
    """The replay writes the call, with the NumPy passes beneath it for when it steps
    aside; with fused switched off it writes the passes alone."""

    def source(enabled):
        monkeypatch.setattr(fused, "ENABLED", enabled)
        model = gn.Sequential([gn.nn.Dense(4, 3, seed=0), gn.nn.ReLU(), gn.nn.Dense(3, 2, seed=1)])
        model.compile(optimizer=gn.optim.Adam(lr=0.01), loss="cross_entropy")
        x, y = np.random.default_rng(0).random((8, 4), dtype=np.float32), np.arange(8) % 2
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        (program,) = model._captured["train"].programs.values()
        return program.source

    with_fused, without = source(True), source(False)
    assert with_fused.count("if not fused_adam(") == 4
    assert "fused_adam" not in without
    assert with_fused.count(" sqrt(u_v") == without.count(" sqrt(u_v") == 4
