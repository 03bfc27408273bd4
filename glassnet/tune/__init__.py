"""Hyperparameter search: ``gn.tune.random_search(build, space, n_trials, x, y, ...)``.

Distributions (``Uniform``, ``LogUniform``, ``IntUniform``, ``Choice``) describe the space;
``random_search`` trains one model per sampled configuration, in this process, in a local
process pool or on a Dask cluster, and returns a ranked :class:`SearchResult`.
"""

from glassnet.tune.distributions import (
    Choice,
    Distribution,
    IntUniform,
    LogUniform,
    Uniform,
    parse,
    parse_space,
)
from glassnet.tune.result import SearchError, SearchInterrupted, SearchResult
from glassnet.tune.search import random_search

__all__ = [
    "Choice",
    "Distribution",
    "IntUniform",
    "LogUniform",
    "SearchError",
    "SearchInterrupted",
    "SearchResult",
    "Uniform",
    "parse",
    "parse_space",
    "random_search",
]
