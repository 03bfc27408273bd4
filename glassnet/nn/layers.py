"""Core layers: Dense (the weighted sum z = x·w + b), activations as modules, Flatten,
Dropout, and the Sequential container.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._validate import fraction, positive_int, positive_number
from glassnet.captured import source as captured_source
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.nn import init as initializers
from glassnet.nn._keras import KerasForm, input_size
from glassnet.nn.module import Module, Parameter
from glassnet.ops.linalg import Linear
from glassnet.tensor import Tensor, as_tensor, rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike


__all__ = [
    "Dense",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "Flatten",
    "Dropout",
    "Sequential",
]


class Dense(KerasForm, Module):
    """Fully connected layer: every output is a weighted sum of every input plus a bias.

    Forward:   z = x·w + b   (then a = f(z) when ``activation`` names f)
    Backward:  dL/dx = dL/dz·wᵀ,  dL/dw = xᵀ·dL/dz,  dL/db = Σₙ dL/dz   (the Linear op)
    Shapes:    x (N, in) → z (N, out);  w (in, out),  b (out,)
    Init:      w by ``init``, by default Glorot uniform: w ~ U(−a, a), a = √(6 / (in + out));
               b = 0. ``seed`` (int or Generator) makes the draw reproducible.
    Notes:     ``Dense(784, 128)`` is the explicit form. The Keras form ``Dense(128,
               activation="relu")`` reads ``in`` from the first batch (or from
               ``input_shape=``) and draws w then; see :mod:`glassnet.nn._keras`.
               Frozen (``trainable = False``) weights get no gradient and no update; the
               gradient still flows through to the layers before.
    """

    def __init__(
        self,
        in_features: int | None,
        out_features: int | None = None,
        use_bias: bool = True,
        init: str | Callable[..., np.ndarray] = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
        activation: str | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        if out_features is None:  # the Keras form Dense(units): the input size comes later
            in_features, out_features = None, in_features
        if input_shape is not None:
            object.__setattr__(self, "sample_shape", tuple(input_shape))
            in_features = input_size("Dense", input_shape, -1)
        self.out_features = positive_int("Dense", "out_features", out_features)
        self.in_features = None
        self.use_bias, self.init = use_bias, init if isinstance(init, str) else "custom"
        self._set_activation(activation, "Dense")
        object.__setattr__(self, "_draw", (initializers.get(init), rng_from(seed), dtype))
        if in_features is not None:
            self.build(positive_int("Dense", "in_features", in_features))

    def build(self, in_features: int) -> None:
        """Draw w (in, out) and set b = 0 for ``in_features`` inputs."""
        draw, rng, dtype = self._draw
        self.in_features = in_features
        self.w = Parameter(draw((in_features, self.out_features), seed=rng, dtype=dtype))
        if self.use_bias:
            self.b = Parameter(np.zeros(self.out_features, dtype))

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        if self.in_features is None:
            x = as_tensor(x)
            if x.ndim == 0:
                raise ShapeError(self._feature_error(x))
            self.build(x.shape[-1])
        x = as_tensor(x, self.w)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(self._feature_error(x))
        if self.use_bias:  # shapes were checked just above: apply the fused op directly
            return self._activate(Linear.apply(x, self.w, self.b))
        return self._activate(ops.matmul(x, self.w))

    def _feature_error(self, x: Tensor) -> str:
        got = x.shape[-1] if x.ndim else 0
        hint = (
            "add Flatten() before this layer"
            if x.ndim > 2
            else (f"the previous layer must output {self.in_features} features")
        )
        return message(
            str(self),
            f"input has {got} features on its last axis, expected {self.in_features}",
            f"x.shape={fmt_shape(x.shape)}",
            None,
            hint,
        )

    def get_config(self) -> dict:
        if self.in_features is None:
            raise self.not_built_error("save")
        config = {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "use_bias": self.use_bias,
            "init": self.init,
        }
        return config if self.activation is None else {**config, "activation": self.activation}

    def __str__(self) -> str:
        return (
            f"Dense({'?' if self.in_features is None else self.in_features} → {self.out_features})"
        )

    def extra_repr(self) -> str:
        if self.in_features is None:
            return f"{self.out_features}"
        return f"{self.in_features}, {self.out_features}"


class _Activation(Module):
    """A parameter-free module that applies one op elementwise."""

    def forward(self, x) -> Tensor:
        return self.fn(as_tensor(x))


class Identity(_Activation):
    """y = x (a linear output layer for regression)."""

    fn = staticmethod(ops.identity)


class ReLU(_Activation):
    """y = max(0, x)."""

    fn = staticmethod(ops.relu)


class Sigmoid(_Activation):
    """y = σ(x) = 1 / (1 + e⁻ˣ)."""

    fn = staticmethod(ops.sigmoid)


class Tanh(_Activation):
    """y = tanh(x)."""

    fn = staticmethod(ops.tanh)


class Softplus(Module):
    """y = (1/β) ln(1 + e^(βx)) (β = 1 by default, as in PyTorch)."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = positive_number("Softplus", "beta", beta)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.softplus(as_tensor(x), self.beta)

    def extra_repr(self) -> str:
        return "" if self.beta == 1 else f"beta={self.beta}"


