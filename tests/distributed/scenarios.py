"""Models and data shared by the MPI worker (under mpirun) and the single-process references.

Each scenario trains 20 steps: on 2 ranks with per-rank batch B (``run_distributed``) and
in one process with batch 2B and the same seed, hence the same sample order
(``run_single``). Row counts are picked so the last global batch of an epoch is short:
split 7/6 between the ranks, or 1/0 (one rank then trains on no rows at that step).
"""

from __future__ import annotations

import numpy as np

import glassnet as gn

B = 8  # per-rank batch; the single process uses 2B


def _data(n: int, shape: tuple, dtype, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)).astype(dtype)
    y = rng.integers(0, 3, n)
    return x, y


def _mlp(dtype, batchnorm: bool):
    rng = np.random.default_rng(1)
    layers = [gn.nn.Dense(6, 16, seed=rng)]
    layers += [gn.nn.BatchNorm(16, dtype=dtype)] if batchnorm else []
    layers += [gn.nn.ReLU(), gn.nn.Dense(16, 3, seed=rng)]
    return _as(gn.Sequential(layers), dtype)


def _cnn(dtype, batchnorm: bool):
    rng = np.random.default_rng(2)
    layers = [gn.nn.Conv2D(1, 4, 3, seed=rng)]
    layers += [gn.nn.BatchNorm(4, dtype=dtype)] if batchnorm else []
    layers += [gn.nn.ReLU(), gn.nn.MaxPool2D(2), gn.nn.Flatten(), gn.nn.Dense(36, 3, seed=rng)]
    return _as(gn.Sequential(layers), dtype)


def _as(model, dtype):
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    for module in model.modules():
        for name, value in module.buffers().items():
            module.set_buffer(name, value.astype(dtype))
    return model


# name: (model builder, dtype, optimizer, rows, input shape, sync_batchnorm)
SCENARIOS = {
    "mlp_adam_f64": (lambda d: _mlp(d, False), np.float64, "adam", 145, (6,), False),
    "mlp_adam_f32": (lambda d: _mlp(d, False), np.float32, "adam", 157, (6,), False),
    "cnn_sgd_f64": (lambda d: _cnn(d, False), np.float64, "sgd", 157, (1, 8, 8), False),
    "cnn_sgd_f32": (lambda d: _cnn(d, False), np.float32, "sgd", 160, (1, 8, 8), False),
    "mlp_syncbn_f64": (lambda d: _mlp(d, True), np.float64, "sgd", 157, (6,), True),
    "cnn_syncbn_f64": (lambda d: _cnn(d, True), np.float64, "sgd", 160, (1, 8, 8), True),
    "mlp_localbn_f64": (lambda d: _mlp(d, True), np.float64, "sgd", 157, (6,), False),
}


def build(name: str):
    """(compiled model, x, y, x_val, y_val) of a scenario, identical in every process."""
    make, dtype, opt, n, shape, _ = SCENARIOS[name]
    model = make(dtype)
    optimizer = gn.optim.Adam(lr=0.01) if opt == "adam" else gn.optim.SGD(lr=0.05, momentum=0.9)
    model.compile(optimizer, "cross_entropy", metrics=["accuracy"])
    x, y = _data(n, shape, dtype, seed=3)
    x_val, y_val = _data(21, shape, dtype, seed=4)
    return model, x, y, x_val, y_val


def fit(name: str, batch_size: int):
    """Train a scenario for 2 epochs (20 steps at 2B rows per step); return (model, History)."""
    model, x, y, x_val, y_val = build(name)
    history = model.fit(
        x, y, epochs=2, batch_size=batch_size, validation_data=(x_val, y_val), verbose=0, seed=7
    )
    return model, history


def hand_loop(distributed: bool):
    """A hand-written loop with DistributedOptimizer (or plain SGD in one process), 10 steps."""
    model, x, y, _, _ = build("mlp_adam_f64")
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    loss_fn = gn.losses.CrossEntropy()
    if distributed:
        opt = gn.distributed.DistributedOptimizer(opt, model)
    rank, size = gn.distributed.rank(), gn.distributed.size()
    batches = gn.distributed.global_batches(np.arange(len(x)), B * 2 // size, rank, size)
    for rows, _ in batches:
        opt.zero_grad()
        with np.errstate(divide="ignore", invalid="ignore"):  # a rank may get no rows
            loss = loss_fn(model(x[rows]), y[rows])
            loss.backward()
        if distributed:
            opt.step(loss.item(), len(rows))
        else:
            opt.step()
    return model
