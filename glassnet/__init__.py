"""glassnet: deep learning from first principles that you can see through.

``import glassnet as gn``; the public names are listed in ``__all__`` below.
"""

from glassnet import (
    _memory,  # noqa: F401  (keeps freed large arrays in the process)
    data,
    errors,
    explain,
    losses,
    nn,
    ops,
    optim,
    pretrained,
    training,
    tune,
    vision,
)
from glassnet._config import enable_grad, no_grad
from glassnet.autograd import Function, gradcheck
from glassnet.diagnostics import doctor
from glassnet.errors import (
    ConfigError,
    DataError,
    DTypeError,
    GlassnetError,
    GradientCheckError,
    InternalError,
    ShapeError,
)
from glassnet.explain import trace
from glassnet.gradients import check_gradients
from glassnet.tensor import (
    Tensor,
    arange,
    as_tensor,
    eye,
    full,
    ones,
    rand,
    randn,
    tensor,
    zeros,
)
from glassnet.training import Model, Sequential, callbacks, load_model, metrics

__version__ = "0.1.0"

__all__ = [
    "Model",
    "Sequential",
    "callbacks",
    "load_model",
    "metrics",
    "training",
    "ConfigError",
    "DTypeError",
    "DataError",
    "Function",
    "GlassnetError",
    "GradientCheckError",
    "InternalError",
    "ShapeError",
    "Tensor",
    "arange",
    "as_tensor",
    "check_gradients",
    "enable_grad",
    "data",
    "doctor",
    "errors",
    "explain",
    "eye",
    "losses",
    "nn",
    "optim",
    "full",
    "gradcheck",
    "no_grad",
    "ones",
    "ops",
    "pretrained",
    "vision",
    "plot",
    "rand",
    "randn",
    "tensor",
    "trace",
    "tune",
    "zeros",
]


def __getattr__(name: str):
    """``gn.plot`` is imported on first use, so ``import glassnet`` never loads matplotlib."""
    if name == "plot":
        import importlib

        return importlib.import_module("glassnet.plot")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
