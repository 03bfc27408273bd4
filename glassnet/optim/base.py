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

import math

import numpy as np

from glassnet import _config
from glassnet.errors import ConfigError, DTypeError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers.

    Subclasses set ``name``, ``hyperparameter_names``, ``buffer_names`` (state arrays
    kept per parameter, saved in the state dict) and ``scratch_count`` (work arrays per
    parameter, not saved), validate their settings in ``__init__`` and implement
    ``update(i, w, grad_w, t)``, which changes ``w`` in place; ``t`` is the number of
    updates this parameter has received, counting this one (t = 1, 2, ...).

    Parameters are bound at construction (``params=model.parameters()``) or later with
    :meth:`bind` (``Model.compile`` does this). Hyperparameters are plain attributes:
    a schedule changes ``opt.lr`` between steps. ``clipnorm`` (as in Keras) rescales all
    gradients together to a global 2-norm of at most ``clipnorm`` before each update
    (see :func:`glassnet.optim.clip_grad_norm`); None leaves them alone.
    """

    name = "optimizer"
    hyperparameter_names: tuple[str, ...] = ("lr",)
    buffer_names: tuple[str, ...] = ()
    scratch_count = 1

    def __init__(self, params=None, clipnorm: float | None = None):
        if clipnorm is not None:
            clipnorm = check_positive(type(self).__name__, "clipnorm", clipnorm)
        self.clipnorm = clipnorm
        self.params: list[Tensor] = []
        self.buffers: dict[str, list[np.ndarray]] = {n: [] for n in self.buffer_names}
        self.scratch: list[list[np.ndarray]] = []
        self.steps: list[int] = []
        self.iterations = 0
        self._pending_state: dict | None = None
        if params is not None:
            self.bind(params)

    # ---- parameters ---------------------------------------------------------------------
    def bind(self, params) -> Optimizer:
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
        """Fresh state buffers for the bound parameters, one list per name in buffer_names."""
        self.buffers = {
            n: [self.initial_buffer(n, p.data) for p in self.params] for n in self.buffer_names
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
        for i, p in enumerate(self.params):
            if p.grad is None or not p.requires_grad:
                continue
            self.steps[i] += 1
            self.update(i, p.data, p.grad, self.steps[i])

    def update(self, i: int, w: np.ndarray, grad_w: np.ndarray, t: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update")  # pragma: no cover

    def l2_gradient(self, i: int, w: np.ndarray, grad_w: np.ndarray) -> np.ndarray:
        """dL/dw + λ·w (coupled L2 weight decay) in scratch 0, or dL/dw itself when λ = 0."""
        decay = self.weight_decay
        if not decay:
            return grad_w
        out = self.scratch[i][0]
        np.multiply(w, decay, out=out)
        out += grad_w
        return out

    # ---- state --------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The hyperparameters as a plain dict: ``type(opt)(**opt.get_config())`` rebuilds it."""
        config = {n: getattr(self, n) for n in self.hyperparameter_names}
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
        for key, value in state["hyperparameters"].items():
            setattr(self, key, value)
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
        names = type(self)(**state["hyperparameters"]).buffer_names  # validates the settings
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


# ---- validation used by every optimizer's constructor ----------------------------------------
def check_positive(where: str, name: str, value) -> float:
    """``value`` as a float when it is finite and > 0, else a ConfigError."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ConfigError(
            message(where, f"{name} must be a positive number", repr(value), f"{name} > 0")
        )
    return float(value)


def check_non_negative(where: str, name: str, value) -> float:
    """``value`` as a float when it is finite and ≥ 0, else a ConfigError."""
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ConfigError(
            message(where, f"{name} must be a non-negative number", repr(value), f"{name} ≥ 0")
        )
    return float(value)


def check_fraction(where: str, name: str, value) -> float:
    """``value`` as a float when 0 ≤ value < 1 (a decay rate such as beta1), else a ConfigError."""
    if not _is_number(value) or not 0 <= value < 1:
        raise ConfigError(
            message(where, f"{name} must be in [0, 1)", repr(value), f"0 ≤ {name} < 1")
        )
    return float(value)


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
