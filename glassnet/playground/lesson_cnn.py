"""The CNN explainer: every layer's feature maps of an image model, and one pixel explained.

``cnn_view`` runs the model layer by layer (glassnet's own forward, eval mode) on one
28 × 28 image and returns each 4-D layer output as per-channel heatmaps plus the class
probabilities softmax(z)ₖ = e^{zₖ} / Σⱼ e^{zⱼ}. ``pixel_view`` explains one feature-map
pixel: walking back to the convolution that made it (through a max pool: to the window's
winner), it returns the input patch, the kernel, their products and

    y[c, i, j] = Σ_{c', u, v} x_pad[c', i·s + u·d, j·s + v·d] · w[c, c', u, v] + b[c]

next to glassnet's own output, then the value after each following layer up to and
including the next pooling window.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, GlassnetError, message
from glassnet.ops.conv import resolve_padding
from glassnet.playground.views import encode_bytes, encode_unit
from glassnet.vision import mnist_to_images

__all__ = ["ModelStore", "cnn_view", "pixel_view", "test_image"]

SIDE, MAX_MODELS = 28, 8
_TEST: list = []


def test_image(index: object) -> np.ndarray:
    """MNIST test image ``index`` (0 … 9999) scaled to [0, 1], shape (28, 28)."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 10_000:
        raise ConfigError(
            message("lessons.cnn", "test_index is out of range", repr(index), "0 … 9999")
        )
    if not _TEST:
        (_, _), (x_test, y_test) = gn.data.load_mnist()
        _TEST.extend([x_test, y_test])
    return mnist_to_images(_TEST[0][index].reshape(SIDE, SIDE))[0, 0], int(_TEST[1][index])


class ModelStore:
    """The image models a server offers: the pretrained ones and uploaded model files."""

    def __init__(self) -> None:
        self.models: OrderedDict[str, gn.Sequential] = OrderedDict()

    def get(self, name: str) -> gn.Sequential:
        if name not in self.models:
            if name not in gn.pretrained.MODELS:
                raise ConfigError(
                    message(
                        "lessons.cnn",
                        "no such model",
                        repr(name)[:40],
                        "mnist-cnn or an uploaded model",
                    )
                )
            self.models[name] = gn.pretrained.load(name)
        return self.models[name]

    def add(self, content: bytes) -> str:
        """Load an uploaded glassnet model file; it must map (1, 1, 28, 28) to class scores."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.gn"
            path.write_bytes(content)
            try:
                model = gn.load_model(path)
                with no_grad():
                    model.eval()
                    scores = model(np.zeros((1, 1, SIDE, SIDE), np.float32))
            except GlassnetError as exc:
                raise ConfigError(
                    message(
                        "lessons.cnn",
                        "the file is not a usable image model",
                        str(exc)[:200],
                        "a model saved with model.save() taking (N, 1, 28, 28) images",
                    )
                ) from None
        if scores.ndim != 2:
            raise ConfigError(
                message(
                    "lessons.cnn",
                    "the model does not output class scores",
                    scores.shape,
                    "(1, classes)",
                )
            )
        if getattr(model, "is_graph", False):  # the views walk model.layers one after another
            raise ConfigError(
                message(
                    "lessons.cnn",
                    "the lesson walks a chain of layers, and this model is a graph",
                    "a functional model with branches, skip connections or merges",
                    "a Sequential image model",
                    "gn.plot.graph(model) draws its layers and connections",
                )
            )
        name = f"upload-{len(self.models)}"
        self.models[name] = model
        while len(self.models) > MAX_MODELS:
            self.models.popitem(last=False)
        return name


def image_from(request: dict) -> tuple[np.ndarray, int | None]:
    """The request's image: ``pixels`` (784 numbers in [0, 1]) or ``test_index``."""
    if "pixels" in request:
        pixels = np.asarray(request["pixels"], dtype=np.float64)
        if pixels.shape != (SIDE * SIDE,) or not np.all((pixels >= 0) & (pixels <= 1)):
            raise ConfigError(
                message(
                    "lessons.cnn", "pixels must be 784 numbers in [0, 1]", pixels.shape, "(784,)"
                )
            )
        return pixels.reshape(SIDE, SIDE).astype(np.float32), None
    return test_image(request.get("test_index", 0))


def layer_outputs(model: gn.Sequential, image: np.ndarray) -> list[np.ndarray]:
    """Each layer's output for one image (glassnet forward, eval mode, no graph)."""
    model.eval()
    h, outputs = image[None, None], []
    with no_grad():
        for layer in model.layers:
            h = layer(h)
            outputs.append(h.data[0])
    return outputs


def cnn_view(store: ModelStore, request: dict) -> dict:
    """Feature maps per 4-D layer (base64 bytes, per channel scaled by its max |value|)."""
    model = store.get(request.get("model", "mnist-cnn"))
    image, label = image_from(request)
    outputs = layer_outputs(model, image)
    layers = []
    for index, (layer, out) in enumerate(zip(model.layers, outputs)):
        entry = {
            "index": index,
            "name": str(layer),
            "kind": type(layer).__name__,
            "shape": list(out.shape),
        }
        if out.ndim == 3:
            entry["maps"] = [encode_unit(channel) for channel in out]
        layers.append(entry)
    with no_grad():
        probabilities = gn.tensor(outputs[-1][None]).softmax(axis=-1).data[0]
    return {
        "image": encode_bytes(np.rint(image * 255)),  # 0 … 255, row by row
        "label": label,
        "layers": layers,
        "probabilities": probabilities.tolist(),
        "prediction": int(probabilities.argmax()),
    }


