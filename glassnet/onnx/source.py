"""Where ``gn.onnx.load`` gets its model: a path, the file's bytes, or an onnx.ModelProto.

A file that is not an ONNX model, is cut short or holds no graph is a DataError
naming the file, never the protobuf library's own exception. Reading parses protobuf
only: nothing in the file runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from glassnet.errors import DataError, message

if TYPE_CHECKING:
    from types import ModuleType

    import onnx

__all__ = ["model_proto"]


def model_proto(
    onnx: ModuleType, source: str | os.PathLike | bytes | onnx.ModelProto
) -> onnx.ModelProto:
    """The ModelProto of ``source`` (a path, bytes, or a ModelProto), with a graph to read.

    A missing path is FileNotFoundError, as ``open`` says it; a damaged model a DataError.
    """
    if isinstance(source, onnx.ModelProto):
        where, proto = "onnx.load: the ModelProto", source
    elif isinstance(source, bytes | bytearray | memoryview):
        where = "onnx.load: the bytes given"
        proto = _parse(onnx, bytes(source), where)
    elif isinstance(source, str | os.PathLike):
        where = f"onnx.load: file {os.fspath(source)!r}"
        proto = _parse(onnx, os.fspath(source), where)  # with its external data, if any
    else:
        raise DataError(
            message(
                "onnx.load",
                "the source is not a model",
                type(source).__name__,
                "a path, the file's bytes, or an onnx.ModelProto",
            )
        )
    if not proto.ir_version or not proto.graph.output:
        raise DataError(
            message(
                where,
                "the model has no graph to read",
                f"ir_version {proto.ir_version}, {len(proto.graph.output)} graph outputs",
                "an ONNX model with a graph and at least one output",
                "an empty or foreign file parses as an empty model; export the model again",
            )
        )
    return proto


def _parse(onnx: ModuleType, data: bytes | str, where: str) -> onnx.ModelProto:
    """Parse the bytes, or the file at a path (missing: FileNotFoundError, from open)."""
    from google.protobuf.message import DecodeError

    try:
        if isinstance(data, bytes):
            return onnx.load_model_from_string(data)
        return onnx.load(data)  # external data is read from the file's folder only
    except DecodeError:
        size = len(data) if isinstance(data, bytes) else os.path.getsize(data)
        raise DataError(
            message(
                where,
                "the bytes are not an ONNX model",
                f"{size} bytes that protobuf cannot parse as onnx.ModelProto",
                "a serialized onnx.ModelProto (an .onnx file)",
                "a file cut short or of another format; export the model again",
            )
        ) from None
