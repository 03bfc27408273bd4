"""Every activation glassnet knows, described once: the one list that everything else reads.

An :class:`ActivationSpec` says what a reader of the math needs about an activation a = f(z)
(z the weighted sum of a node, a what the node passes on): its name, its module class and
op, the forward formula, the slope f′(z) as text and as a function, the range of its outputs
and how its units can stop learning. The explanations (:mod:`glassnet.explain`), the
training doctor, the ``glassnet train --activation`` choices, :func:`glassnet.plot.activations`
and the playground's menu all read this registry, so adding an activation is one
:func:`register` call here (after writing its op and its module class):

>>> import glassnet as gn
>>> spec = gn.activations.get("tanh")
>>> spec.module is gn.nn.Tanh, spec.slope_formula, spec.output_range
(True, '1 − tanh²(z)', (-1.0, 1.0))
>>> gn.activations.of(gn.nn.ReLU()).name
'relu'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, message
from glassnet.ops import activation

__all__ = ["ActivationSpec", "register", "unregister", "get", "of", "names", "choices", "specs"]

STALLS = (None, "dead", "saturated")


@dataclass(frozen=True)
class ActivationSpec:
    """One activation a = f(z), as the explanations, the doctor, the CLI, plots and the
    playground need it.

    name          the string users type (``"relu"``); ``aliases`` are accepted too
    module        its module class in :mod:`glassnet.nn` (``gn.nn.ReLU``)
    op            its op class, whose docstring states the formula in x/y terms, or None
                  when the module composes other ops
    forward       the formula in the lesson's terms: ``"a = max(0, z)"``
    slope_formula f′(z) in words: ``"1 if z > 0 else 0"``
    slope         f′ as a function ``(z, a, module) -> array`` of NumPy arrays (the module
                  brings settings such as LeakyReLU's α); None when the activation is not
                  elementwise (softmax: each output depends on every input)
    output_range  (lowest, highest) value a can take (±inf for unbounded)
    label         how a menu shows it (default: the name)
    symbol        f in a written-out formula a = f(z) (default: the name; sigmoid: σ)
    stalls        how its hidden units stop learning, which the doctor checks: "dead"
                  (stuck at the lowest output with slope 0) or "saturated" (slope near 0 at
                  both ends), or None
    figure        settings for its module in figures (LeakyReLU's α = 0.1 shows the slope)
    """

    name: str
    module: type
    op: type | None
    forward: str
    slope_formula: str
    slope: Callable | None
    output_range: tuple[float, float]
    label: str = ""
    symbol: str = ""
    aliases: tuple[str, ...] = ()
    stalls: str | None = None
    figure: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "label", self.label or self.name)
        object.__setattr__(self, "symbol", self.symbol or self.name)

    @property
    def elementwise(self) -> bool:
        """True when a = f(z) node by node (a hidden layer may use it)."""
        return self.slope is not None

    def make(self, **settings) -> nn.Module:
        """A new module of this activation: ``spec.make()``, ``spec.make(alpha=0.1)``."""
        return self.module(**settings)


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))  # the same σ, without overflow


_REGISTRY: dict[str, ActivationSpec] = {}


def register(spec: ActivationSpec, replace: bool = False) -> ActivationSpec:
    """Add ``spec`` to the registry (checked first) and return it. With ``replace=True`` it
    takes the place of the registered activation of the same name (e.g. a test that plants
    a wrong slope), keeping its position in the lists."""
    others = [s for s in _REGISTRY.values() if not (replace and s.name == spec.name)]
    _check(spec, others, replace)
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> ActivationSpec:
    """Remove the activation called ``name`` from the registry and return its spec."""
    if name not in _REGISTRY:
        raise ConfigError(
            message(
                "activations.unregister",
                f"no activation called {name!r}",
                repr(name),
                "one of " + ", ".join(_REGISTRY),
            )
        )
    return _REGISTRY.pop(name)


def _check(spec: ActivationSpec, others: list, replace: bool) -> None:
    """ConfigError for the first field of ``spec`` that cannot be registered next to ``others``."""
    where = f"activations.register({spec.name!r})"
    if replace and spec.name not in _REGISTRY:
        raise ConfigError(
            message(where, "there is no activation of this name to replace", repr(spec.name),
                    "one of " + ", ".join(_REGISTRY))
        )  # fmt: skip
    taken = {n for s in others for n in (s.name, *s.aliases)}
    checks = [
        ("name", isinstance(spec.name, str) and spec.name.isidentifier(), "an identifier"),
        ("name", not {spec.name, *spec.aliases} & taken, "a name and aliases not yet taken"),
        ("module", isinstance(spec.module, type) and issubclass(spec.module, nn.Module),
         "a glassnet.nn.Module class"),
        ("module", all(s.module is not spec.module for s in others),
         "a module class no other activation has"),
        ("slope", spec.slope is None or callable(spec.slope),
         "a function (z, a, module) -> f′(z), or None"),
        ("output_range", _is_range(spec.output_range), "(low, high) with low < high"),
        ("stalls", spec.stalls in STALLS, "None, 'dead' or 'saturated'"),
    ]  # fmt: skip
    for field_name, ok, expected in checks:
        if not ok:
            value = getattr(spec, field_name)
            raise ConfigError(
                message(where, f"its {field_name} cannot be registered",
                        f"{field_name}={value!r}", expected)
            )  # fmt: skip


def _is_range(value) -> bool:
    if not isinstance(value, tuple) or len(value) != 2:
        return False
    low, high = value
    return all(isinstance(v, int | float) and not math.isnan(v) for v in value) and low < high


def specs() -> list[ActivationSpec]:
    """Every registered activation, in registration order (softmax included)."""
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """The names of the elementwise activations: the choices for a hidden layer."""
    return tuple(s.name for s in _REGISTRY.values() if s.elementwise)


def choices() -> tuple[str, ...]:
    """Every string :func:`get` accepts: the names of the elementwise activations and their
    aliases (``"linear"`` for identity)."""
    return tuple(n for s in _REGISTRY.values() if s.elementwise for n in (s.name, *s.aliases))


def get(name: str, where: str = "activations.get") -> ActivationSpec:
    """The elementwise activation called ``name`` (or one of its aliases); ``where`` names
    the caller in the error for an unknown name."""
    for spec in _REGISTRY.values():
        if spec.elementwise and name in (spec.name, *spec.aliases):
            return spec
    raise ConfigError(
        message(where, f"unknown activation {name!r}", repr(name), "one of " + ", ".join(names()))
    )


def of(module: object, elementwise: bool = False) -> ActivationSpec | None:
    """The spec of an activation module (by its exact class), else None; with
    ``elementwise=True`` only an activation applied node by node (not softmax)."""
    spec = next((s for s in _REGISTRY.values() if type(module) is s.module), None)
    return None if spec is None or (elementwise and not spec.elementwise) else spec


# ---- the activations glassnet ships ---------------------------------------------------------
INF = math.inf
register(
    ActivationSpec(
        "relu",
        nn.ReLU,
        activation.ReLU,
        forward="a = max(0, z)",
        slope_formula="1 if z > 0 else 0",
        slope=lambda z, a, m: (z > 0).astype(z.dtype),
        output_range=(0.0, INF),
        label="ReLU",
        stalls="dead",
    )
)
register(
    ActivationSpec(
        "sigmoid",
        nn.Sigmoid,
        activation.Sigmoid,
        forward="a = σ(z) = 1 / (1 + e⁻ᶻ)",
        slope_formula="σ(z)·(1 − σ(z))",
        slope=lambda z, a, m: a * (1 - a),
        output_range=(0.0, 1.0),
        symbol="σ",
        stalls="saturated",
    )
)
register(
    ActivationSpec(
        "tanh",
        nn.Tanh,
        activation.Tanh,
        forward="a = tanh(z)",
        slope_formula="1 − tanh²(z)",
        slope=lambda z, a, m: 1 - a * a,
        output_range=(-1.0, 1.0),
        stalls="saturated",
    )
)
register(
    ActivationSpec(
        "leaky_relu",
        nn.LeakyReLU,
        activation.LeakyReLU,
        forward="a = z if z > 0 else α·z",
        slope_formula="1 if z > 0 else α",
        slope=lambda z, a, m: np.where(z > 0, 1.0, m.alpha).astype(z.dtype),
        output_range=(-INF, INF),
        label="leaky ReLU",
        figure={"alpha": 0.1},
    )
)
register(
    ActivationSpec(
        "softplus",
        nn.Softplus,
        activation.Softplus,
        forward="a = (1/β) ln(1 + e^(βz))",
        slope_formula="σ(βz)",
        slope=lambda z, a, m: _stable_sigmoid(getattr(m, "beta", 1.0) * z).astype(z.dtype),
        output_range=(0.0, INF),
    )
)
register(
    ActivationSpec(
        "identity",
        nn.Identity,
        activation.Identity,
        forward="a = z",
        slope_formula="1",
        slope=lambda z, a, m: np.ones_like(z),
        output_range=(-INF, INF),
        label="linear",
        aliases=("linear",),
    )
)
register(
    ActivationSpec(
        "softmax",
        nn.Softmax,
        activation.Softmax,
        forward="aᵢ = e^zᵢ / Σⱼ e^zⱼ",
        slope_formula="∂aᵢ/∂zⱼ = aᵢ·(δᵢⱼ − aⱼ)",
        slope=None,  # not elementwise: the explanations run its backward instead
        output_range=(0.0, 1.0),
    )
)
register(
    ActivationSpec(
        "log_softmax",
        nn.LogSoftmax,
        activation.LogSoftmax,
        forward="aᵢ = zᵢ − ln Σⱼ e^zⱼ",
        slope_formula="∂aᵢ/∂zⱼ = δᵢⱼ − softmax(z)ⱼ",
        slope=None,  # not elementwise, as softmax
        output_range=(-INF, 0.0),
    )
)
