"""Which (node, input) pairs a weight connects, one chain-rule term per pair.

A Dense weight w[i, j] connects input i to node j once per sample; a bias b[j] connects
the constant 1 to node j. A Conv2D kernel weight w[o, c, p, q] is shared: it connects
input pixel x[c, h·s + p·d, v·s + q·d] (padded input, stride s, dilation d) to output
node z[o, h, v] at every output position (h, v). A term is the tuple

    (node label, dL/da, f′(z), input value, node index j, product)

and the weight's gradient is the sum of the products.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, message
from glassnet.ops.conv import conv_settings

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["terms"]


def terms(
    layer: Module, attr: str, index: tuple, x: np.ndarray, slope: np.ndarray, dL_da: np.ndarray
) -> list[tuple]:
    """The chain-rule terms of ``layer.<attr>[index]`` given the layer input ``x``."""
    if isinstance(layer, nn.Dense):
        j = index[-1]
        feed = np.ones(x.shape[0]) if attr == "b" else x[:, index[0]]
        return [
            (
                f"z[{j}]" if x.shape[0] == 1 else f"sample {n}, z[{j}]",
                float(dL_da[n, j]),
                float(slope[n, j]),
                float(feed[n]),
                j,
                float(dL_da[n, j] * slope[n, j] * feed[n]),
            )
            for n in range(x.shape[0])
        ]
    if isinstance(layer, nn.Conv2D):
        return _conv_terms(layer, attr, index, x, slope, dL_da)
    raise ConfigError(
        message(
            "explain.weight",
            f"cannot write out the chain rule for a weight of {type(layer).__name__}",
            repr(layer),
            "a weight of a Dense or Conv2D layer",
        )
    )


def _conv_terms(layer, attr: str, index: tuple, x: np.ndarray, slope, dL_da) -> list[tuple]:
    o = index[0]
    n_batch, _, n_rows, n_cols = dL_da.shape
    if attr == "b":
        feed = np.ones(dL_da.shape[:1] + dL_da.shape[2:])
    else:
        c, p, q = index[1:]
        settings = conv_settings(
            x.shape, layer.kernel_size, layer.stride, layer.padding, layer.dilation, "explain"
        )
        (top, bottom), (left, right) = settings["pad"]
        padded = np.pad(x[:, c], ((0, 0), (top, bottom), (left, right)))
        (sh, sw), (dh, dw) = settings["stride"], settings["dilation"]
        rows = np.arange(n_rows)[:, None] * sh + p * dh
        cols = np.arange(n_cols)[None, :] * sw + q * dw
        feed = padded[:, rows, cols]  # (N, Ho, Wo): the pixel under w[o, c, p, q]
    out = []
    for n, h, v in np.ndindex(n_batch, n_rows, n_cols):
        g, s, f = float(dL_da[n, o, h, v]), float(slope[n, o, h, v]), float(feed[n, h, v])
        label = f"z[{o}, {h}, {v}]" if n_batch == 1 else f"sample {n}, z[{o}, {h}, {v}]"
        out.append((label, g, s, f, o, g * s * f))
    return out
