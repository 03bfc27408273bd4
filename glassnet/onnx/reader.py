"""The state of ``gn.onnx.load`` while it reads a graph, and the op set it understands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import DataError, message
from glassnet.nn.graph import SymbolicTensor

if TYPE_CHECKING:
    from types import ModuleType
    from typing import NoReturn

    import onnx

__all__ = ["Reader", "SUPPORTED", "WholeBatch", "float_dtype", "BATCH", "has_batch"]

BATCH = -(2**62)  # the batch size in shape arithmetic, unknown until predict (shape_ops.py)


def has_batch(x: np.ndarray) -> bool:
    """True when the constant holds the BATCH marker of shape arithmetic."""
    return x.dtype == np.int64 and bool(np.any(x == BATCH))


SUPPORTED = (
    "Gemm, MatMul(+Add), Conv, MaxPool, AveragePool (1-3-D), GlobalAveragePool, ReduceMean, "
    "BatchNormalization, Relu, Sigmoid, Tanh, LeakyRelu, Softmax, LogSoftmax, Flatten, "
    "Reshape, Add, Concat, Mul, Identity, Dropout, Constant; in shape arithmetic: Shape, "
    "Gather, Unsqueeze, Squeeze, Slice, Cast"
)


class WholeBatch(Exception):  # noqa: N818 (a signal, not an error: read the graph again)
    """Raised by a reader when the graph mixes axis 0 with the others: load reads the
    graph again with ``whole=True``, every input one sample holding the whole tensor."""


class Reader:
    """The values by name (symbolic tensors or constant arrays) while nodes are read.

    ``whole``: False while axis 0 is read as the batch (a glassnet tensor's axes are the
    ONNX tensor's); True when the graph mixes it, and then glassnet's axis 0 is a batch of
    one whole tensor (glassnet axis = ONNX axis + 1).
    """

    def __init__(self, onnx: ModuleType, proto: onnx.ModelProto, whole: bool = False) -> None:
        self.onnx, self.values, self.skip, self.node = onnx, {}, set(), None
        self.whole, self.batch = whole, None
        self.opset = next(
            (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1
        )
        self.users: dict[str, list] = {}
        for node in proto.graph.node:
            for name in node.input:
                self.users.setdefault(name, []).append(node)

    def fail(self, what: str, got: str, expected: str) -> NoReturn:
        node = self.node
        raise DataError(
            message(
                f"onnx.load: node {node.name or '(unnamed)'!r} ({node.op_type})",
                what,
                got,
                expected,
                "glassnet reads: " + SUPPORTED,
            )
        )

    def need_whole(self) -> None:
        """Called where the node mixes ONNX axis 0 with the others."""
        if not self.whole:
            raise WholeBatch(self.node.op_type)

    def rank(self, x: SymbolicTensor) -> int:
        """The ONNX tensor's rank."""
        return x.ndim - self.whole

    def axis(self, axis: int, x: SymbolicTensor) -> int:
        """glassnet's axis for ONNX axis ``axis`` (negative counts from the end) of x."""
        return axis % max(self.rank(x), 1) + self.whole

    def onnx_shape(self, x: SymbolicTensor) -> tuple:
        """The ONNX tensor's shape (axis 0 is the declared batch size unless whole)."""
        return tuple(x.shape[1:]) if self.whole else (self.batch, *x.shape[1:])

    def attrs(self) -> dict:
        helper = self.onnx.helper
        return {a.name: helper.get_attribute_value(a) for a in self.node.attribute}

    def get(self, i: int) -> SymbolicTensor | np.ndarray | None:
        names = [n for n in self.node.input]
        return self.values[names[i]] if i < len(names) and names[i] else None

    def symbolic(self, i: int = 0) -> SymbolicTensor:
        x = self.get(i)
        if not isinstance(x, SymbolicTensor):
            self.fail(
                f"input {i} must be computed from the graph inputs",
                "a constant",
                "a value that depends on the model's input",
            )
        return x

    def const(self, i: int, required: bool = True, shape: bool = False) -> np.ndarray | None:
        """Input i as a constant; one computed from the batch size only where ``shape``."""
        x = self.get(i)
        if x is None and not required:
            return None
        if not isinstance(x, np.ndarray):
            self.fail(
                f"input {i} must be a constant (a weight)",
                "a computed value",
                "an initializer or Constant",
            )
        if not shape and has_batch(x):
            self.batch_marker(i)
        return x

    def batch_marker(self, i: int) -> NoReturn:
        self.fail(
            f"input {i} is computed from the batch size, which is known only at predict",
            "the batch size in arithmetic or a weight",
            "the batch size only as the first size of a Reshape target",
        )


def float_dtype(r: Reader, x: SymbolicTensor) -> np.dtype | type:
    return x.dtype if x.dtype.kind == "f" else np.float32
