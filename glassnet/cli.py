"""The ``glassnet`` command: ``glassnet train``, ``evaluate``, ``predict``, ``summary``, ...

Each subcommand is one function ``add_<name>_parser(subparsers)`` that adds its parser
and sets ``run=<function(args) -> exit code>``; ``SUBCOMMANDS`` lists them in the order
``glassnet --help`` shows them. Adding a subcommand is writing such a function (in its own
module, imported lazily in ``run`` so ``glassnet --help`` stays fast) and adding it to the
tuple. Errors glassnet raises on purpose are printed as one message with exit code 2;
anything else as one line that names it a bug (exit code 1); ``--debug`` adds the
traceback (:mod:`glassnet.cli_errors`).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import warnings
from pathlib import Path

from glassnet import activations
from glassnet._files import write_text
from glassnet.explain.cli import add_explain_parser
from glassnet.onnx.cli import add_export_parser
from glassnet.playground.cli import add_playground_parser
from glassnet.plot.cli import add_plot_parser
from glassnet.tune.cli import add_tune_parser

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

DEFAULTS = {  # per data set: hidden layers and epochs when the flags are not given
    "mnist": ("256", 5),
    "hourly-wages": ("32,16", 200),
}
TABULAR_DEFAULTS = ("16,16", 100)
DEBUG_HELP = "on an error, also print the Python traceback (for bug reports)"


# ---- train --------------------------------------------------------------------------------
def add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train an MLP (default: MNIST 784-256-10, about 97.9%% test accuracy in 5 epochs)",
        description="Train a multilayer perceptron, print its test score, and save the model "
        "(model.gn) and its learning curves (history.png) into --out.",
    )
    p.add_argument(
        "--dataset",
        default="mnist",
        help="mnist, hourly-wages, circles, xor, gaussians, spiral, or a CSV file (+ --target)",
    )
    p.add_argument("--target", help="the column to predict when --dataset is a CSV file")
    p.add_argument("--layers", help="hidden layer sizes, e.g. 128,64 (default per data set)")
    p.add_argument("--activation", default="relu", help=", ".join(activations.names()))
    p.add_argument("--loss", help="default: cross_entropy for classes, mse for numbers")
    p.add_argument("--optimizer", default="adam", help="sgd, adam, adamw, rmsprop, adagrad")
    p.add_argument("--lr", type=float, help="learning rate (default: the optimizer's)")
    p.add_argument("--batch-size", type=int, default=64, help="rows per update (default 64)")
    p.add_argument("--epochs", type=int, help="passes over the training set")
    p.add_argument("--validation-split", type=float, default=0.0, help="fraction held out")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, split and shuffling")
    p.add_argument("--limit", type=int, help="train on the first LIMIT rows only")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    p.add_argument("--out", help="output folder (default runs/<timestamp>/)")
    p.add_argument(
        "--distributed",
        action="store_true",
        help="under mpirun: every rank trains on its share of each batch (--batch-size is "
        "per rank); rank 0 prints and saves",
    )
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from glassnet import plot
    from glassnet.training import recipes
    from glassnet.training.preprocessing import Preprocessing

    _check_train_flags(args)
    worker = args.distributed and _join_mpi_job()
    hidden_default, epochs_default = DEFAULTS.get(args.dataset, TABULAR_DEFAULTS)
    hidden = _sizes(args.layers or hidden_default)
    out = _output_folder(args.out)
    data = recipes.load_dataset(args.dataset, args.target, seed=args.seed, limit=args.limit)
    model = _compiled_mlp(args, data, hidden)
    history = _fit(model, data, args, epochs_default)
    if worker:  # ranks other than 0 trained their shares; rank 0 reports and saves
        return 0
    plot.history(history, out / "history.png", title=f"glassnet train: {data.name}")
    if history.diverged:
        print(f"{history.diverged}\nSaved {out / 'history.png'}; no model (it diverged).")
        return 1
    scores = model.evaluate(data.x_test, data.y_test)
    if data.classes:
        print(f"Test accuracy: {scores['accuracy']:.2%} (loss {scores['loss']:.4f})")
    else:
        print(f"Test MAE: {scores['mae']:.4f} (loss {scores['loss']:.4f})")
    model.preprocessing = Preprocessing.from_dict(data.preprocess)  # raw rows in, from now on
    model.save(out / "model.gn")
    print(f"Saved {out / 'model.gn'} and {out / 'history.png'}")
    return 0


def _join_mpi_job() -> bool:
    """``gn.distributed.init()``; True on ranks other than 0, whose prints are discarded."""
    import os

    from glassnet import distributed

    distributed.init()
    if distributed.rank() == 0:
        return False
    sys.stdout = open(os.devnull, "w")  # for the rest of this process
    return True


def _check_train_flags(args) -> None:
    """The counts among train's flags, checked before any data is loaded."""
    from glassnet._validate import int_at_least

    for flag, value, low in (
        ("--epochs", args.epochs, 1),
        ("--batch-size", args.batch_size, 1),
        ("--limit", args.limit, 1),
        ("--seed", args.seed, 0),
    ):
        if value is not None:
            int_at_least("train", flag, value, low)