class LeakyReLU(Module):
    """y = x if x > 0 else α·x (α = 0.01 by default, as in PyTorch)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.number):
            raise ConfigError(
                message("LeakyReLU", "alpha must be a number", repr(alpha), "e.g. 0.01")
            )
        self.alpha = float(alpha)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.leaky_relu(as_tensor(x), self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(Module):
    """yᵢ = e^xᵢ / Σⱼ e^xⱼ along ``axis`` (probabilities; pair with a non-logit loss)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.softmax(as_tensor(x), self.axis)


class LogSoftmax(Module):
    """yᵢ = xᵢ − ln Σⱼ e^xⱼ along ``axis``: the log of Softmax's probabilities, computed
    without forming them (PyTorch's ``nn.LogSoftmax(dim)``). Train it with
    ``CrossEntropy(from_logits=True)``: log-probabilities are logits whose softmax is
    the same probabilities, so that loss equals PyTorch's ``nll_loss`` on them."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.log_softmax(as_tensor(x), self.axis)


class Flatten(Module):
    """Merge the axes ``start_axis`` … ``end_axis`` into one; by default every axis after
    the batch axis: (N, C, H, W) → (N, C·H·W) (PyTorch's ``nn.Flatten(start_dim, end_dim)``)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.flatten(as_tensor(x), self.start_axis, self.end_axis)

    def get_config(self) -> dict:
        if (self.start_axis, self.end_axis) == (1, -1):
            return {}  # the file format of every model saved before these settings
        return {"start_axis": self.start_axis, "end_axis": self.end_axis}


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest.

    Forward:   y = x ⊙ m / (1 − p),  mᵢ ~ Bernoulli(1 − p)   (training);  y = x  (eval)
    Backward:  dL/dx = dL/dy ⊙ m / (1 − p)   (by autograd through the multiply)
    Notes:     the 1/(1 − p) scale keeps the expected activation unchanged, so nothing
               needs rescaling at evaluation time.
    """

    def __init__(self, p: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = fraction("Dropout", "p", p)
        object.__setattr__(self, "rng", rng_from(seed))

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        if not self.training or self.p == 0:
            return x
        scale = captured_source(dropout_scale, self, x.data)  # a captured step redraws it
        return ops.mul(x, Tensor._from_op(scale, None))

    def get_config(self) -> dict:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"


def dropout_scale(layer: Dropout, a: np.ndarray) -> np.ndarray:
    """m / (1 − p) for one batch shaped like ``a``, drawn from ``layer.rng`` with ``layer.p``,
    built in a's dtype with no float64 copy."""
    scale = (uniform_like(a, layer.rng) >= layer.p).astype(a.dtype)
    scale *= 1 / (1 - layer.p)
    return scale


def uniform_like(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform [0, 1) float32 numbers shaped like ``a`` and laid out in memory like it (an
    image batch stored batch-last gets a batch-last mask), drawn in memory order, so that
    the elementwise work with ``a`` runs over one memory layout."""
    u = np.empty_like(a, dtype=np.float32)  # order "K": a's layout
    memory_order = sorted(range(u.ndim), key=lambda axis: -u.strides[axis])
    rng.random(out=u.transpose(memory_order), dtype=np.float32)
    return u


class Sequential(Module):
    """Layers applied one after another; the i-th layer is registered under the name ``i``.

    Both spellings build the same stack: ``Sequential([a, b, c])`` (Keras) and
    ``Sequential(a, b, c)`` (PyTorch).
    """

    def __init__(self, *layers) -> None:
        super().__init__()
        object.__setattr__(self, "layers", [])
        if len(layers) == 1 and not isinstance(layers[0], Module):
            layers = layers[0]  # one list, tuple or iterable of layers
        for layer in layers:
            self.add(layer)

    def add(self, layer: Module) -> None:
        if not isinstance(layer, Module):
            raise ConfigError(
                message(
                    "Sequential.add",
                    "every layer must be a Module",
                    type(layer).__name__,
                    "a glassnet.nn.Module",
                    "write gn.nn.ReLU() (an instance), not gn.nn.ReLU",
                )
            )
        activation = layer.split_activation() if isinstance(layer, KerasForm) else None
        setattr(self, str(len(self.layers)), layer)
        self.layers.append(layer)
        if activation is not None:  # Dense(64, activation="relu"): the ReLU is the next layer
            self.add(activation)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def get_config(self) -> dict:
        """A container's layers are described one by one (``training.io.architecture``)."""
        return {}

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)
