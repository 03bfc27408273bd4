"""Functional models: ``gn.Model(inputs, outputs)`` for graphs that are not a chain.

::

    x = gn.Input((1, 28, 28))
    h = gn.nn.Conv2D(1, 1, 3, padding="same")(x)
    y = gn.layers.Add()([h, x])                  # a residual connection
    model = gn.Model(x, y)                       # a Functional, with the whole Model API

The layers are registered under their order of first use (``"0"``, ``"1"``, ...), so
parameter names read like a Sequential's (``"0.w"``). ``forward`` replays the recorded
plan (see :mod:`glassnet.nn.graph`). Several inputs are passed as a list
(``model([a, b])``, ``fit([a, b], y)``); ``fit``, ``predict`` and ``evaluate`` pack them
side by side into one array of rows, so batching and shuffling treat a sample's parts
together, and ``forward`` unpacks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, ShapeError, message
from glassnet.nn.graph import check_input, plan
from glassnet.tensor import Tensor, as_tensor
from glassnet.training.io import register_layer
from glassnet.training.model import Model

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from numpy.typing import ArrayLike

    from glassnet.nn.graph import SymbolicTensor
    from glassnet.nn.module import Module
    from glassnet.training.history import History

__all__ = ["Functional"]


class Functional(Model):
    """A model whose layers form a graph: built by ``gn.Model(inputs, outputs)``.

    ``spec`` is the JSON replay plan (see :func:`glassnet.nn.graph.plan`); it and the
    layers are all a saved file needs to rebuild the model.
    """

    graph = True

    functional = True

    @property
    def is_graph(self) -> bool:
        """False when the layers form a plain chain (one input, each step reading the one
        before, no layer used twice): explain/ then walks them like a Sequential's."""
        steps = self.spec["steps"]
        chain = all(slots == [i] and not as_list for i, (_, slots, as_list) in enumerate(steps))
        return not (
            chain
            and len(self.input_shapes) == 1
            and len(set(s[0] for s in steps)) == len(steps)
            and self.spec["outputs"] == [len(steps)]
        )

    def __init__(
        self,
        inputs: SymbolicTensor | Sequence[SymbolicTensor] | None = None,
        outputs: SymbolicTensor | Sequence[SymbolicTensor] | None = None,
        *,
        spec: dict | None = None,
        layers: Sequence[Module] = (),
    ) -> None:
        super().__init__()
        if spec is None:
            spec, layers = plan(inputs, outputs)
        if len(spec["outputs"]) != 1:
            raise ConfigError(
                message(
                    "Model",
                    "a functional model has exactly one output",
                    f"{len(spec['outputs'])} outputs",
                    "one output tensor",
                    "join several heads with gn.layers.Concatenate()",
                )
            )
        object.__setattr__(self, "spec", spec)
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)
        shapes = [tuple(shape) for shape, _ in spec["inputs"]]
        object.__setattr__(self, "input_shapes", shapes)
        self.input_shape = shapes[0] if len(shapes) == 1 else None

    @property
    def layers(self) -> list:
        """The distinct layers in order of first use (their names are their indices)."""
        return list(self._modules.values())

    # ---- running the graph ---------------------------------------------------------------
    def forward(self, x: Tensor | Sequence[Tensor]) -> Tensor:
        values = self._inputs(x)
        layers = list(self._modules.values())
        for index, slots, as_list in self.spec["steps"]:
            args = [values[s] for s in slots]
            values.append(layers[index](args if as_list else args[0]))
        return values[self.spec["outputs"][0]]

    def _inputs(self, x) -> list[Tensor]:
        """The model's inputs as tensors: a list, one array (one input), or packed rows."""
        shapes, where = self.input_shapes, "Model"
        if len(shapes) > 1 and not isinstance(x, list | tuple):
            x = self._unpack(as_tensor(x, self._float()))
        parts = list(x) if isinstance(x, list | tuple) else [x]
        if len(parts) != len(shapes):
            raise ConfigError(
                message(where, "wrong number of inputs", str(len(parts)), str(len(shapes)))
            )
        tensors = [as_tensor(p, self._float()) for p in parts]
        for i, (t, shape) in enumerate(zip(tensors, shapes)):
            check_input(where, i, t, shape)
        return tensors

    def _float(self):
        params = self.parameters()
        return params[0] if params else None

    def _unpack(self, x: Tensor) -> list[Tensor]:
        parts = unpack_rows(x, self.input_shapes)
        if parts is None:
            raise ShapeError(
                message(
                    "Model",
                    f"this model has {len(self.input_shapes)} inputs; pass them as a list",
                    f"one array of shape {x.shape}",
                    f"[{', '.join(str(('N', *s)) for s in self.input_shapes)}]",
                )
            )
        return parts

    def pack(self, x: ArrayLike | Sequence[ArrayLike]) -> Any:
        """Several inputs ``[a, b]`` side by side as one (N, size_a + size_b) float array."""
        if len(self.input_shapes) < 2 or not isinstance(x, list | tuple):
            return x
        arrays = [np.asarray(p.data if isinstance(p, Tensor) else p) for p in x]
        if len({len(a) for a in arrays}) != 1 or len(arrays) != len(self.input_shapes):
            raise ShapeError(
                message(
                    "Model",
                    "the inputs must be one array per gn.Input, with one row count",
                    ", ".join(str(a.shape) for a in arrays),
                    f"{len(self.input_shapes)} arrays of N rows",
                )
            )
        return np.concatenate([a.reshape(len(a), -1) for a in arrays], axis=1).astype(self.dtype)

    # ---- the Model API with several inputs -----------------------------------------------
    def fit(
        self,
        x: ArrayLike | Sequence[ArrayLike],
        y: ArrayLike | None = None,
        *args,
        validation_data: tuple | None = None,
        **kwargs,
    ) -> History:
        if validation_data is not None and len(validation_data) == 2:
            validation_data = (self.pack(validation_data[0]), validation_data[1])
        history = super().fit(self.pack(x), y, *args, validation_data=validation_data, **kwargs)
        self.input_shape = self.input_shapes[0] if len(self.input_shapes) == 1 else None
        return history

    def predict(self, x: ArrayLike | Sequence[ArrayLike], *args, **kwargs) -> np.ndarray:
        return super().predict(self.pack(x), *args, **kwargs)

    def evaluate(self, x: ArrayLike | Sequence[ArrayLike], y: ArrayLike, *args, **kwargs) -> dict:
        return super().evaluate(self.pack(x), y, *args, **kwargs)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """The graph's table: one row per input and per layer call, with the values each
        call reads (Keras's "Connected to"). Prints it, as Model.summary does, and returns
        its text."""
        from glassnet.notebook import print_once
        from glassnet.training.graph_summary import graph_summary

        return print_once(graph_summary(self))

    def _repr_html_(self) -> str:  # Jupyter: the graph's table, not a chain's
        from glassnet.notebook import pre_html
        from glassnet.training.graph_summary import graph_summary

        return pre_html(type(self).__name__, graph_summary(self))


def unpack_rows(x: Tensor | np.ndarray, shapes: Sequence[Sequence[int]]) -> list | None:
    """Packed rows split back into one value per input, as :meth:`Functional.pack` laid
    them out: input i is the columns ``[s_0 + … + s_{i-1}, s_0 + … + s_i)`` of the (N, Σ s_i)
    rows (s_i the size of input i's shape), reshaped to (N, *shape_i). Slicing and reshaping
    a Tensor keeps the graph; an ndarray gives ndarrays. None when x is not (N, Σ s_i)."""
    sizes = [int(np.prod(s)) for s in shapes]
    if x.ndim != 2 or x.shape[1] != sum(sizes):
        return None
    starts = np.cumsum([0, *sizes])
    return [x[:, a:b].reshape(x.shape[0], *s) for a, b, s in zip(starts[:-1], starts[1:], shapes)]


Model.graph_class = Functional  # gn.Model(inputs, outputs) builds one of these
register_layer(Functional)  # a saved graph rebuilds through io's registry
