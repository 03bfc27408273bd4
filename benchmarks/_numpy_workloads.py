"""Hand-written NumPy training steps: the floor any framework on NumPy can approach.

No autograd, no objects: each backward is written out by hand, every array float32.
"""

from __future__ import annotations

import numpy as np


def _glorot(rng, fan_in, fan_out):
    a = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-a, a, (fan_in, fan_out)).astype(np.float32)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def w1_epoch(x, y, batch, seed=0):
    """[784, 30, 10] sigmoid, quadratic cost, SGD lr 3.0."""
    rng = np.random.default_rng(seed)
    w1, b1 = _glorot(rng, 784, 30), np.zeros(30, np.float32)
    w2, b2 = _glorot(rng, 30, 10), np.zeros(10, np.float32)
    t = np.eye(10, dtype=np.float32)[y]
    lr = np.float32(3.0)
    for s in range(0, len(x), batch):
        xb, tb = x[s : s + batch], t[s : s + batch]
        a1 = _sigmoid(xb @ w1 + b1)
        a2 = _sigmoid(a1 @ w2 + b2)
        d2 = (a2 - tb) / np.float32(len(xb)) * a2 * (1 - a2)
        d1 = (d2 @ w2.T) * a1 * (1 - a1)
        w2 -= lr * (a1.T @ d2)
        b2 -= lr * d2.sum(0)
        w1 -= lr * (xb.T @ d1)
        b1 -= lr * d1.sum(0)


class _Adam:
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        step = np.float32(self.lr / c1)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= step * m / (np.sqrt(v / np.float32(c2)) + np.float32(self.eps))


def _softmax_ce_grad(z, y):
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / np.float32(len(y))


def w2_epoch(x, y, batch, seed=0):
    """784-512-512-10 ReLU, cross-entropy, Adam 1e-3."""
    rng = np.random.default_rng(seed)
    sizes = [784, 512, 512, 10]
    ws = [_glorot(rng, a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    opt = _Adam(ws + bs)
    for s in range(0, len(x), batch):
        xb, yb = x[s : s + batch], y[s : s + batch]
        acts = [xb]
        for w, b in zip(ws[:-1], bs[:-1]):
            acts.append(np.maximum(acts[-1] @ w + b, 0))
        d = _softmax_ce_grad(acts[-1] @ ws[-1] + bs[-1], yb)
        gw, gb = [None] * 3, [None] * 3
        for i in (2, 1, 0):
            gw[i], gb[i] = acts[i].T @ d, d.sum(0)
            if i:
                d = (d @ ws[i].T) * (acts[i] > 0)
        opt.step(gw + gb)


def gemm_gflops(n: int = 1024, repeats: int = 10) -> float:
    """Peak float32 GEMM rate of this NumPy (GFLOP/s, best of ``repeats`` after a warm-up
    call that starts BLAS's threads)."""
    import time

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
