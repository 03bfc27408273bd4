"""One optimizer step for one weight, written out with numbers and checked against the
optimizer itself.

SGD:       w ← w − η·g
momentum:  v ← μ·v + g,   w ← w − η·v          (Nesterov: w ← w − η·(g + μ·v))
Adam:      m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²,
           m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ),  w ← w − η·m̂ / (√v̂ + ε)

The optimizer's state for the weight (velocity, m, v, step count t) is read from the
optimizer when it is bound to the model, so the numbers are those of the next real step.
The model is never changed: the step runs on a copy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet import optim
from glassnet.errors import ConfigError, InternalError, message
from glassnet.explain.render import factor, num
from glassnet.nn import Parameter

if TYPE_CHECKING:
    from glassnet.optim.base import Optimizer

__all__ = ["resolve_optimizer", "explain_update"]


def resolve_optimizer(optimizer: str | Optimizer | None, lr: float | None) -> Optimizer:
    """An Optimizer from None (SGD), a name, a class or an instance; ``lr`` sets its rate."""
    if isinstance(optimizer, optim.Optimizer):
        if lr is not None:
            raise ConfigError(
                message(
                    "explain.weight",
                    "lr was given next to an optimizer instance",
                    f"lr={lr!r} and {optimizer!r}",
                    "one source of the learning rate",
                    "set the rate on the optimizer, or pass optimizer='sgd' with lr=...",
                )
            )
        return optimizer
    config = {} if lr is None else {"lr": lr}
    return optim.get("sgd" if optimizer is None else optimizer, **config)


def _state(opt, param) -> tuple[dict, int]:
    """The optimizer's buffers for ``param`` and the number of steps it has taken."""
    for i, p in enumerate(opt.params):
        if p is param:
            return {name: arrays[i] for name, arrays in opt.buffers.items()}, opt.steps[i]
    return {}, 0


def _run_real(opt, param, grad_full: np.ndarray, state: dict, t: int) -> np.ndarray:
    """The whole tensor after one step of a fresh optimizer of the same kind and state."""
    twin = type(opt)(**opt.get_config())
    p = Parameter(param.data.astype(np.float64))
    twin.bind([p])
    for name, arrays in twin.buffers.items():
        if name in state:
            arrays[0][...] = state[name]
    twin.steps[0] = t
    p.grad = grad_full
    twin.step()
    return p.data


def explain_update(
    opt: Optimizer, param: Parameter, index: tuple, grad_full: np.ndarray
) -> tuple[float, list[str]]:
    """The new value of ``param[index]`` after one step of ``opt``, and the lines saying how."""
    state, t = _state(opt, param)
    w = float(param.data[index])
    g = float(grad_full[index])
    real = float(_run_real(opt, param, grad_full, state, t)[index])
    here = {name: float(np.asarray(value)[index]) for name, value in state.items()}
    if isinstance(opt, optim.SGD):
        new, lines = _sgd(opt, w, g, here.get("velocity", 0.0))
    elif isinstance(opt, optim.Adam):
        new, lines = _adam(opt, w, g, here.get("m", 0.0), here.get("v", 0.0), t + 1)
    else:
        return real, [
            f"{type(opt).__name__} step (its update rule is in its docstring):",
            f"w = {num(w)} → {num(real)}",
        ]
    if not math.isclose(new, real, rel_tol=1e-9, abs_tol=1e-12):
        raise InternalError(
            message(
                "explain.weight",
                "the written-out update differs from the optimizer's step",
                f"{new!r} by hand, {real!r} from {opt!r}",
                "equal values",
            )
        )
    return real, lines


def _sgd(opt, w: float, g: float, v: float) -> tuple[float, list[str]]:
    lr, mu, decay = opt.lr, opt.momentum, opt.weight_decay
    lines = [f"{type(opt).__name__}(lr={num(lr)}, momentum={num(mu)})"]
    if decay:
        lines.append(f"g = g + λ·w = {num(g)} + {num(decay)}·{num(w)} = {num(g + decay * w)}")
        g = g + decay * w
    if not mu:
        new = w - lr * g
        lines.append(f"w_new = w − lr·grad = {num(w)} − {num(lr)}·{factor(g)} = {num(new)}")
        return new, lines
    v_new = mu * v + g
    lines.append(f"v = μ·v + g = {num(mu)}·{factor(v)} + {factor(g)} = {num(v_new)}")
    if opt.nesterov:
        d = g + mu * v_new
        lines.append(f"d = g + μ·v = {num(g)} + {num(mu)}·{factor(v_new)} = {num(d)}   (Nesterov)")
    else:
        d = v_new
    new = w - lr * d
    lines.append(
        f"w_new = w − lr·{'d' if opt.nesterov else 'v'} = "
        f"{num(w)} − {num(lr)}·{factor(d)} = {num(new)}"
    )
    return new, lines


def _adam(opt, w: float, g: float, m: float, v: float, t: int) -> tuple[float, list[str]]:
    lr, b1, b2, eps, decay = opt.lr, opt.beta1, opt.beta2, opt.eps, opt.weight_decay
    lines = [
        f"{type(opt).__name__}(lr={num(lr)}, β₁={num(b1)}, β₂={num(b2)}, ε={num(eps)}),"
        f" step t = {t}"
    ]
    if decay and isinstance(opt, optim.AdamW):
        lines.append(
            f"w = w − lr·λ·w = {num(w)} − {num(lr)}·{num(decay)}·{factor(w)}"
            f" = {num(w - lr * decay * w)}"
        )
        w = w - lr * decay * w
    elif decay:
        lines.append(f"g = g + λ·w = {num(g)} + {num(decay)}·{factor(w)} = {num(g + decay * w)}")
        g = g + decay * w
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m_new / (1 - b1**t), v_new / (1 - b2**t)
    step = lr * m_hat / (math.sqrt(v_hat) + eps)
    lines += [
        f"m = β₁·m + (1 − β₁)·g = {num(b1)}·{factor(m)} + {num(1 - b1)}·{factor(g)}"
        f" = {num(m_new)}",
        f"v = β₂·v + (1 − β₂)·g² = {num(b2)}·{factor(v)} + {num(1 - b2)}·{factor(g)}²"
        f" = {num(v_new)}",
        f"m̂ = m / (1 − β₁ᵗ) = {num(m_new)} / {num(1 - b1**t)} = {num(m_hat)}",
        f"v̂ = v / (1 − β₂ᵗ) = {num(v_new)} / {num(1 - b2**t)} = {num(v_hat)}",
        f"step = lr·m̂ / (√v̂ + ε) = {num(lr)}·{factor(m_hat)}"
        f" / ({num(math.sqrt(v_hat))} + {num(eps)}) = {num(step)}",
        f"w_new = w − step = {num(w)} − {factor(step)} = {num(w - step)}",
    ]
    return w - step, lines
