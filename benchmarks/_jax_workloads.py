"""JAX (jit) twins of the benchmark workloads: optional, used by benchmarks/run.py only
when ``import jax`` works (JAX is never a glassnet dependency).

Each workload is one ``jax.jit``-compiled train step over pytrees (parameters and optimizer
state, donated so XLA updates them in place), written out in jax.numpy with no optax:

    SGD:   p ← p − lr·g
    Adam:  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
           p ← p − (lr/(1−β₁ᵗ))·m / (√(v/(1−β₂ᵗ)) + ε)      (torch.optim.Adam's form)

Parameters are Glorot-uniform, biases zero, every array float32 (speed only; the values
need not match the other frameworks' bit for bit).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

LR_SGD, LR_ADAM, BETA1, BETA2, EPS = 3.0, 1e-3, 0.9, 0.999, 1e-8


def _glorot(key, shape, fan_in: int, fan_out: int):
    a = float(np.sqrt(6 / (fan_in + fan_out)))
    return jax.random.uniform(key, shape, jnp.float32, -a, a)


def _dense(key, sizes):
    """[(w, b), ...] for the dense layers sizes[0] → sizes[1] → ...; w is (in, out)."""
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        (_glorot(k, (a, b), a, b), jnp.zeros(b, jnp.float32))
        for k, a, b in zip(keys, sizes[:-1], sizes[1:])
    ]


def _conv(key, c_in: int, c_out: int, k: int):
    """(w, b) of a k×k convolution, w in OIHW layout (fans count the receptive field)."""
    w = _glorot(key, (c_out, c_in, k, k), c_in * k * k, c_out * k * k)
    return w, jnp.zeros(c_out, jnp.float32)


def _cross_entropy(z, y):
    """Mean over the batch of −log softmax(z)[y]."""
    logp = jax.nn.log_softmax(z)
    return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()


def _w1_loss(params, x, t):
    """Quadratic cost 1/(2n) Σ‖t − a‖² of the [784, 30, 10] sigmoid network."""
    (w1, b1), (w2, b2) = params
    a = jax.nn.sigmoid(jax.nn.sigmoid(x @ w1 + b1) @ w2 + b2)
    return jnp.sum((a - t) ** 2) / (2 * x.shape[0])


def _w2_loss(params, x, y):
    """Cross-entropy of the 784-512-512-10 ReLU network."""
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return _cross_entropy(x @ w + b, y)


def _dropout(key, x, rate: float):
    """Inverted dropout: zero with probability rate, scale the kept by 1/(1 − rate)."""
    keep = jax.random.bernoulli(key, 1 - rate, x.shape)
    return jnp.where(keep, x / (1 - rate), 0)


def _w3_loss(params, x, y, key):
    """Cross-entropy of the Keras mnist_cnn network (NCHW input, train-mode dropout)."""
    (c1, cb1), (c2, cb2), (w1, b1), (w2, b2) = params
    k1, k2 = jax.random.split(key)
    conv = jax.lax.conv_general_dilated
    h = jax.nn.relu(conv(x, c1, (1, 1), "VALID") + cb1[:, None, None])
    h = jax.nn.relu(conv(h, c2, (1, 1), "VALID") + cb2[:, None, None])
    n, c, hh, ww = h.shape
    h = h.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))  # MaxPool2D(2)
    h = _dropout(k1, h, 0.25).reshape(n, -1)
    h = _dropout(k2, jax.nn.relu(h @ w1 + b1), 0.5)
    return _cross_entropy(h @ w2 + b2, y)


def _adam(params, grads, m, v, t):
    """One Adam update of the pytrees; t is the step count after this step."""
    c1, c2 = 1 - BETA1**t, 1 - BETA2**t
    m = jax.tree.map(lambda m, g: BETA1 * m + (1 - BETA1) * g, m, grads)
    v = jax.tree.map(lambda v, g: BETA2 * v + (1 - BETA2) * g * g, v, grads)
    params = jax.tree.map(
        lambda p, m, v: p - (LR_ADAM / c1) * m / (jnp.sqrt(v / c2) + EPS), params, m, v
    )
    return params, m, v


def _w1_step(state, x, t):
    grads = jax.grad(_w1_loss)(state, x, t)
    return jax.tree.map(lambda p, g: p - LR_SGD * g, state, grads)


def _w2_step(state, x, y):
    params, m, v, t = state
    t = t + 1
    params, m, v = _adam(params, jax.grad(_w2_loss)(params, x, y), m, v, t)
    return params, m, v, t


def _w2_sgd_step(params, x, y):
    """W2 with plain SGD (p -= lr·g): the Adam step less its update (benchmarks/w2_profile.py)."""
    grads = jax.grad(_w2_loss)(params, x, y)
    return jax.tree.map(lambda p, g: p - LR_ADAM * g, params, grads)


def _w3_step(state, x, y):
    params, m, v, t, key = state
    key, sub = jax.random.split(key)
    t = t + 1
    params, m, v = _adam(params, jax.grad(_w3_loss)(params, x, y, sub), m, v, t)
    return params, m, v, t, key


def _donating(step):
    """The step with its state (argument 0) donated: XLA may write the new state in place."""
    return jax.jit(step, donate_argnums=0)


def build(name: str):
    """[jitted step, initial state] for W1, W2 or W3, mirroring benchmarks/run.py (and
    "W2 SGD": W2 with plain SGD, for w2_profile.py)."""
    key = jax.random.key(0)
    if name == "W1":
        return [_donating(_w1_step), _dense(key, [784, 30, 10])]
    if name == "W2 SGD":
        return [_donating(_w2_sgd_step), _dense(key, [784, 512, 512, 10])]
    if name == "W2":
        params = _dense(key, [784, 512, 512, 10])
    else:
        keys = jax.random.split(key, 4)
        params = [
            _conv(keys[0], 1, 32, 3),
            _conv(keys[1], 32, 64, 3),
            *_dense(keys[2], [9216, 128, 10]),
        ]
    zeros = jax.tree.map(jnp.zeros_like, params)
    state = (params, zeros, jax.tree.map(jnp.zeros_like, params), jnp.int32(0))
    if name == "W3":
        state = (*state, keys[3])
    return [_donating(_w2_step if name == "W2" else _w3_step), state]


def epoch(parts, x: np.ndarray, y: np.ndarray, batch: int, onehot: bool) -> None:
    """One pass over (x, y) in mini-batches, one jitted step each (the last batch may be
    smaller and is traced once more); blocks until the final state is computed.
    ``parts`` is [step, state]: the state carries over from epoch to epoch."""
    step, state = parts
    target = np.eye(10, dtype=np.float32)[y] if onehot else y.astype(np.int32)
    for start in range(0, len(x), batch):
        state = step(state, x[start : start + batch], target[start : start + batch])
    parts[1] = jax.block_until_ready(state)
