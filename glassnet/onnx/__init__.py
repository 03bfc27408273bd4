"""ONNX in and out: ``gn.onnx.export(model, path, input_shape=...)`` and ``gn.onnx.load(path)``;
``gn.onnx.backend`` runs a whole ONNX graph behind onnx's Backend interface.

Needs the ``interop`` extra (``pip install glassnet[interop]``: onnx, onnxruntime,
safetensors); the ``onnx`` package is imported only when one of these functions runs, or
when ``gn.onnx.backend`` is first used (its classes subclass onnx's).
"""

from glassnet.onnx.export import export
from glassnet.onnx.load import SUPPORTED, load

__all__ = ["export", "load", "SUPPORTED"]


def __getattr__(name: str):
    """``gn.onnx.backend``, imported on first use (it imports the onnx package)."""
    if name == "backend":
        import importlib

        return importlib.import_module("glassnet.onnx.backend")
    raise AttributeError(f"module 'glassnet.onnx' has no attribute {name!r}")
