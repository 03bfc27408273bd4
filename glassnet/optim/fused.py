"""Fused optimizer updates: an optimizer's NumPy passes done as one pass over the arrays.

Why. Adam's update written with NumPy (``Adam.update``) is 13 passes over each
parameter's arrays, one per operation: m ← m·β₁, work ← g·(1 − β₁), m ← m + work, and so
on. Inside a training step those arrays (weights, gradients, both moments) have just been
pushed out of the caches by the matrix products, and every pass walks them again: for
the 669,706 weights of a 784-512-512-10 network that is ~2 ms of a 6 ms step. A loop that
does all 13 operations on one element before moving to the next reads w, g, m and v once
and writes w, m and v once. NumPy cannot express that loop; numba compiles it (the
``fast`` extra: ``pip install glassnet[fast]``).

The same bits. Each loop below performs its NumPy passes' operations element by element,
in the same order and in the arrays' precision: every scalar is cast to the arrays'
dtype first, as NumPy casts a Python float (NEP 50), and no multiply-add is fused (numba
uses no fast-math unless asked). So the fused update equals the NumPy passes bit for bit
(``tests/optim/test_fused.py`` compares them). ``error_model="numpy"`` makes a division
by zero give inf or nan as NumPy does instead of raising, which also lets the compiler
vectorise the loop.

When. An optimizer asks (:func:`adam`) and runs its NumPy passes itself when the answer is
False: numba not installed, ``GLASSNET_FUSED=0`` in the environment (read at import),
arrays that are not all C-contiguous, float32 or float64, of one dtype and shape, arrays
that overlap or a read-only one to write, or a setting that is not a Python number (a
NumPy scalar would make NumPy compute in float64; the loop could not match it). The loop
is compiled on first use, per dtype (~0.5 s, plus ~0.4 s to import numba).
"""

from __future__ import annotations

import math
import os
from itertools import combinations

import numpy as np

__all__ = ["ENABLED", "adam", "available"]

ENABLED = os.environ.get("GLASSNET_FUSED", "1") != "0"
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_compiled: dict = {}


def adam_loop(
    w: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    beta1: np.floating,
    one_minus_beta1: np.floating,
    beta2: np.floating,
    one_minus_beta2: np.floating,
    root: np.floating,
    eps: np.floating,
    step: np.floating,
) -> None:
    """Adam's lines 2–5 (see :class:`glassnet.optim.Adam`) for each element i, in place:

    m ← m·β₁ + g·(1 − β₁)
    v ← v·β₂ + (g·g)·(1 − β₂)
    w ← w − m / (√v · root + ε) · step      root = 1/√(1 − β₂ᵗ), step = η/(1 − β₁ᵗ)
    """
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta1 + gi * one_minus_beta1
        vi = v[i] * beta2 + (gi * gi) * one_minus_beta2
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - mi / (math.sqrt(vi) * root + eps) * step


def available() -> bool:
    """True when fused updates run: numba imports and ``GLASSNET_FUSED`` is not "0"."""
    return _kernel(adam_loop) is not None


def adam(
    w: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    beta1: float,
    beta2: float,
    eps: float,
    lr: float,
    t: int,
) -> bool:
    """Adam's update of one parameter in one pass, as ``Adam.update``'s NumPy passes would
    do it; False, with nothing changed, when the fused loop does not apply (see above)."""
    kernel = _kernel(adam_loop)
    if kernel is None or not _fits((w, g, m, v), (beta1, beta2, eps, lr)):
        return False
    d = w.dtype.type
    kernel(
        *(a.reshape(-1) for a in (w, g, m, v)),
        d(beta1),
        d(1 - beta1),
        d(beta2),
        d(1 - beta2),
        d(1 / math.sqrt(1 - beta2**t)),
        d(eps),
        d(lr / (1 - beta1**t)),
    )
    return True


def _fits(arrays: tuple, settings: tuple) -> bool:
    """Arrays of one float dtype and shape, C-contiguous, not overlapping, all but the
    second (the gradient, only read) writeable; settings that are Python numbers."""
    first = arrays[0]
    if not isinstance(first, np.ndarray) or first.dtype not in _DTYPES:
        return False
    if any(type(s) not in (float, int) for s in settings):
        return False
    for k, a in enumerate(arrays):
        if not isinstance(a, np.ndarray) or a.dtype != first.dtype or a.shape != first.shape:
            return False
        if not a.flags.c_contiguous or not (k == 1 or a.flags.writeable):
            return False
    return not any(np.may_share_memory(a, b) for a, b in combinations(arrays, 2))


def _kernel(loop):
    """``loop`` compiled by numba (once), or None when numba is missing or fused is off."""
    if not ENABLED:
        return None
    if loop not in _compiled:
        try:
            import numba
        except ImportError:
            _compiled[loop] = None
        else:
            _compiled[loop] = numba.njit(error_model="numpy", nogil=True)(loop)
    return _compiled[loop]
