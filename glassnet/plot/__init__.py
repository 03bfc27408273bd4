"""Figures (PNG, matplotlib on the Agg canvas, no pyplot): ``gn.plot.history(h, "loss.png")``.

Every function returns the matplotlib Figure and saves it when given a path. matplotlib
is imported when the first figure is drawn, never by ``import glassnet``.

- training runs: :func:`history`, :func:`loss_curves` (GD vs SGD vs mini-batch vs Adam),
  :func:`lr_sweep`;
- loss surfaces with descent paths: :func:`surface_1d`, :func:`surface_2d`,
  :func:`model_surface`;
- functions: :func:`matrices`, :func:`activations` with their slopes, :func:`line_fitter`;
- models: :func:`decision_boundary`, :func:`network` (units and weights), :func:`graph`
  (layers and their connections, as Keras's plot_model), :func:`mnist_grid`;
- searches: :func:`search`, the metric against each hyperparameter of a gn.tune search.
"""

from glassnet.plot.functions import activations, line_fitter, matrices
from glassnet.plot.graphs import graph
from glassnet.plot.models import decision_boundary, mnist_grid, network, predict_classes
from glassnet.plot.search import search
from glassnet.plot.surfaces import bowl, descend, model_surface, slope_of, surface_1d, surface_2d
from glassnet.plot.training import history, loss_curves, lr_sweep

__all__ = [
    "activations",
    "bowl",
    "decision_boundary",
    "descend",
    "graph",
    "history",
    "line_fitter",
    "loss_curves",
    "lr_sweep",
    "matrices",
    "mnist_grid",
    "model_surface",
    "network",
    "predict_classes",
    "search",
    "slope_of",
    "surface_1d",
    "surface_2d",
]
