"""Two-dimensional toy data sets in the style of TensorFlow Playground.

Every generator takes ``n`` (samples), ``noise`` (≥ 0; Playground's slider runs 0 … 0.5)
and ``seed`` (int or np.random.Generator), and returns ``x`` float32 (n, 2) with the
samples in random order. Classification sets return ``y`` int64 class labels 0, 1, …
(class k gets n/K samples, the first n mod K classes one more); regression sets return
``y`` float32 (n,) targets in [−1, 1]. Uniform noise u ~ U(−1, 1) is drawn per
coordinate.
"""

from __future__ import annotations

import numpy as np

from glassnet.data._arrays import check_count
from glassnet.errors import ConfigError, message
from glassnet.tensor import rng_from

__all__ = [
    "make_circles",
    "make_gaussians",
    "make_multi_gaussian",
    "make_regression_plane",
    "make_spiral",
    "make_xor",
]


def _check(name: str, n, noise) -> tuple[int, float]:
    n = check_count(n, name, "n")
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not noise >= 0:
        raise ConfigError(message(name, "noise must be a number ≥ 0", repr(noise), "e.g. 0.1"))
    return n, float(noise)


def _class_sizes(n: int, k: int) -> np.ndarray:
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _shuffled(x: np.ndarray, y: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), y[order]


def make_circles(
    n: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 1 inside a ring of class 0 (radius R = 5).

    Class 1: r ~ U(0, R/2); class 0: r ~ U(0.7·R, R); angle θ ~ U(0, 2π);
    x = (r·sin θ, r·cos θ) + noise·R·u. The label is recomputed from the noisy point:
    y = 1 if ‖x‖ < R/2 else 0, so heavy noise moves points across the boundary.
    """
    n, noise = _check("make_circles", n, noise)
    rng, radius = rng_from(seed), 5.0
    n_out, n_in = _class_sizes(n, 2)
    r = np.concatenate(
        [rng.uniform(0.7 * radius, radius, n_out), rng.uniform(0, 0.5 * radius, n_in)]
    )
    theta = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    x += noise * radius * rng.uniform(-1, 1, (n, 2))
    y = (np.linalg.norm(x, axis=1) < 0.5 * radius).astype(np.int64)
    return _shuffled(x, y, rng)


def make_xor(
    n: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants: class 1 where both coordinates share a sign (x₁·x₂ ≥ 0).

    Each coordinate is v ~ U(−5, 5), pushed 0.3 away from 0 (v ± 0.3); then
    x = v + noise·5·u and y = 1 if x₁·x₂ ≥ 0 else 0 on the noisy point.
    """
    n, noise = _check("make_xor", n, noise)
    rng = rng_from(seed)
    v = rng.uniform(-5, 5, (n, 2))
    x = v + np.where(v > 0, 0.3, -0.3) + noise * 5 * rng.uniform(-1, 1, (n, 2))
    y = (x[:, 0] * x[:, 1] >= 0).astype(np.int64)
    return _shuffled(x, y, rng)


def make_gaussians(
    n: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs: class 1 centred at (2, 2), class 0 at (−2, −2).

    x ~ N(centre, σ²·I) with variance σ² = 0.5 + 7·noise (Playground's 0.5 at noise 0 to
    4 at noise 0.5, continued linearly beyond).
    """
    n, noise = _check("make_gaussians", n, noise)
    rng = rng_from(seed)
    sizes = _class_sizes(n, 2)
    y = np.repeat(np.array([0, 1]), sizes)
    centres = np.where(y[:, None] == 1, 2.0, -2.0)
    x = rng.normal(centres, np.sqrt(0.5 + 7 * noise), size=(n, 2))
    return _shuffled(x, y, rng)


def make_spiral(
    n: int = 200,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = 0,
    n_classes: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (Playground's two-arm spiral by default).

    Sample i of m in arm k: r = 5·i/m, θ = 1.75·2π·i/m + 2π·k/K;
    x = (r·sin θ, r·cos θ) + noise·u; y = k.
    """
    n, noise = _check("make_spiral", n, noise)
    k = check_count(n_classes, "make_spiral", "n_classes", minimum=2)
    rng = rng_from(seed)
    sizes = _class_sizes(n, k)
    y = np.repeat(np.arange(k), sizes)
    t = np.concatenate([np.arange(m) / m for m in sizes if m])
    r, theta = 5.0 * t, 1.75 * 2 * np.pi * t + 2 * np.pi * y / k
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    x += noise * rng.uniform(-1, 1, (n, 2))
    return _shuffled(x, y, rng)


def make_regression_plane(
    n: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane: y = (x₁ + x₂)/10 on x ~ U(−6, 6)², clipped to [−1, 1].

    The target is computed on the noisy point p + noise·6·u, and x is the clean point p,
    so noise makes the targets scatter around the plane.
    """
    n, noise = _check("make_regression_plane", n, noise)
    rng = rng_from(seed)
    p = rng.uniform(-6, 6, (n, 2))
    q = p + noise * 6 * rng.uniform(-1, 1, (n, 2))
    y = np.clip((q[:, 0] + q[:, 1]) / 10, -1, 1)
    return p.astype(np.float32), y.astype(np.float32)


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def make_multi_gaussian(
    n: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Six signed bumps on a 3 × 2 grid (centres (±4 or 0, ±2.5), alternating signs s).

    Bump j contributes s_j · max(0, 1 − ‖q − c_j‖/2); the target is the contribution of
    largest magnitude, so y ∈ [−1, 1]. q = p + noise·6·u is the noisy point, p ~ U(−6, 6)²
    is returned as x.
    """
    n, noise = _check("make_multi_gaussian", n, noise)
    rng = rng_from(seed)
    p = rng.uniform(-6, 6, (n, 2))
    q = p + noise * 6 * rng.uniform(-1, 1, (n, 2))
    dist = np.linalg.norm(q[:, None, :] - _BUMPS[None, :, :2], axis=2)  # (n, 6)
    bumps = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    y = bumps[np.arange(n), np.abs(bumps).argmax(axis=1)]
    return p.astype(np.float32), y.astype(np.float32)
