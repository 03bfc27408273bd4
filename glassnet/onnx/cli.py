"""``glassnet export MODEL --format onnx``: a saved model as an ONNX file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    import argparse

__all__ = ["add_export_parser"]


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a saved model in another format (ONNX) for other runtimes",
        description="Export a model file (written by glassnet train or model.save) to ONNX "
        "(opset 17, validated by onnx.checker). Needs the interop extra.",
    )
    p.add_argument("model", help="a model file written by glassnet train or model.save")
    p.add_argument("--format", default="onnx", choices=("onnx",), help="output format")
    p.add_argument("--out", help="output path (default: the model's path with .onnx)")
    p.add_argument(
        "--input-shape",
        help="one sample's shape, e.g. 1,28,28 (default: the shape the model was trained on)",
    )
    p.set_defaults(run=run_export)


def _shape(text: str | None):
    if text is None:
        return None
    try:
        shape = tuple(int(s) for s in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) <= 0:
        raise ConfigError(
            message("export", "--input-shape must be positive ints", repr(text), "e.g. 1,28,28")
        )
    return shape


def run_export(args: argparse.Namespace) -> int:
    from glassnet.onnx import export
    from glassnet.training import load_model

    model = load_model(args.model)
    out = Path(args.out) if args.out else Path(args.model).with_suffix(".onnx")
    proto = export(model, out, input_shape=_shape(args.input_shape))
    nodes = len(proto.graph.node)
    print(f"wrote {out} (ONNX opset {proto.opset_import[0].version}, {nodes} nodes)")
    return 0
