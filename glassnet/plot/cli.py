"""``glassnet plot``: the seeds' figures from the command line, as PNG files.

glassnet plot activations --out act.png
glassnet plot surface --out bowl.png --start 4,-3 --lr 0.1 --steps 20
glassnet plot history --csv runs/x/history.csv --out history.png   (a CSVLogger file)
glassnet plot network --model runs/x/model.gn --out net.png
glassnet plot graph --model runs/x/model.gn --out layers.png   (layers and connections)
glassnet plot boundary --model runs/x/model.gn --dataset circles --out boundary.png
glassnet plot mnist --model runs/x/model.gn --out digits.png
"""

from __future__ import annotations

import csv
import math
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, DataError, message

if TYPE_CHECKING:
    import argparse
    import os

__all__ = ["add_plot_parser", "run_plot", "FIGURES"]

FIGURES = ("activations", "surface", "history", "network", "graph", "boundary", "mnist")
MAX_STEPS = 10_000  # gradient-descent steps drawn on the surface figure


def add_plot_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plot",
        help="draw a figure as PNG: " + ", ".join(FIGURES),
        description="Draw one of the lessons' figures and save it as a PNG file.",
    )
    p.add_argument("figure", choices=FIGURES, help="which figure")
    p.add_argument("--out", required=True, help="the PNG file to write")
    p.add_argument("--model", help="a saved model (network, graph, boundary, mnist)")
    p.add_argument("--csv", help="a CSVLogger history file (history)")
    p.add_argument(
        "--dataset", default="circles", help="2-D data set for boundary (default circles)"
    )
    p.add_argument("--start", default="4,-3", help="surface: start point x,y (default 4,-3)")
    p.add_argument("--lr", type=float, default=0.1, help="surface: learning rate (default 0.1)")
    p.add_argument("--steps", type=int, default=20, help="surface: descent steps (default 20)")
    p.set_defaults(run=run_plot)


def _need(args, name: str) -> str:
    value = getattr(args, name)
    if value is None:
        raise ConfigError(
            message(
                f"glassnet plot {args.figure}",
                f"--{name} is required for this figure",
                f"no --{name}",
                f"--{name} PATH",
            )
        )
    return value


def _point(text: str) -> tuple[float, float]:
    """``"4,-3"`` → (4.0, -3.0); anything else is a ConfigError."""
    try:
        point = tuple(float(v) for v in text.split(","))
    except ValueError:
        point = ()
    if len(point) != 2 or not all(math.isfinite(v) for v in point):
        raise ConfigError(
            message(
                "glassnet plot surface",
                "--start must be two finite numbers x,y",
                repr(text),
                "e.g. 4,-3",
            )
        )
    return point


def read_history(path: str | os.PathLike) -> dict[str, list[float]]:
    """A CSVLogger file as {column: values per epoch} (the epoch column dropped)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ConfigError(
            message(
                "glassnet plot history", "the CSV file has no rows", str(path), "one row per epoch"
            )
        )
    try:
        return {k: [float(r[k]) for r in rows] for k in rows[0] if k != "epoch"}
    except (TypeError, ValueError):  # a text cell, or a row shorter than the header
        raise DataError(
            message(
                "glassnet plot history",
                "the CSV file holds a cell that is not a number",
                str(path),
                "a file written by gn.callbacks.CSVLogger: numbers in every column",
            )
        ) from None


def run_plot(args: argparse.Namespace) -> int:
    from glassnet import plot

    kind = args.figure
    if kind == "activations":
        fig = plot.activations(args.out)
    elif kind == "surface":
        if not 0 <= args.steps <= MAX_STEPS:
            raise ConfigError(
                message(
                    "glassnet plot surface",
                    "--steps is out of range",
                    str(args.steps),
                    f"0 … {MAX_STEPS:,}",
                )
            )
        start = _point(args.start)
        fig = plot.surface_2d(path=args.out, start=start, lr=args.lr, steps=args.steps)
    elif kind == "history":
        fig = plot.history(read_history(_need(args, "csv")), args.out)
    else:
        fig = _model_figure(args, kind)
    print(f"glassnet plot {kind}: wrote {fig.glassnet_path}")
    return 0


def _model_figure(args, kind: str):
    from glassnet import plot
    from glassnet.training import load_model, recipes

    model = load_model(_need(args, "model"))
    model.preprocessing = None  # the data set's rows below are prepared already
    if kind == "network":
        return plot.network(model, args.out)
    if kind == "graph":
        return plot.graph(model, args.out)
    if kind == "boundary":
        data = recipes.load_dataset(args.dataset)
        return plot.decision_boundary(model, data.x_test, data.y_test, args.out)
    data = recipes.load_dataset("mnist", limit=1000)
    x = data.x_test[:100]
    predictions = model.predict(x.reshape((len(x), 1, 28, 28)) if _wants_images(model) else x)
    return plot.mnist_grid(
        x.reshape(-1, 28, 28), data.y_test[:100], predictions.argmax(axis=1), args.out
    )


def _wants_images(model) -> bool:
    """True when the model reads images (N, C, H, W): a functional model with an image
    input, or a chain that starts with Conv2D."""
    from glassnet import nn
    from glassnet.explain.layers import layers_of

    shapes = getattr(model, "input_shapes", None)
    if shapes:
        return len(shapes[0]) == 3
    return isinstance(layers_of(model)[0][1], nn.Conv2D)
