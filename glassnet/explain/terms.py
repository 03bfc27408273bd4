"""Which (node, input) pairs a weight connects, one chain-rule term per pair.

A Dense weight w[i, j] connects input i to node j once per sample; a bias b[j] connects
the constant 1 to node j. A term is the tuple

    (node label, dL/da, f′(z), input value, node index j, product)

and the weight's gradient is the sum of the products.
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, message

__all__ = ["terms"]


def terms(layer, attr: str, index: tuple, x: np.ndarray, delta, slope, dL_da) -> list[tuple]:
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
    raise ConfigError(
        message(
            "explain.weight",
            f"cannot write out the chain rule for a weight of {type(layer).__name__}",
            repr(layer),
            "a weight of a Dense or Conv2D layer",
        )
    )
