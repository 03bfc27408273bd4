"""``glassnet explain``: one data point through a saved model, with numbers.

    glassnet explain runs/x/model.gn --input 2,3
    glassnet explain runs/x/model.gn --input mnist:0 --target 7 --weight "2.w[5, 7]" --lr 0.01
    glassnet explain model.gn --input 0.5,-1 --target 1 --trace --markdown

``--input`` is comma-separated numbers (raw values, like ``glassnet predict``'s CSV rows;
the preprocess.json beside the model is applied when present) or ``mnist:N``, test digit N.
With ``--weight`` (and ``--target``) the chain rule for that weight and the optimizer's
update are printed as well; ``--trace`` adds every op of the forward and backward pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    import argparse

__all__ = ["add_explain_parser", "run_explain", "parse_input"]


def add_explain_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "explain",
        help="walk one input through a saved model with numbers (and one weight's chain rule)",
        description="Print the forward pass of one input, layer by layer with the actual "
        "numbers; with --weight, the chain rule for that weight and its update.",
    )
    p.add_argument("model", help="a model file written by glassnet train or model.save")
    p.add_argument("--input", required=True, help="numbers like 2,3 or mnist:N (test digit N)")
    p.add_argument("--target", help="the true output (a number, a class, or numbers like 1,0)")
    p.add_argument("--weight", help='a weight to explain, e.g. "0.w[1, 0]" (needs --target)')
    p.add_argument("--loss", help="default: the model's compiled loss, else mse")
    p.add_argument("--optimizer", help="default: the model's optimizer, else sgd")
    p.add_argument("--lr", type=float, help="learning rate for the update (default: optimizer's)")
    p.add_argument("--trace", action="store_true", help="also print every op's forward/backward")
    p.add_argument("--markdown", action="store_true", help="print Markdown instead of text")
    p.add_argument("--preprocess", help="preprocess.json (default: the one beside the model)")
    p.set_defaults(run=run_explain)


def parse_input(text: str, where: str = "glassnet explain") -> tuple[np.ndarray, int | None]:
    """``"2,3"`` → ([2, 3], None); ``"mnist:N"`` → (test digit N's 784 raw pixels, its label)."""
    if text.startswith("mnist:"):
        from glassnet.data import load_mnist

        _, (images, labels) = load_mnist()
        index = _integer(text[6:], len(images), where)
        return images[index].reshape(-1).astype(np.float32), int(labels[index])
    try:
        values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        values = None
    if values is None or not np.all(np.abs(values) <= np.finfo(np.float32).max):  # NaN too
        raise ConfigError(
            message(
                where,
                "--input must be finite numbers (within float32's range) or mnist:N",
                repr(text),
                "e.g. 2,3 or mnist:0",
            )
        )
    return values.astype(np.float32), None


def _integer(text: str, size: int, where: str) -> int:
    if not text.isdigit() or int(text) >= size:
        raise ConfigError(
            message(where, "mnist:N needs a test-image index", repr(text), f"0 ≤ N < {size}")
        )
    return int(text)


def _prepared(args, model) -> tuple[np.ndarray, object]:
    """The input as the model sees it (preprocessed, image-shaped for a Conv2D model)."""
    from glassnet import nn
    from glassnet.explain.graph import is_graph
    from glassnet.explain.layers import layers_of
    from glassnet.training.preprocessing import Preprocessing

    x, label = parse_input(args.input)
    spec = Path(args.preprocess or Path(args.model).with_name("preprocess.json"))
    if args.preprocess or (model.preprocessing is None and spec.is_file()):
        model.preprocessing = Preprocessing.read(spec)
    if model.preprocessing is not None:  # the traces show the prepared input the layers see
        x = model.preprocessing.transform(x[None])[0]
    elif args.input.startswith("mnist:"):
        x = x / np.float32(255)
    shapes = getattr(model, "input_shapes", None) if is_graph(model) else None
    if shapes and len(shapes) == 1 and x.size == int(np.prod(shapes[0])):
        x = x.reshape(shapes[0])  # a graph's gn.Input says the sample's shape
    elif isinstance(layers_of(model)[0][1], nn.Conv2D):
        x = x.reshape(1, 28, 28)
    if args.target is None:
        return x, label
    values = parse_input(args.target)[0]
    return x, (values[0].item() if values.size == 1 else values)


def run_explain(args: argparse.Namespace) -> int:
    from glassnet import explain
    from glassnet.training import load_model

    model = load_model(args.model)
    x, target = _prepared(args, model)
    fmt = "markdown" if args.markdown else "text"
    walk = explain.forward(model, x)
    print(walk.render(fmt))
    loss = args.loss or getattr(model, "loss", None) or _default_loss(walk.output, target)
    if args.weight or args.trace:
        if target is None:
            raise ConfigError(
                message(
                    "glassnet explain",
                    "--weight and --trace need the true output",
                    "no --target",
                    "--target 9 (a number or class) or --target 1,0",
                )
            )
    if args.weight:
        optimizer, lr = _optimizer(args, model)
        e = explain.weight(model, x, target, args.weight, loss=loss, lr=lr, optimizer=optimizer)
        print(e.render(fmt))
    if args.trace:
        _trace(model, x, target, loss, fmt)
    return 0


def _default_loss(output: np.ndarray, target) -> str:
    """cross_entropy for a class label against several outputs, else mse."""
    is_label = target is not None and np.ndim(target) == 0 and float(target).is_integer()
    return "cross_entropy" if output.size > 1 and is_label else "mse"


def _optimizer(args, model):
    """(optimizer, lr) for the update: the model's own optimizer with its state, unless
    --lr or --optimizer ask for a fresh one."""
    own = getattr(model, "optimizer", None)
    if args.lr is None and args.optimizer is None and own is not None:
        return own, None
    return args.optimizer or getattr(own, "name", "sgd"), args.lr


def _trace(model, x, target, loss, fmt: str) -> None:
    from glassnet import explain, losses
    from glassnet.explain.forward import one_point
    from glassnet.explain.graph import graph_point, is_graph
    from glassnet.explain.weight import as_target

    loss_fn = losses.get(loss)
    xs = graph_point(model, x)[0] if is_graph(model) else one_point(model, x)
    with explain.trace(model) as t:
        out = model(xs.astype(model.parameters()[0].dtype))
        loss_fn(out, as_target(loss_fn, target, out.shape)).backward()
    model.zero_grad()
    print(t.render(fmt))
