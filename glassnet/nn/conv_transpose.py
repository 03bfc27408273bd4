"""Conv2DTranspose: the learnable upsampling layer (PyTorch's ConvTranspose2d)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._validate import positive_int
from glassnet.nn import init as initializers
from glassnet.nn.conv import _channel_error
from glassnet.nn.module import Module, Parameter
from glassnet.ops.conv import check_groups, check_image_batch, pair
from glassnet.tensor import Tensor, as_tensor, rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, DTypeLike


__all__ = ["Conv2DTranspose"]


class Conv2DTranspose(Module):
    """Transposed convolution layer: each input pixel paints a kernel-sized patch of the
    output, so a stride s upsamples by s.

    Forward:   y = conv_transpose2d(x, w, stride, padding, output_padding, groups,
               dilation) + b   (see ops.conv_transpose.ConvTranspose2D)
    Shapes:    x (N, C_in, H, W) → y (N, C_out, Ho, Wo);  w (C_in, C_out/G, KH, KW),
               b (C_out,);  Ho = (H − 1)·s − 2p + d·(KH − 1) + output_padding + 1
    Init:      w by ``init`` (Glorot uniform by default, over the array w as stored);
               b = 0. w is PyTorch's layout, so its weights load unchanged.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        dilation: int | tuple[int, int] = 1,
        use_bias: bool = True,
        init: str | Callable[..., np.ndarray] = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        where = "Conv2DTranspose"
        self.in_channels = positive_int(where, "in_channels", in_channels)
        self.out_channels = positive_int(where, "out_channels", out_channels)
        self.groups = check_groups(in_channels, out_channels, groups, where)
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride, self.dilation = (
            pair(stride, "stride", where),
            pair(dilation, "dilation", where),
        )
        self.padding = pair(padding, "padding", where, minimum=0)
        self.output_padding = pair(output_padding, "output_padding", where, minimum=0)
        self.use_bias, self.init = bool(use_bias), init if isinstance(init, str) else "custom"
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        self.w = Parameter(initializers.get(init)(shape, seed=rng_from(seed), dtype=dtype))
        if use_bias:
            self.b = Parameter(np.zeros(self.out_channels, dtype))

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = as_tensor(x, self.w)
        check_image_batch(x, str(self))
        if x.shape[1] != self.in_channels:
            raise _channel_error(self, x, self.in_channels)
        b = self.b if self.use_bias else None
        return ops.conv_transpose2d(
            x, self.w, b, self.stride, self.padding, self.output_padding, self.groups,
            self.dilation,
        )  # fmt: skip

    def get_config(self) -> dict:
        config = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "output_padding": list(self.output_padding),
            "groups": self.groups,
            "dilation": list(self.dilation),
            "use_bias": self.use_bias,
        }
        return config

    def __str__(self) -> str:
        k = self.kernel_size
        return f"Conv2DTranspose({self.in_channels} → {self.out_channels}, {k[0]}×{k[1]})"

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