def _int(value, high: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < high:
        raise ConfigError(
            message("lessons.cnn", f"{name} is out of range", repr(value), f"0 … {high - 1}")
        )
    return value


def pixel_view(store: ModelStore, request: dict) -> dict:
    """The convolution behind feature-map pixel (layer, channel, i, j) and what follows it."""
    model = store.get(request.get("model", "mnist-cnn"))
    image, _ = image_from(request)
    outputs = layer_outputs(model, image)
    layer = _int(request.get("layer"), len(outputs), "layer")
    if outputs[layer].ndim != 3:
        raise ConfigError(
            message(
                "lessons.cnn", "that layer has no feature maps", outputs[layer].shape, "(C, H, W)"
            )
        )
    c, h, w = outputs[layer].shape
    channel, i, j = (
        _int(request.get("channel"), c, "channel"),
        _int(request.get("i"), h, "i"),
        _int(request.get("j"), w, "j"),
    )
    inputs = [image[None], *outputs]  # inputs[k]: what layer k reads
    conv, i, j = _convolution_behind(model, inputs, layer, channel, i, j)
    detail = _convolution(model.layers[conv], inputs[conv], outputs[conv], channel, i, j)
    detail["layer"] = conv
    detail["after"] = _following(model, outputs, conv, channel, i, j)
    return detail


def _convolution_behind(model, inputs, layer: int, channel: int, i: int, j: int):
    """(conv layer, i, j): walk back to the Conv2D that made the pixel; through a pool, to
    the position of its window's winner."""
    conv = layer
    while not isinstance(model.layers[conv], nn.Conv2D):
        if isinstance(model.layers[conv], nn.MaxPool2D | nn.AvgPool2D):
            i, j = _window_winner(model.layers[conv], inputs[conv], channel, i, j)
        conv -= 1
        if conv < 0 or inputs[conv + 1].ndim != 3:
            raise ConfigError(
                message(
                    "lessons.cnn",
                    "no convolution before that layer",
                    layer,
                    "a layer after a Conv2D",
                )
            )
    return conv, i, j


def _window(pool, source: np.ndarray, channel: int, i: int, j: int):
    (kh, kw), (sh, sw) = pool.kernel_size, pool.stride
    ph, pw = pool.padding
    top, left = i * sh - ph, j * sw - pw
    rows = range(max(top, 0), min(top + kh, source.shape[1]))
    cols = range(max(left, 0), min(left + kw, source.shape[2]))
    return source[channel][np.ix_(list(rows), list(cols))], rows.start, cols.start


def _window_winner(pool, source, channel, i, j) -> tuple[int, int]:
    values, top, left = _window(pool, source, channel, i, j)
    u, v = np.unravel_index(int(values.argmax()), values.shape)
    return top + int(u), left + int(v)


def _convolution(
    conv, source: np.ndarray, output: np.ndarray, channel: int, i: int, j: int
) -> dict:
    (kh, kw), (sh, sw), (dh, dw) = conv.kernel_size, conv.stride, conv.dilation
    (pt, pb), (pl, pr) = resolve_padding(
        conv.padding, source.shape[1:], conv.kernel_size, conv.stride, conv.dilation, "lessons.cnn"
    )
    padded = np.pad(source, ((0, 0), (pt, pb), (pl, pr)))
    patch = padded[
        :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw
    ]
    kernel = conv.w.data[channel]
    with no_grad():
        products = (
            gn.tensor(patch.astype(np.float64)) * gn.tensor(kernel.astype(np.float64))
        ).data
    bias = float(conv.b.data[channel]) if conv.use_bias else 0.0
    return {
        "name": str(conv),
        "channel": channel,
        "i": i,
        "j": j,
        "patch": patch.tolist(),
        "kernel": kernel.tolist(),
        "products": products.tolist(),
        "sum": float(products.sum()),
        "bias": bias,
        "total": float(products.sum()) + bias,
        "output": float(output[channel, i, j]),
    }


def _following(model, outputs, conv: int, channel: int, i: int, j: int) -> list[dict]:
    """The pixel's value after each later layer, up to and including the next pool."""
    steps = []
    for index in range(conv + 1, len(outputs)):
        layer = model.layers[index]
        if isinstance(layer, nn.MaxPool2D | nn.AvgPool2D):
            (sh, sw), (ph, pw) = layer.stride, layer.padding
            oi, oj = (i + ph) // sh, (j + pw) // sw
            values, _, _ = _window(layer, outputs[index - 1], channel, oi, oj)
            steps.append(
                {
                    "name": str(layer),
                    "kind": "pool",
                    "window": values.tolist(),
                    "value": float(outputs[index][channel, oi, oj]),
                    "i": oi,
                    "j": oj,
                }
            )
            break
        if outputs[index].ndim != 3:
            break
        steps.append(
            {
                "name": str(layer),
                "kind": type(layer).__name__,
                "value": float(outputs[index][channel, i, j]),
            }
        )
    return steps
