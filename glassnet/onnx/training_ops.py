"""``gn.onnx.load``'s readers of ONNX's training forms: BatchNormalization with
``training_mode=1`` (its output and its running statistics) and Dropout in training mode
with a ``seed``. Both depend on the whole tensor (its statistics, a mask of its shape), so
they read the graph as a WholeBatchModel (``r.need_whole()``); the layers are in
glassnet.onnx.layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.onnx.layers import BatchStatNorm, RunningStat, SeededDropout
from glassnet.onnx.reader import Reader, float_dtype

if TYPE_CHECKING:
    from glassnet.nn.graph import SymbolicTensor

__all__ = ["read_batch_norm_training", "read_seeded_dropout"]


def _outputs(r: Reader, layers: dict, x: SymbolicTensor) -> dict:
    """{output name: layer(x)} for each output the node names (position → layer)."""
    names = list(r.node.output)
    return {names[i]: layer(x) for i, layer in layers.items() if i < len(names) and names[i]}


def read_batch_norm_training(r: Reader) -> dict:
    """y with the tensor's own statistics (BatchStatNorm), and the running mean and variance
    outputs (RunningStat): r · momentum + statistic · (1 − momentum)."""
    r.need_whole()  # every statistic runs over the whole tensor
    a, x = r.attrs(), r.symbolic(0)
    weights = [r.const(i) for i in range(1, 5)]
    channels = x.shape[2] if r.rank(x) >= 2 else None
    if channels is None or any(np.shape(w) != (channels,) for w in weights):
        r.fail(
            "scale, bias, mean and var must hold one value per channel of a tensor (N, C, ...)",
            f"input rank {r.rank(x)}, weights {[list(np.shape(w)) for w in weights]}",
            f"rank ≥ 2 and ({channels},) each",
        )
    gamma, beta, mean, var = weights
    dtype, momentum = float_dtype(r, x), a.get("momentum", 0.9)
    norm = BatchStatNorm(channels, a.get("epsilon", 1e-5), dtype=dtype)
    norm.gamma.data[...], norm.beta.data[...] = gamma, beta
    layers = {0: norm}
    for i, statistic, running in ((1, "mean", mean), (2, "var", var)):
        layers[i] = RunningStat(channels, statistic, momentum, dtype=dtype)
        layers[i].set_buffer("running", running.astype(dtype))
    return _outputs(r, layers, x)


def read_seeded_dropout(r: Reader, ratio: np.ndarray) -> dict:
    """The training form with a seed: the mask onnx's reference runtime draws for the whole
    tensor (SeededDropout), and the mask output itself."""
    seed = r.attrs().get("seed")
    if seed is None:
        r.fail(
            "the training form without a seed is not read (each run would draw a new mask)",
            "training_mode=1 and no seed",
            "a seed attribute, or training_mode=0 (inference: the identity)",
        )
    if np.ndim(ratio) or not 0 < ratio < 1:
        r.fail("the ratio must be one number in [0, 1)", f"ratio {ratio}", "0 ≤ ratio < 1")
    r.need_whole()  # the mask has the whole tensor's shape
    x, ratio = r.symbolic(0), float(ratio)
    layers = {0: SeededDropout(ratio, seed), 1: SeededDropout(ratio, seed, mask=True)}
    return _outputs(r, layers, x)
