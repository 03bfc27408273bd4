"""What the page draws, computed from the live model: heatmaps, boundary, digits, weights.

Heatmaps are sent as bytes, not JSON numbers: a value v in [−1, 1] becomes the byte
round((v + 1)·127.5), base64-encoded. A 48×48 map is 2,304 bytes instead of ~20 kB of JSON,
which keeps each update small enough for 10+ updates per second.

Each neuron's map is its activation a(x) over a G×G grid of the input plane, divided by
the largest |a| on the grid (the scale travels with it), so every map uses the full range.
The decision boundary of a classifier is argmax over the class scores; its shade is the
confidence p_max − p_second (softmax probabilities). A regression surface shows ŷ.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet._config import no_grad
from glassnet.playground.datasets import feature_matrix

if TYPE_CHECKING:
    from glassnet.playground.datasets import Prepared

__all__ = ["GRID", "grid_points", "encode_unit", "encode_bytes", "layer_outputs", "plane_view"]

GRID = 48
SMALL_STRIDE = 3  # layers wider than 8 draw small nodes: every 3rd grid point (16×16) is enough


def grid_points(extent: float, size: int = GRID) -> np.ndarray:
    """(size², 2) points of a square grid over [−extent, extent]², row by row, top row first
    (x₂ decreasing), so the bytes read like an image."""
    ticks = np.linspace(-extent, extent, size, dtype=np.float32)
    x1, x2 = np.meshgrid(ticks, ticks[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def encode_bytes(values: np.ndarray) -> str:
    """uint8 array → base64 text."""
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes()).decode()


def encode_unit(values: np.ndarray) -> tuple[str, float]:
    """Scale values into [−1, 1] by their largest magnitude and encode: (text, scale)."""
    values = np.nan_to_num(np.asarray(values, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    scale = float(np.abs(values).max()) if values.size else 0.0
    unit = values / scale if scale > 0 else np.zeros_like(values)
    return encode_bytes(np.rint((np.clip(unit, -1, 1) + 1) * 127.5)), scale


def layer_outputs(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """Outputs of every Dense layer's neurons, after their activation, in eval mode.

    The last entry is the output layer's raw scores (it has no activation).
    """
    model.eval()
    outputs, h = [], x
    with no_grad():
        layers = list(model.layers)
        for i, layer in enumerate(layers):
            h = layer(h)
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Dense) and nxt is None:
                outputs.append(h.data)
            elif not isinstance(layer, nn.Dense | nn.Dropout):
                outputs.append(h.data)
    return outputs


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so exp never overflows."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def plane_view(model: nn.Sequential, prepared: Prepared, features: list[str]) -> dict:
    """Every neuron's heatmap and the boundary (or regression surface) over the plane."""
    points = grid_points(prepared.extent)
    outputs = layer_outputs(model, feature_matrix(points, features))
    strides = [1 if out.shape[1] <= 8 else SMALL_STRIDE for out in outputs]
    neurons = [
        [encode_unit(out[:, j].reshape(GRID, GRID)[::k, ::k]) for j in range(out.shape[1])]
        for out, k in zip(outputs, strides)
    ]
    scores = outputs[-1]
    if prepared.classes:
        p = np.nan_to_num(softmax(scores.astype(np.float64)), nan=0.0)
        top = np.sort(p, axis=1)
        margin = top[:, -1] - (top[:, -2] if p.shape[1] > 1 else 0)
        boundary = {
            "classes": encode_bytes(p.argmax(axis=1)),
            "confidence": encode_bytes(np.rint(margin * 255)),
        }
    else:
        boundary = {"surface": encode_unit(scores[:, 0])}
    sizes = [len(range(0, GRID, k)) for k in strides]
    return {"neurons": neurons, "neuron_grids": sizes, "boundary": boundary, "grid": GRID}


def input_maps(prepared: Prepared, features: list[str]) -> list[tuple[str, float]]:
    """The heatmap of each input feature over the plane (fixed, sent once)."""
    values = feature_matrix(grid_points(prepared.extent), features)
    return [encode_unit(values[:, k]) for k in range(values.shape[1])]


def weight_images(w: np.ndarray, side: int = 28) -> list[tuple[str, float]]:
    """Each first-layer neuron's 784 incoming weights as a 28×28 image (MNIST)."""
    return [encode_unit(w[:, j].reshape(side, side)) for j in range(w.shape[1])]


def digit_images(x: np.ndarray) -> list[str]:
    """MNIST rows with pixels in [0, 1] → base64 bytes 0…255 (28×28 each)."""
    return [encode_bytes(np.rint(row * 255)) for row in x]
