"""The Optimizer base class: binding parameters, skipping frozen ones, state, validation.

Every optimizer is one update rule ``w ← w − (step computed from dL/dw)`` applied to each
bound parameter. Full-batch gradient descent, stochastic gradient descent and mini-batch
gradient descent are the same rule fed gradients of different batch sizes.

Updates happen in place on ``param.data`` with buffers allocated once at :meth:`bind`
(state such as momentum, plus scratch space), so a step allocates no new arrays and a
float32 model stays float32. ``param.grad`` is only read, never written: autograd may
hand the same gradient array to more than one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet._validate import non_negative_number, positive_number
from glassnet.errors import ConfigError, DTypeError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers.

    A subclass declares, as class attributes:

    - ``name``: its key in ``optim.get`` and in saved files;
    - ``settings``: its hyperparameters in order, each mapped to its validator from
      :mod:`glassnet._validate` (``{"lr": positive_number, "beta1": fraction}``);
    - ``buffer_names``: every state array its rule may keep per parameter (saved in the
      state dict), fixed for the class; ``buffer_needs`` names the buffers kept only when
      a hyperparameter is non-zero (SGD keeps ``velocity`` only with ``momentum``);
    - ``scratch_count``: work arrays per parameter (not saved);

    passes its settings to ``super().__init__`` and implements ``update(i, w, g, t)``,
    which changes ``w`` in place from the gradient ``g``; ``t`` is the number of updates
    this parameter has received, counting this one (t = 1, 2, ...).

    Weight decay λ (``weight_decay``, every optimizer) is applied here, before ``update``:

    - coupled (L2, the default, torch's ``weight_decay``):  g ← dL/dw + λ·w, the gradient
      of L + (λ/2)·‖w‖², which then goes through the rule (momentum, adaptive scaling);
    - decoupled (``decoupled_weight_decay = True``, AdamW):  w ← w − η·λ·w, and g = dL/dw:
      the decay skips the rule (Loshchilov & Hutter 2019).

    ``default_weight_decay`` is λ when the argument is None (0, AdamW 0.01).

    Parameters are bound at construction (``params=model.parameters()``) or later with
    :meth:`bind` (``Model.compile`` does this). Hyperparameters are plain attributes:
    a schedule changes ``opt.lr`` between steps. ``clipnorm`` (as in Keras) rescales all
    gradients together to a global 2-norm of at most ``clipnorm`` before each update
    (see :func:`glassnet.optim.clip_grad_norm`); None leaves them alone.
    """

    name = "optimizer"
    settings: dict[str, Callable] = {"lr": positive_number}
    buffer_names: tuple[str, ...] = ()
    buffer_needs: dict[str, str] = {}
    scratch_count = 1
    decoupled_weight_decay = False
    default_weight_decay = 0.0

    def __init__(
        self,
        params: Module | Iterable[Tensor] | None = None,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        learning_rate: float | None = None,
        **settings,
    ) -> None:
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        if learning_rate is not None:  # Keras's name for lr wins when given
            settings["lr"] = learning_rate
        self.configure(**settings, weight_decay=weight_decay, clipnorm=clipnorm)
        self.params: list[Tensor] = []
        self.buffers: dict[str, list[np.ndarray]] = {}
        self.scratch: list[list[np.ndarray]] = []
        self.steps: list[int] = []
        self.iterations = 0
        self._pending_state: dict | None = None
        if params is not None:
            self.bind(params)

    def configure(self, **values) -> None:
        """Validate every value first, then set them all: a rejected setting changes nothing."""
        where = type(self).__name__
        checks = {**self.settings, "weight_decay": non_negative_number, "clipnorm": _clipnorm}
        unknown = sorted(set(values) - set(checks))
        if unknown:
            raise ConfigError(
                message(where, "unknown settings", ", ".join(unknown), ", ".join(checks))
            )
        checked = {key: checks[key](where, key, value) for key, value in values.items()}
        self.check_settings({**self._current_settings(), **checked})
        for key, value in checked.items():
            setattr(self, key, value)

    def _current_settings(self) -> dict:
        return {k: getattr(self, k) for k in (*self.settings, "weight_decay") if hasattr(self, k)}

    @property
    def learning_rate(self) -> float:
        """Keras's name for ``lr`` (every optimizer also takes ``learning_rate=``)."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.configure(lr=value)

    def check_settings(self, settings: dict) -> None:
        """Rules that tie settings together (SGD: nesterov needs momentum); none by default."""

    @classmethod
    def buffers_for(cls, settings: dict) -> tuple[str, ...]:
        """The buffer names kept under ``settings`` (a :meth:`get_config` dict):
        ``buffer_names`` less those whose ``buffer_needs`` hyperparameter is 0 or False."""
        needs = cls.buffer_needs
        return tuple(n for n in cls.buffer_names if n not in needs or settings[needs[n]])

    # ---- parameters ---------------------------------------------------------------------
    def bind(self, params: Module | Iterable[Tensor]) -> Optimizer:
        """Attach the parameters to update (a Module or an iterable of tensors).

        Allocates the state buffers (zeros) and resets the step counters; a state dict
        loaded before binding is applied now. Returns the optimizer.
        """
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        params = list(params)
        for index, p in enumerate(params):
            _check_param(self.name, index, p)
        if len({id(p) for p in params}) != len(params):
            raise ConfigError(
                message(
                    f"{type(self).__name__}.bind",
                    "a parameter appears more than once",
                    f"{len(params)} entries, {len({id(p) for p in params})} distinct",
                    "each parameter once",
                )
            )
        self.params = params
        self.allocate_buffers()
        self.scratch = [[np.empty_like(p.data) for _ in range(self.scratch_count)] for p in params]
        self.steps = [0] * len(params)
        self.iterations = 0
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)
        return self

    def allocate_buffers(self) -> None:
        """Fresh state buffers for the bound parameters, one list per kept buffer name."""
        self.buffers = {
            n: [self.initial_buffer(n, p.data) for p in self.params]
            for n in self.buffers_for(self.get_config())
        }

    def initial_buffer(self, name: str, w: np.ndarray) -> np.ndarray:
        """The starting value of a state buffer (zeros unless a subclass says otherwise)."""
        return np.zeros_like(w)

    def zero_grad(self) -> None:
        """Forget the bound parameters' gradients (``grad = None``)."""
        if _config.state.recorder is not None:  # a captured step calls it again on replay
            _config.state.recorder.on_call(self, "zero_grad")
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every bound parameter that is trainable and has a gradient."""
        if _config.state.recorder is not None:  # a captured step calls it again on replay
            _config.state.recorder.on_call(self, "step")
        if not self.params:
            raise ConfigError(
                message(
                    f"{type(self).__name__}.step",
                    "no parameters are bound to this optimizer",
                    hint="pass params=model.parameters(), call opt.bind(params), "
                    "or let model.compile(optimizer=...) bind them",
                )
            )
        if self.clipnorm is not None:
            from glassnet.optim.clip import clip_grad_norm  # clip builds on this module

            clip_grad_norm([p for p in self.params if p.requires_grad], self.clipnorm)
        self.iterations += 1
        decay, update, steps = self.weight_decay, self.update, self.steps  # bound once
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None or not p.requires_grad:
                continue
            steps[i] += 1
            if decay:  # without decay the gradient goes to the rule as it is
                g = self.apply_weight_decay(i, p.data, g)
            update(i, p.data, g, steps[i])

    def replay_key(self) -> tuple:
        """The settings that change which lines ``replay_lines`` gives (none here; see
        :mod:`glassnet.optim.replay`)."""
        return ()

    def update(self, i: int, w: np.ndarray, g: np.ndarray, t: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update")  # pragma: no cover

    def apply_weight_decay(self, i: int, w: np.ndarray, grad_w: np.ndarray) -> np.ndarray:
        """The gradient the rule uses: dL/dw + λ·w in scratch 0 (coupled), or dL/dw after
        w ← w − η·λ·w (decoupled); dL/dw itself when λ = 0 (see the class docstring)."""
        decay = self.weight_decay
        if not decay:
            return grad_w
        if self.decoupled_weight_decay:
            w *= 1 - self.lr * decay
            return grad_w
        out = self.scratch[i][0]
        np.multiply(w, decay, out=out)
        out += grad_w
        return out

    # ---- state --------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The hyperparameters as a plain dict: ``type(opt)(**opt.get_config())`` rebuilds it."""
        config = {n: getattr(self, n) for n in (*self.settings, "weight_decay")}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        return config

    def state_dict(self) -> dict:
        """Everything needed to continue training exactly, as plain data (no pickle needed).

        ``{"name": str, "hyperparameters": {name: number or bool}, "iterations": int,
        "steps": [int per parameter], "buffers": {"<buffer>.<index>": ndarray}}``; the
        arrays are copies. Everything but "buffers" fits in JSON, the buffers in an npz.
        """
        return {
            "name": self.name,
            "hyperparameters": self.get_config(),
            "iterations": int(self.iterations),
            "steps": [int(t) for t in self.steps],
            "buffers": {
                f"{n}.{i}": b.copy()
                for n, arrays in self.buffers.items()
                for i, b in enumerate(arrays)
            },
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (hyperparameters included); before :meth:`bind`, the
        state is kept and applied when parameters are bound."""
        where = f"{type(self).__name__}.load_state_dict"
        if state.get("name") != self.name:
            raise ConfigError(
                message(
                    where,
                    "the state belongs to another optimizer",
                    repr(state.get("name")),
                    repr(self.name),
                )
            )
        if not self.params:
            self._pending_state = state
            return
        buffers = self._checked_buffers(where, state)
        self.configure(**state["hyperparameters"])
        self.allocate_buffers()
        for name, arrays in self.buffers.items():
            for i, buffer in enumerate(arrays):
                np.copyto(buffer, buffers[f"{name}.{i}"])
        self.steps = [int(t) for t in state["steps"]]
        self.iterations = int(state["iterations"])

    def _checked_buffers(self, where: str, state: dict) -> dict:
        """The state's buffers after checking them against the bound parameters."""
        if len(state["steps"]) != len(self.params):
            raise ShapeError(
                message(
                    where,
                    "the state was saved for a different number of parameters",
                    str(len(state["steps"])),
                    f"{len(self.params)} (the bound parameters)",
                )
            )
        names = self.buffers_for({**self.get_config(), **state["hyperparameters"]})
        expected = {f"{n}.{i}": p.shape for n in names for i, p in enumerate(self.params)}
        buffers = {key: np.asarray(value) for key, value in state["buffers"].items()}
        if set(buffers) != set(expected):
            raise ConfigError(
                message(
                    where,
                    "the saved buffers do not fit the saved settings",
                    f"buffers {sorted(buffers)[:4]}",
                    f"{sorted(expected)[:4]}",
                    "pass a state made by an optimizer's state_dict()",
                )
            )
        for key, value in buffers.items():
            if value.shape != expected[key]:
                raise ShapeError(
                    message(
                        where,
                        f"buffer {key} has the wrong shape",
                        fmt_shape(value.shape),
                        fmt_shape(expected[key]),
                    )
                )
        return buffers

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_param(where: str, index: int, p) -> None:
    if not isinstance(p, Tensor):
        raise ConfigError(
            message(
                where,
                f"parameter {index} is not a tensor",
                type(p).__name__,
                "glassnet Parameters or tensors with requires_grad=True",
                "pass model.parameters()",
            )
        )
    if p.data.dtype.kind != "f":
        raise DTypeError(
            message(
                where,
                f"parameter {index} is not floating point",
                f"dtype {p.data.dtype}",
                "float32 or float64",
            )
        )


def _clipnorm(where: str, name: str, value) -> float | None:
    """None (no clipping) or a positive number."""
    return None if value is None else positive_number(where, name, value)
