"""glassnet: deep learning from first principles that you can see through.

``import glassnet as gn``; the public names are listed in ``__all__`` below.
"""

from glassnet import (
    activations,
    data,
    distributed,
    errors,
    explain,
    interop,
    layers,
    losses,
    nn,
    onnx,
    ops,
    optim,
    pretrained,
    training,
    tune,
    vision,
)
from glassnet._config import enable_grad, manual_seed, no_grad
from glassnet.autograd import Function
from glassnet.captured import capture
from glassnet.creation import arange, eye, full, ones, rand, randn, tensor, zeros
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
from glassnet.explain.doctor import doctor
from glassnet.explain.modelcheck import check_gradients
from glassnet.nn.graph import Input
from glassnet.opcheck import gradcheck
from glassnet.tensor import Tensor, as_tensor
from glassnet.training import Model, Sequential, callbacks, load_model, metrics

__version__ = "0.1.0"

__all__ = [
    "activations",
    "arange",
    "as_tensor",
    "callbacks",
    "capture",
    "check_gradients",
    "ConfigError",
    "data",
    "DataError",
    "distributed",
    "doctor",
    "DTypeError",
    "enable_grad",
    "errors",
    "explain",
    "eye",
    "full",
    "Function",
    "GlassnetError",
    "manual_seed",
    "gradcheck",
    "GradientCheckError",
    "Input",
    "interop",
    "InternalError",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "Model",
    "nn",
    "no_grad",
    "onnx",
    "ones",
    "ops",
    "optim",
    "plot",
    "pretrained",
    "rand",
    "randn",
    "Sequential",
    "ShapeError",
    "Tensor",
    "tensor",
    "trace",
    "training",
    "tune",
    "vision",
    "zeros",
]


def _plot_renderer(name: str):
    """A renderer for :func:`glassnet.notebook.render` that loads :mod:`glassnet.plot.reprs`
    (and matplotlib) on its first call: the low layers never import the plot layer."""

    def render(obj):
        from glassnet.plot import reprs

        return getattr(reprs, name)(obj)

    render.__name__ = name
    return render


from glassnet import notebook as _notebook  # noqa: E402

for _kind in _notebook.RENDERER_KINDS:
    _notebook.register_renderer(_kind, _plot_renderer(_kind))
del _kind


def __getattr__(name: str):
    """``gn.plot`` and ``gn.sklearn`` are imported on first use, so ``import glassnet`` never
    loads matplotlib or scikit-learn (the ``sklearn`` extra)."""
    if name in ("plot", "sklearn"):
        import importlib

        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
