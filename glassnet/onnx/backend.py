"""``gn.onnx.backend``: glassnet as an ONNX backend, in onnx's own interface
(``onnx.backend.base.Backend``, as onnxruntime's backend has it)::

    rep = gn.onnx.backend.prepare(proto)     # reads the graph once
    outputs = rep.run([x])                   # every graph output, in the graph's order

Where ``gn.onnx.load`` builds one trainable model for one output, a backend runs the whole
graph. ``prepare`` reads each graph output from the nodes it depends on, in one of three
ways:

* **passed on**: an output that Identity nodes alone take from a graph input is the value
  fed, whatever its type (a tensor, a sequence as a list of arrays, an optional as None or
  its value): that is ONNX's Identity. Any other use of a sequence or an optional is a
  DataError naming the node and its op.
* **constant**: an output computed from constants alone (a Constant node, an initializer,
  Add or Mul of constants) is that array; a graph with no inputs is one of these.
* **computed**: anything else is the glassnet model ``gn.onnx.load`` builds for that
  output (``rep.models[name]``, trainable like any loaded model); ``run`` calls its
  ``predict`` on the inputs it reads.

The op set and forms are gn.onnx.load's. glassnet reads weights (Conv's W and B, Gemm's B
and C, BatchNormalization's statistics, Reshape's shape, Dropout's ratio and training mode:
``WEIGHT_INPUTS``) as parameters; exporters write them as initializers. Where a graph feeds
one as a graph input instead (onnx's node tests do), the output is built at ``run`` for
the values fed, with them as initializers, and kept while the same values come again
(``rep.models`` then holds the model of the latest run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from onnx.backend.base import Backend, BackendRep

from glassnet.errors import ConfigError, DataError, message
from glassnet.onnx.load import load, read_values

if TYPE_CHECKING:
    import onnx

__all__ = [
    "GlassnetBackend",
    "GlassnetRep",
    "prepare",
    "run_model",
    "run_node",
    "supports_device",
    "WEIGHT_INPUTS",
]


def _producers(graph) -> dict:
    return {name: node for node in graph.node for name in node.output}


def _passed_on(graph, name: str) -> str | None:
    """The graph input that Identity nodes alone carry to ``name``, else None."""
    producers, fed = _producers(graph), _fed(graph)
    while name in producers and producers[name].op_type == "Identity":
        name = producers[name].input[0]
    return name if name in fed else None


def _fed(graph) -> list[str]:
    """The graph inputs a caller feeds (those that are not initializers), in order."""
    weights = {t.name for t in graph.initializer}
    return [v.name for v in graph.input if v.name not in weights]


# the inputs glassnet reads as weights (parameters), by op type
WEIGHT_INPUTS = {
    "Gemm": (1, 2),
    "Conv": (1, 2),
    "BatchNormalization": (1, 2, 3, 4),
    "Reshape": (1,),
    "Dropout": (1, 2),
    "ReduceMean": (1,),
    **dict.fromkeys(("Gather", "Unsqueeze", "Squeeze"), (1,)),
    "Slice": (1, 2, 3, 4),  # shape arithmetic's constants (glassnet.onnx.shape_ops)
}


def _weights_fed(graph) -> list[str]:
    """The graph inputs that a node reads as a weight (Conv's W fed at run, say)."""
    fed, names = set(_fed(graph)), []
    for node in graph.node:
        for i in WEIGHT_INPUTS.get(node.op_type, ()):
            if i < len(node.input) and node.input[i] in fed and node.input[i] not in names:
                names.append(node.input[i])
    return names


def _subgraph(proto, name: str):
    """A copy of ``proto`` holding only what output ``name`` depends on, as its one output."""
    producers, needed, seen, stack = _producers(proto.graph), set(), set(), [name]
    while stack:
        value = stack.pop()
        if value and value not in needed:
            needed.add(value)
            node = producers.get(value)
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                stack.extend(node.input)
    sub = type(proto)()
    sub.CopyFrom(proto)
    graph = sub.graph
    keep = [n for n in proto.graph.node if id(n) in seen]  # in the graph's (topological) order
    del graph.node[:], graph.output[:]
    graph.node.extend(keep)
    graph.output.extend(o for o in proto.graph.output if o.name == name)
    for field in (graph.input, graph.initializer):
        kept = [v for v in field if v.name in needed]
        del field[:]
        field.extend(kept)
    return sub


class GlassnetRep(BackendRep):
    """A prepared graph: ``run(inputs)`` returns every graph output (see the module
    docstring for how each is computed). ``models`` maps each computed output's name to
    its glassnet model; ``inputs`` names the graph inputs ``run`` takes, in order."""

    def __init__(self, proto: onnx.ModelProto) -> None:
        import onnx

        graph = proto.graph
        self.inputs, self.outputs = _fed(graph), [o.name for o in graph.output]
        self.models: dict[str, Any] = {}
        self._plans: list[tuple[str, Any]] = []
        self._built: dict[tuple, tuple] = {}
        for name in self.outputs:
            source = _passed_on(graph, name)
            if source is not None:
                self._plans.append(("passed on", source))
                continue
            sub = _subgraph(proto, name)
            if not _fed(sub.graph):
                reader, _ = read_values(onnx, sub)
                self._plans.append(("constant", np.asarray(reader.values[name])))
                continue
            bound = _weights_fed(sub.graph)
            if bound:  # built at run, for the weights fed
                self._plans.append(("bound", (sub, bound, name)))
                continue
            self.models[name] = load(sub)
            self._plans.append(("computed", (self.models[name], _fed(sub.graph))))

    def _feeds(self, inputs: Any) -> dict:
        values = inputs if isinstance(inputs, dict) else dict(zip(self.inputs, inputs))
        given = len(inputs) if not isinstance(inputs, dict) else None
        missing = [n for n in self.inputs if n not in values]
        if missing or (given is not None and given != len(self.inputs)):
            raise DataError(
                message(
                    "gn.onnx.backend run",
                    "one value per graph input is needed",
                    f"{given if given is not None else sorted(values)} (missing {missing})",
                    f"{len(self.inputs)}: {self.inputs}",
                )
            )
        return values

    def _bound(self, plan: tuple, values: dict) -> np.ndarray:
        """The output of a graph whose weights are graph inputs: the model built with the
        weights fed as its initializers (kept while the same weights are fed)."""
        import onnx

        sub, bound, name = plan
        weights = [np.asarray(values[n]) for n in bound]
        key = (name, *((w.dtype.str, w.shape, w.tobytes()) for w in weights))
        if key not in self._built:
            proto = type(sub)()
            proto.CopyFrom(sub)
            for n, w in zip(bound, weights):
                proto.graph.initializer.append(onnx.numpy_helper.from_array(w, n))
            fed = _fed(proto.graph)
            made = load(proto) if fed else np.asarray(read_values(onnx, proto)[0].values[name])
            self._built = {k: v for k, v in self._built.items() if k[0] != name}
            self._built[key] = (made, fed)
        made, fed = self._built[key]
        if isinstance(made, np.ndarray):
            return made.copy()
        self.models[name] = made
        feed = [np.asarray(values[n]) for n in fed]
        return made.predict(feed if len(feed) > 1 else feed[0])

    def run(self, inputs: Any, **kwargs: Any) -> tuple:
        """Every graph output for ``inputs`` (a list in ``self.inputs`` order, or a dict by
        name), as a tuple in the graph's output order."""
        values, results = self._feeds(inputs), []
        for kind, plan in self._plans:
            if kind == "passed on":
                results.append(values[plan])
            elif kind == "constant":
                results.append(plan.copy())
            elif kind == "bound":
                results.append(self._bound(plan, values))
            else:
                model, names = plan
                feed = [np.asarray(values[n]) for n in names]
                results.append(model.predict(feed if len(feed) > 1 else feed[0]))
        return tuple(results)


class GlassnetBackend(Backend):
    """glassnet behind onnx's Backend interface (CPU only); see the module docstring."""

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> GlassnetRep:
        """Check ``model`` (onnx.checker) and read it: a :class:`GlassnetRep`. Raises
        DataError naming the node and op for anything gn.onnx.load does not read."""
        cls._check_device(device)
        import onnx

        try:
            super().prepare(model, device, **kwargs)  # onnx.checker.check_model
        except onnx.checker.ValidationError as exc:
            raise DataError(
                message(
                    "gn.onnx.backend.prepare",
                    "the model fails onnx.checker",
                    str(exc).split("\n")[0],
                    "a valid ONNX model",
                )
            ) from exc
        return GlassnetRep(model)

    @classmethod
    def run_node(
        cls,
        node: onnx.NodeProto,
        inputs: Any,
        device: str = "CPU",
        outputs_info: Any = None,
        **kwargs: Any,
    ) -> tuple:
        """Run one node on ``inputs`` (arrays, one per named input of the node): the node,
        checked by onnx.checker, as a one-node graph whose inputs are those arrays (a
        :class:`GlassnetRep`). ``outputs_info`` gives each output's (dtype, shape)."""
        import onnx

        cls._check_device(device)
        super().run_node(node, inputs, device, outputs_info, **kwargs)  # onnx.checker
        h, arrays = onnx.helper, [np.asarray(x) for x in inputs]
        kind = h.np_dtype_to_tensor_dtype
        names = [n for n in node.input if n]
        ins = [h.make_tensor_value_info(n, kind(a.dtype), a.shape) for n, a in zip(names, arrays)]
        info = outputs_info or [None] * len(node.output)
        outs = [h.make_empty_tensor_value_info(n) if i is None  # typed as the node computes
                else h.make_tensor_value_info(n, kind(np.dtype(i[0])), i[1])
                for n, i in zip(node.output, info)]  # fmt: skip
        # glassnet reads the node's outputs by name: no graph check needs their types
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        graph = h.make_graph([node], "run_node", ins, outs)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
        return GlassnetRep(model).run(arrays)

    @classmethod
    def _check_device(cls, device: str) -> None:
        if not cls.supports_device(device):
            raise ConfigError(
                message("gn.onnx.backend", "glassnet runs on the CPU", repr(device), "'CPU'")
            )

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device.split(":")[0] == "CPU"


prepare = GlassnetBackend.prepare
run_model = GlassnetBackend.run_model
run_node = GlassnetBackend.run_node
supports_device = GlassnetBackend.supports_device
