"""ONNX in and out: ``gn.onnx.export(model, path, input_shape=...)`` and ``gn.onnx.load(path)``.

Needs the ``interop`` extra (``pip install glassnet[interop]``: onnx, onnxruntime,
safetensors); the ``onnx`` package is imported only when one of these functions runs.
"""

from glassnet.onnx.export import export
from glassnet.onnx.load import SUPPORTED, load

__all__ = ["export", "load", "SUPPORTED"]
