"""The models, data and training runs that tests/training/test_capture*.py compare: W1, W2,
W3 (mnist_cnn), a network with every other layer kind (Dropout and BatchNorm included),
and every optimizer and loss, each small enough for a test to train ~50 steps twice."""

from __future__ import annotations

import numpy as np

import glassnet as gn

d = gn.nn


def _mlp(act, out, seed=0, width=8):
    return [d.Dense(6, width, seed=seed), act, d.Dense(width, out, seed=seed + 1)]


def _cnn(seed=0):
    return [
        d.Conv2D(1, 32, 3, seed=seed),
        d.ReLU(),
        d.Conv2D(32, 64, 3, seed=seed + 1),
        d.ReLU(),
        d.MaxPool2D(2),
        d.Dropout(0.25, seed=seed + 2),
        d.Flatten(),
        d.Dense(9216, 128, seed=seed + 3),
        d.ReLU(),
        d.Dropout(0.5, seed=seed + 4),
        d.Dense(128, 10, seed=seed + 5),
    ]


def _regularised(seed=0):  # every remaining layer kind, Dropout and BatchNorm included
    return [
        d.Reshape((1, 2, 3)),
        d.Conv2D(1, 4, 2, padding=1, seed=seed),
        d.BatchNorm(4),
        d.LeakyReLU(0.1),
        d.AvgPool2D(2),
        d.Flatten(),
        d.Dense(8, 8, seed=seed + 1),
        d.BatchNorm(8),
        d.Tanh(),
        d.Dropout(0.3, seed=seed + 2),
        d.Dense(8, 8, seed=seed + 3),
        d.Softplus(),
        d.Dense(8, 3, seed=seed + 4),
        d.Softmax(),
    ]


def _data(shape, n, target, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    if target == "labels":
        return x, rng.integers(0, 10, n)
    if target == "onehot3":
        return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]
    if target == "onehot10":
        return x, np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    if target == "binary":
        return x, rng.integers(0, 2, (n, 1)).astype(np.float32)
    return x, rng.standard_normal((n, target)).astype(np.float32)


CASES = {  # name: (layers, optimizer, loss, input shape, target, batch, rows, epochs)
    "W1": (
        lambda: [d.Dense(784, 30, seed=0), d.Sigmoid(), d.Dense(30, 10, seed=1), d.Sigmoid()],
        lambda: gn.optim.SGD(lr=3.0),
        gn.losses.QuadraticCost,
        (784,),
        "onehot10",
        10,
        243,
        2,
    ),
    "W2": (
        lambda: [
            d.Dense(784, 512, seed=0),
            d.ReLU(),
            d.Dense(512, 512, seed=1),
            d.ReLU(),
            d.Dense(512, 10, seed=2),
        ],
        lambda: gn.optim.Adam(lr=1e-3),
        gn.losses.CrossEntropy,
        (784,),
        "labels",
        16,
        197,
        2,
    ),
    "W3": (
        _cnn,
        lambda: gn.optim.Adam(lr=1e-3),
        gn.losses.CrossEntropy,
        (1, 28, 28),
        "labels",
        2,
        9,
        3,
    ),
    "dropout-batchnorm": (
        _regularised,
        lambda: gn.optim.AdamW(lr=1e-2, weight_decay=0.01),
        lambda: gn.losses.CrossEntropy(from_logits=False),
        (6,),
        "onehot3",
        8,
        99,
        4,
    ),
    "sgd-momentum-mse": (
        lambda: _mlp(d.Tanh(), 2),
        lambda: gn.optim.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        gn.losses.MSE,
        (6,),
        2,
        8,
        99,
        4,
    ),
    "sgd-momentum-relu": (
        lambda: _mlp(d.ReLU(), 2),
        lambda: gn.optim.SGD(lr=0.05, momentum=0.9),
        gn.losses.MSE,
        (6,),
        2,
        8,
        99,
        4,
    ),
    "rmsprop-mae": (
        lambda: _mlp(d.ReLU(), 2),
        lambda: gn.optim.RMSprop(lr=1e-2, clipnorm=0.5),
        gn.losses.MAE,
        (6,),
        2,
        8,
        99,
        4,
    ),
    "adagrad-bce": (
        lambda: _mlp(d.Sigmoid(), 1) + [d.Sigmoid()],
        lambda: gn.optim.Adagrad(lr=0.1),
        gn.losses.BinaryCrossEntropy,
        (6,),
        "binary",
        8,
        99,
        4,
    ),
    "adam-bce-logits": (
        lambda: _mlp(d.Identity(), 1),
        lambda: gn.optim.Adam(lr=1e-2),
        lambda: gn.losses.BinaryCrossEntropy(from_logits=True),
        (6,),
        "binary",
        8,
        99,
        4,
    ),
    "sgd-crossentropy-onehot": (
        lambda: _mlp(d.LeakyReLU(), 10),
        lambda: gn.optim.SGD(lr=0.1),
        gn.losses.CrossEntropy,
        (6,),
        "onehot10",
        8,
        99,
        4,
    ),
}


def _train(case: str, capture: bool):
    layers, optimizer, loss, shape, target, batch, rows, epochs = CASES[case]
    model = gn.Sequential(layers())
    model.compile(optimizer=optimizer(), loss=loss(), capture=capture)
    x, y = _data(shape, rows, target)
    history = model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0, seed=7)
    return model, history
