"""Image layers (NCHW): Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, BatchNorm, Reshape.

Each layer checks its input's shape and names itself in the error, then applies one op
from :mod:`glassnet.ops` (convolution, pooling, normalisation), whose docstrings hold the
forward and backward formulas. ``get_config()`` returns the constructor arguments, so a
saved architecture can rebuild the layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._validate import positive_int, positive_number, unit_interval
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.nn import init as initializers
from glassnet.nn._keras import KerasForm, input_size
from glassnet.nn.module import Module, Parameter
from glassnet.ops.conv import check_image_batch, pair
from glassnet.ops.pool import pool_config, pool_settings
from glassnet.tensor import Tensor, as_tensor, rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike


__all__ = ["Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "BatchNorm", "Reshape"]


def _channel_error(layer: Module, x: Tensor, channels: int) -> ShapeError:
    """'<layer>: input has C channels, expected K. Got x.shape=…; expected (N, K, H, W).'"""
    return ShapeError(
        message(
            str(layer),
            f"input has {x.shape[1]} channels on axis 1, expected {channels}",
            f"x.shape={fmt_shape(x.shape)}",
            f"(N, {channels}, H, W)" if x.ndim == 4 else f"(N, {channels})",
            f"the layer before must output {channels} channels (NCHW: channels on axis 1)",
        )
    )


class Conv2D(KerasForm, Module):
    """2-D convolution layer: every output channel is one kernel slid over the image.

    Forward:   y = conv2d(x, w, stride, padding, dilation) + b   (see ops.conv.Conv2D)
    Shapes:    x (N, C_in, H, W) → y (N, C_out, Ho, Wo);  w (C_out, C_in/G, KH, KW),  b (C_out,)
    Groups:    ``groups`` G > 1 splits the channels into G independent convolutions;
               G = C_in (and C_out = k·C_in) is a depthwise convolution.
    Notes:     w is PyTorch's layout; initialised by ``init`` (Glorot uniform, Keras'
               default: a = √(6 / (fan_in + fan_out)), fan_in = C_in·KH·KW,
               fan_out = C_out·KH·KW); b starts at zero. ``Conv2D(1, 32, 3)`` is the
               explicit form; the Keras form ``Conv2D(32, 3, activation="relu")`` reads
               C_in from the first batch (or ``input_shape=(C, H, W)``).
    """

    def __init__(
        self,
        in_channels: int | None,
        out_channels: int,
        kernel_size: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        use_bias: bool = True,
        init: str | Callable[..., np.ndarray] = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
        groups: int = 1,
        activation: str | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        if kernel_size is None:  # the Keras form Conv2D(filters, kernel_size)
            in_channels, out_channels, kernel_size = None, in_channels, out_channels
        if input_shape is not None:
            object.__setattr__(self, "sample_shape", tuple(input_shape))
            in_channels = input_size("Conv2D", input_shape, -3)
        self.out_channels = positive_int("Conv2D", "out_channels", out_channels)
        self.groups = positive_int("Conv2D", "groups", groups)
        self.in_channels = None
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = pair(stride, "stride", "Conv2D")
        self.dilation = pair(dilation, "dilation", "Conv2D")
        ops.conv.resolve_padding(
            padding, (1, 1), self.kernel_size, self.stride, self.dilation, "Conv2D"
        )  # validates the spelling now, not at the first call
        self.padding = padding if isinstance(padding, str | int) else tuple(padding)
        self.use_bias, self.init = bool(use_bias), init if isinstance(init, str) else "custom"
        self._set_activation(activation, "Conv2D")
        object.__setattr__(self, "_draw", (initializers.get(init), rng_from(seed), dtype))
        if in_channels is not None:
            self.build(positive_int("Conv2D", "in_channels", in_channels))

    def build(self, in_channels: int) -> None:
        """Draw w (C_out, C_in/G, KH, KW) and set b = 0 for ``in_channels`` input channels."""
        draw, rng, dtype = self._draw
        self.groups = ops.conv.check_groups(in_channels, self.out_channels, self.groups, "Conv2D")
        self.in_channels = in_channels
        shape = (self.out_channels, in_channels // self.groups, *self.kernel_size)
        self.w = Parameter(draw(shape, seed=rng, dtype=dtype))
        if self.use_bias:
            self.b = Parameter(np.zeros(self.out_channels, dtype))

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        if self.in_channels is None:
            check_image_batch(as_tensor(x), str(self))
            self.build(as_tensor(x).shape[1])
        x = as_tensor(x, self.w)
        check_image_batch(x, str(self))
        if x.shape[1] != self.in_channels:
            raise _channel_error(self, x, self.in_channels)
        b = self.b if self.use_bias else None
        y = ops.conv2d(x, self.w, b, self.stride, self.padding, self.dilation, self.groups)
        return self._activate(y)

    def get_config(self) -> dict:
        if self.in_channels is None:
            raise self.not_built_error("save")
        groups = {} if self.groups == 1 else {"groups": self.groups}  # older files unchanged
        config = {
            **groups,
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str | int) else list(self.padding),
            "dilation": list(self.dilation),
            "use_bias": self.use_bias,
        }
        return config if self.activation is None else {**config, "activation": self.activation}

    def __str__(self) -> str:
        return (
            f"Conv2D({'?' if self.in_channels is None else self.in_channels} → "
            f"{self.out_channels}, "
            f"{self.kernel_size[0]}×{self.kernel_size[1]})"
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding!r}"
        )


class _Pool(Module):
    """Shared settings of MaxPool2D and AvgPool2D (stride defaults to the kernel size)."""

    op = None  # the Function class
    defaults: dict = {}  # PyTorch's options beyond the window, with their defaults

    def __init__(self, kernel_size=2, stride=None, padding=0, **options):
        super().__init__()
        name = type(self).__name__
        sides = isinstance(padding, tuple | list) and len(padding) == 4  # F.pad's order
        self.config = pool_config(kernel_size, stride, 0 if sides else padding, name)
        self.kernel_size, self.stride = self.config["kernel"], self.config["stride"]
        self.padding = tuple(side[0] for side in self.config["pad"])
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise ConfigError(
                message(name, "unknown option", ", ".join(sorted(unknown)), str(self.defaults))
            )
        self.options = {**self.defaults, **options}
        if "dilation" in options:
            self.options["dilation"] = pair(options["dilation"], "dilation", name)
        if sides:  # (left, right, top, bottom): asymmetric, wide or negative (a crop)
            dilation = self.options.get("dilation", (1, 1))
            ops.pool_nd._sides(padding, 2, self.kernel_size, dilation, name)  # validates
            self.padding = tuple(int(p) for p in padding)

    def forward(self, x) -> Tensor:
        x = as_tensor(x)
        if self.options == self.defaults and len(self.padding) == 2 and x.dtype.kind == "f":
            return type(self).op.apply(x, **pool_settings(x, self.config, str(self)))
        check_image_batch(x, str(self))
        return self._pool(x)

    def _pool(self, x: Tensor) -> Tensor:
        fn = ops.max_pool2d if isinstance(self, MaxPool2D) else ops.avg_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, **self.options)

    def get_config(self) -> dict:
        changed = {k: v for k, v in self.options.items() if v != self.defaults[k]}
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            **{k: list(v) if isinstance(v, tuple) else v for k, v in changed.items()},
        }

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.kernel_size[0]}×{self.kernel_size[1]})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2D(_Pool):
    """Max pooling: y = the maximum of each window (ties: gradient to the first maximum).

    Shapes:    x (N, C, H, W) → y (N, C, ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1, ...)
    Options:   ``dilation`` d, ``ceil_mode`` (round the output size up), as in PyTorch.
    """

    op = ops.pool.MaxPool2D
    defaults = {"dilation": (1, 1), "ceil_mode": False}


class AvgPool2D(_Pool):
    """Average pooling: y = the mean of each window (padded zeros count).

    Shapes:    x (N, C, H, W) → y (N, C, ⌊(H + 2p − k) / s⌋ + 1, ⌊(W + 2p − k) / s⌋ + 1)
    Options:   ``ceil_mode``, ``count_include_pad`` (False: the mean counts the input's
               elements only), as in PyTorch; ``dilation`` as ONNX's AveragePool has it.
    Padding:   an int, a pair, or four sides (left, right, top, bottom) as F.pad's widths:
               asymmetric, beyond half the kernel, or negative (a crop); MaxPool2D too.
    """

    op = ops.pool.AvgPool2D
    defaults = {"ceil_mode": False, "count_include_pad": True, "dilation": (1, 1)}


class GlobalAvgPool2D(Module):
    """The mean of each feature map: (N, C, H, W) → (N, C), a parameter-free classifier
    neck (replaces Flatten + a large Dense)."""

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return ops.global_avg_pool2d(as_tensor(x))

    def get_config(self) -> dict:
        return {}


class BatchNorm(Module):
    """Batch normalisation for (N, C) features or (N, C, H, W) images (see ops.norm.BatchNorm).

    Forward:   y = γ ⊙ (x − μ) / √(σ² + ε) + β, per channel
    Shapes:    x (N, C) or (N, C, H, W) → y (same);  γ (C,) starts at 1, β (C,) at 0
    Notes:     μ, σ² are the batch's statistics when the layer trains, and the running
               statistics (buffers ``running_mean``, ``running_var``, saved in the state
               dict) when it evaluates. A FROZEN BatchNorm (``trainable = False``, e.g. in
               a base frozen for fine-tuning) always uses and never updates its running
               statistics, even inside ``fit``: the new data's batch statistics would
               otherwise shift every feature the frozen layers after it were trained on
               (the Keras fine-tuning pitfall). Running updates use PyTorch's momentum:
               r ← (1 − momentum)·r + momentum·batch.
    """

    def __init__(
        self,
        num_features: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.num_features = positive_int("BatchNorm", "num_features", num_features)
        self.momentum = unit_interval("BatchNorm", "momentum", momentum)
        self.eps = positive_number("BatchNorm", "eps", eps)
        self.gamma = Parameter(np.ones(num_features, dtype))
        self.beta = Parameter(np.zeros(num_features, dtype))
        object.__setattr__(self, "running_mean", np.zeros(num_features, dtype))
        object.__setattr__(self, "running_var", np.ones(num_features, dtype))

    def buffers(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x, self.gamma)
        if x.ndim not in (2, 4):
            raise ShapeError(
                message(
                    str(self),
                    "input must be (N, C) features or (N, C, H, W) images",
                    f"x.shape={fmt_shape(x.shape)}",
                    f"(N, {self.num_features}) or (N, {self.num_features}, H, W)",
                )
            )
        if x.shape[1] != self.num_features:
            raise _channel_error(self, x, self.num_features)
        return ops.batch_norm(
            x,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            training=self.training and self.trainable,
            momentum=self.momentum,
            eps=self.eps,
        )

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps}

    def __str__(self) -> str:
        return f"BatchNorm({self.num_features})"

    def extra_repr(self) -> str:
        return f"{self.num_features}, momentum={self.momentum}, eps={self.eps}"


class Reshape(Module):
    """Reshape every sample: (N, *) → (N, *target_shape); one axis may be −1 (inferred).

    Example: ``Reshape((1, 28, 28))`` turns flat MNIST rows (N, 784) into images. A size
    of 0 (an empty axis, as ONNX's Reshape with allowzero writes) is allowed when no axis
    is −1.
    """

    def __init__(self, target_shape: tuple[int, ...]) -> None:
        super().__init__()
        shape = tuple(target_shape) if isinstance(target_shape, tuple | list) else None
        if (
            not shape
            or not all(isinstance(s, int) and s >= -1 for s in shape)
            or shape.count(-1) > 1
            or (0 in shape and -1 in shape)  # an empty axis leaves −1 undetermined
        ):
            raise ConfigError(
                message(
                    "Reshape",
                    "target_shape must be a tuple of positive ints (at most one -1; or 0s, no -1)",
                    repr(target_shape),
                    "e.g. (1, 28, 28)",
                )
            )
        self.target_shape = shape

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x)
        per_sample = int(np.prod(x.shape[1:])) if x.ndim else 0
        known = int(np.prod([s for s in self.target_shape if s != -1]))
        fits = per_sample == known if -1 not in self.target_shape else per_sample % known == 0
        if x.ndim == 0 or not fits:
            raise ShapeError(
                message(
                    str(self),
                    f"cannot lay out {per_sample} values per sample as {self.target_shape}",
                    f"x.shape={fmt_shape(x.shape)}",
                    f"{known} values per sample",
                )
            )
        return ops.reshape(x, (x.shape[0], *self.target_shape))

    def get_config(self) -> dict:
        return {"target_shape": list(self.target_shape)}

    def __str__(self) -> str:
        return f"Reshape({self.target_shape})"

    def extra_repr(self) -> str:
        return str(self.target_shape)
