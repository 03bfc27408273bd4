"""An optimizer's ``step`` and ``zero_grad`` written out as lines of a captured step.

A captured training step (:mod:`glassnet.captured`) records ``optimizer.step()`` as a
call. :mod:`glassnet._capture_codegen` writes that call out inline instead, as
:meth:`Optimizer.step` would run it for the current settings: the counters, the weight
decay, and the update rule itself when the optimizer's class gives it as lines
(``replay_lines``: SGD, Adam, AdamW), else a call of ``update`` per parameter. The lines
read every hyperparameter live (a schedule changes ``lr`` between steps), so they stay
right as long as the structure they were written for holds; :func:`guard_terms` says what
that structure is (the bound parameters, the buffers, which terms are on), and a captured
step records again when it changes.

``step_lines(opt, name)`` and ``zero_grad_lines(opt, name)`` return the lines, or None
when the method itself must be called (clipping, an overridden ``step``); ``name(value,
prefix)`` makes a global of the replay function holding ``value``.
"""

from __future__ import annotations

from collections.abc import Callable

from glassnet.optim.base import Optimizer

__all__ = ["guard_terms", "step_lines", "zero_grad_lines"]


def guard_terms(opt: Optimizer, name: Callable, step: bool = True) -> list[str]:
    """Conditions (Python expressions) that hold while lines written for ``opt`` stay
    right: the same list of parameters (zero_grad's lines name them); for ``step``'s
    lines also the same buffers and scratch arrays (bind and load_state_dict replace
    them), clipping still off, weight decay still on or off, and the same ``replay_key()``
    (SGD: momentum and Nesterov on or off)."""
    o = name(opt, "opt")
    terms = [f"{o}.{attr} is {name(getattr(opt, attr), 'held')}" for attr in _HELD]
    if not step:
        return terms[:1]
    terms += [f"{o}.clipnorm is None", f"bool({o}.weight_decay) is {bool(opt.weight_decay)}"]
    return [*terms, f"{o}.replay_key() == {name(opt.replay_key(), 'key')}"]


_HELD = ("params", "buffers", "scratch")


def zero_grad_lines(opt: object, name: Callable) -> list[str] | None:
    """``p.grad = None`` for each bound parameter, or None for an overridden zero_grad."""
    if not isinstance(opt, Optimizer) or type(opt).zero_grad is not Optimizer.zero_grad:
        return None
    return [f"{name(p, 'p')}.grad = None" for p in opt.params] or ["pass"]


def step_lines(opt: object, name: Callable) -> list[str] | None:
    """:meth:`Optimizer.step` for ``opt``'s current structure, or None (call it)."""
    if not isinstance(opt, Optimizer) or type(opt).step is not Optimizer.step:
        return None
    if opt.clipnorm is not None or not opt.params:
        return None
    o = name(opt, "opt")
    lines = [f"{o}.iterations += 1", f"st = {o}.steps"]
    rule = _rule(opt)
    lines += [f"{key} = {o}.{key}" for key in opt.settings] if rule else [f"upd = {o}.update"]
    for i, p in enumerate(opt.params):
        body = [f"st[{i}] += 1", f"uw = {name(p, 'p')}.data"]
        if rule is None or any("{t}" in line for line in rule):  # SGD's rule has no t
            body.insert(1, f"ut = st[{i}]")
        if opt.weight_decay:
            body.append(f"ug = {o}.apply_weight_decay({i}, uw, ug)")
        if rule is None:
            body.append(f"upd({i}, uw, ug, ut)")
        else:
            arrays = {n: opt.buffers[n][i] for n in opt.buffers}
            arrays.update({f"work{k}": a for k, a in enumerate(opt.scratch[i])})
            # as locals: ``m *= beta1`` on a global name would make it local, unbound
            body += [f"u_{n} = {name(a, 'buf')}" for n, a in arrays.items()]
            places = {"w": "uw", "g": "ug", "t": "ut", **{n: f"u_{n}" for n in arrays}}
            body += [line.format(**places) for line in rule]
        p_name = name(p, "p")
        lines += [f"ug = {p_name}.grad", f"if ug is not None and {p_name}.requires_grad:"]
        lines += ["    " + line for line in body]
    return lines


def _rule(opt: Optimizer) -> list[str] | None:
    """The class's ``replay_lines``, when the class that wrote them also wrote the
    ``update`` this optimizer runs (a subclass with its own update gets None)."""
    for cls in type(opt).__mro__:
        if "replay_lines" in cls.__dict__:
            return opt.replay_lines() if type(opt).update is cls.__dict__["update"] else None
    return None
