"""Training: ``Model`` and ``Sequential`` (compile, fit, evaluate, predict, summary, save),
``History``, callbacks, metrics, and ``load_model``.
"""

from glassnet.training import callbacks, functional, metrics
from glassnet.training.history import History
from glassnet.training.io import load_model, register_layer, save_model
from glassnet.training.model import Model, Sequential

__all__ = [
    "History",
    "Model",
    "Sequential",
    "callbacks",
    "functional",
    "load_model",
    "metrics",
    "register_layer",
    "save_model",
]