def _output_folder(text: str | None) -> Path:
    """The --out folder, created now: a name taken by a file fails before training."""
    from glassnet.errors import ConfigError, message

    out = Path(text or Path("runs") / datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if out.exists() and not out.is_dir():
        raise ConfigError(
            message(
                "train",
                "--out must name a folder",
                f"{str(out)!r}, an existing file",
                "a new or existing folder",
                "train writes model.gn and history.png into --out: pick another name",
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _compiled_mlp(args, data, hidden: list[int]):
    from glassnet import optim
    from glassnet.training import recipes

    model = recipes.build_mlp(data.features, hidden, data.outputs, args.activation, args.seed)
    optimizer = optim.get(args.optimizer, **({} if args.lr is None else {"lr": args.lr}))
    loss = args.loss or ("cross_entropy" if data.classes else "mse")
    model.compile(optimizer, loss, metrics=["accuracy"] if data.classes else ["mae"])
    shape = "-".join(map(str, [data.features, *hidden, data.outputs]))
    print(f"glassnet train: {data.name}, {len(data.x_train)} rows, MLP {shape}, {optimizer!r}")
    return model


def _fit(model, data, args, epochs_default: int):
    from glassnet.training.callbacks import DivergenceWarning

    with warnings.catch_warnings():  # run_train prints the explanation as plain text
        warnings.simplefilter("ignore", DivergenceWarning)
        return model.fit(
            data.x_train,
            data.y_train,
            epochs=args.epochs if args.epochs is not None else epochs_default,
            batch_size=args.batch_size,
            validation_split=args.validation_split,
            verbose=args.verbose,
            seed=args.seed,
            distributed=args.distributed or None,
        )


def _sizes(text: str) -> list[int]:
    from glassnet.errors import ConfigError, message
    from glassnet.training.recipes import MAX_UNITS

    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = [0]
    if any(s <= 0 for s in sizes):
        raise ConfigError(
            message("train", "--layers must list positive sizes", repr(text), "e.g. 128,64")
        )
    if any(s > MAX_UNITS for s in sizes):
        raise ConfigError(
            message(
                "train",
                f"--layers asks for a layer wider than {MAX_UNITS:,} units",
                repr(text),
                f"sizes from 1 to {MAX_UNITS:,}, e.g. 128,64",
            )
        )
    return sizes


# ---- evaluate, predict, summary -----------------------------------------------------------
def add_evaluate_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score a saved model on a data set's test rows")
    p.add_argument("model", help="a model file written by glassnet train or model.save")
    p.add_argument("--dataset", default="mnist", help="as for train (default mnist)")
    p.add_argument("--target", help="the column to predict when --dataset is a CSV file")
    p.add_argument("--seed", type=int, default=0, help="the split seed used for training")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from glassnet.training import load_model, recipes

    model = load_model(args.model)
    model.preprocessing = None  # the data set's rows below are prepared already
    data = recipes.load_dataset(args.dataset, args.target, seed=args.seed)
    for key, value in model.evaluate(data.x_test, data.y_test).items():
        print(f"{key}: {value:.4f}")
    return 0


def add_predict_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("predict", help="predict for the rows of a CSV file")
    p.add_argument("model", help="a model file written by glassnet train or model.save")
    p.add_argument("input", help="CSV with a header row and one column per input feature")
    p.add_argument(
        "--preprocess",
        help="a preprocess.json to use instead of the preprocessing saved in the model "
        "(models saved before glassnet 0.2 have it beside them, where it is found by default)",
    )
    p.add_argument("--output", help="write the predictions here instead of to stdout")
    p.set_defaults(run=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from glassnet import data
    from glassnet.training import load_model
    from glassnet.training.preprocessing import Preprocessing

    model = load_model(args.model)
    side_file = Path(args.preprocess or Path(args.model).with_name("preprocess.json"))
    if args.preprocess or (model.preprocessing is None and side_file.is_file()):
        model.preprocessing = Preprocessing.read(side_file)
    features = model.preprocessing and model.preprocessing.features
    x, _, _ = data.load_csv(args.input, target=None, features=features)
    output = model.predict(x)  # applies model.preprocessing to the raw rows
    if output.ndim == 2 and output.shape[1] > 1:
        lines = ["prediction", *map(str, output.argmax(axis=1))]
    else:
        lines = ["prediction", *(f"{v:.6g}" for v in output.reshape(-1))]
    text = "\n".join(lines) + "\n"
    if args.output:
        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def add_summary_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("summary", help="print a saved model's layers and settings")
    p.add_argument("model", help="a model file written by glassnet train or model.save")
    p.set_defaults(run=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    from glassnet.training import load_model

    model = load_model(args.model)
    model.summary()
    if model.preprocessing is not None:
        print(f"Preprocessing (applied by predict): {model.preprocessing!r}")
    if model.loss is not None:
        metrics = ", ".join(m.name for m in model.metrics) or "none"
        print(f"Optimizer: {model.optimizer!r}\nLoss: {model.loss!r}\nMetrics: {metrics}")
    return 0


# ---- entry point --------------------------------------------------------------------------
SUBCOMMANDS = (
    add_train_parser,
    add_evaluate_parser,
    add_predict_parser,
    add_summary_parser,
    add_explain_parser,
    add_plot_parser,
    add_tune_parser,
    add_playground_parser,
    add_export_parser,
)


def build_parser() -> argparse.ArgumentParser:
    from glassnet import __version__

    parser = argparse.ArgumentParser(
        prog="glassnet", description="Deep learning from first principles you can see through."
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subparsers)
    for sub in subparsers.choices.values():  # also accepted after the subcommand
        sub.add_argument("--debug", dest="debug_here", action="store_true", help=DEBUG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 training diverged or a bug in
    glassnet, 2 an error in the input). Errors print as one message, never a traceback
    unless --debug asks for it (see :mod:`glassnet.cli_errors`). A bare ``glassnet``
    prints the help (exit 0) instead of a usage error."""
    from glassnet import cli_errors

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    try:
        with cli_errors.one_line_warnings(args.command):
            return args.run(args)
    except BaseException as exc:  # every outcome is reported, KeyboardInterrupt included
        return cli_errors.report(exc, args.command, cli_errors.debug_requested(args))


if __name__ == "__main__":
    sys.exit(main())
