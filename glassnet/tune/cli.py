"""``glassnet tune``: random search over an MLP's hyperparameters from the command line.

    glassnet tune --dataset hourly-wages --trials 20 \\
        --space lr=loguniform:1e-4:1e-1 --space layers=choice:32|64,32

Tunable names: ``lr``, ``layers`` (hidden sizes, ``64,32``), ``activation``, ``optimizer``
and ``weight_decay``. The data set is split 80/20 (train/test, as ``glassnet train``); the
search scores each trial on ``--validation-split`` of the training rows, and the best model
is finally scored once on the untouched test rows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    import argparse

    from glassnet.training.model import Model


__all__ = ["MLPBuild", "add_tune_parser", "run_tune", "TUNABLE"]

TUNABLE = ("lr", "layers", "activation", "optimizer", "weight_decay")
DEFAULT_SPACE = ("lr=loguniform:1e-4:1e-1", "layers=choice:16|32,16|64,32")
EPOCHS = {"mnist": 2, "hourly-wages": 100}


@dataclass(frozen=True)
class MLPBuild:
    """A picklable ``build(params, seed)`` for an MLP: Dense layers with a linear output.

    Missing params take these defaults: ``layers`` (32, 16), ``activation`` "relu",
    ``optimizer`` "adam" with its default ``lr``, no weight decay.
    """

    features: int
    outputs: int
    loss: str
    metrics: tuple[str, ...]

    def __call__(self, params: dict, seed: int) -> Model:
        from glassnet import optim
        from glassnet.training import recipes

        layers = params.get("layers", (32, 16))
        hidden = [layers] if isinstance(layers, int) else list(layers)
        model = recipes.build_mlp(
            self.features, hidden, self.outputs, params.get("activation", "relu"), seed
        )
        settings = {key: params[key] for key in ("lr", "weight_decay") if key in params}
        optimizer = optim.get(params.get("optimizer", "adam"), **settings)
        return model.compile(optimizer, self.loss, metrics=list(self.metrics))


def add_tune_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tune",
        help="random search over an MLP's hyperparameters (locally or on a Dask cluster)",
        description="Train one MLP per sampled configuration, show a progress bar, and "
        "print the trials ranked by their best validation score.",
    )
    p.add_argument("--dataset", default="hourly-wages", help="as for train (default hourly-wages)")
    p.add_argument("--target", help="the column to predict when --dataset is a CSV file")
    p.add_argument("--trials", type=int, default=20, help="number of configurations (20)")
    p.add_argument(
        "--space",
        action="append",
        metavar="NAME=DIST",
        help="e.g. lr=loguniform:1e-4:1e-1, layers=choice:32|64,32, activation=choice:relu|tanh"
        ", weight_decay=uniform:0:0.01 (repeat the flag; default: "
        + " ".join(DEFAULT_SPACE).replace("%", "%%")
        + ")",
    )
    p.add_argument("--epochs", type=int, help="epochs per trial (default per data set)")
    p.add_argument("--batch-size", type=int, default=64, help="rows per update (default 64)")
    p.add_argument("--validation-split", type=float, default=0.2, help="held-out fraction")
    p.add_argument("--monitor", default="val_loss", help="the value to rank by (val_loss)")
    p.add_argument("--mode", default="min", choices=("min", "max"))
    p.add_argument("--seed", type=int, default=0, help="master seed of the search")
    p.add_argument("--limit", type=int, help="use the first LIMIT training rows only")
    p.add_argument(
        "--executor",
        default="none",
        help="none (in process), processes (local pool) or a Dask scheduler address "
        "such as tcp://10.0.0.5:8786 (needs pip install glassnet[cluster])",
    )
    p.add_argument("--log", help="JSON-lines log of finished trials (with --resume: continue)")
    p.add_argument("--resume", action="store_true", help="skip the trials already in --log")
    p.add_argument("--csv", help="also write the ranked trials to this CSV file")
    p.set_defaults(run=run_tune)


def _space(items):
    from glassnet.tune.distributions import parse_space

    space = parse_space(items or DEFAULT_SPACE)
    unknown = sorted(set(space) - set(TUNABLE))
    if unknown:
        raise ConfigError(
            message(
                "tune",
                "--space names a hyperparameter the MLP does not have",
                ", ".join(unknown),
                "one of " + ", ".join(TUNABLE),
            )
        )
    return space


@contextlib.contextmanager
def _executor(text: str):
    """None, "processes", or the executor of a Dask client that is closed afterwards."""
    if text in ("none", "processes"):
        yield None if text == "none" else text
        return
    if "://" not in text:
        raise ConfigError(
            message(
                "tune",
                "unknown --executor",
                repr(text),
                "none, processes or a Dask scheduler address like tcp://host:8786",
            )
        )
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            message(
                "tune",
                "a Dask scheduler address needs the dask distributed package",
                text,
                hint="pip install 'glassnet[cluster]'",
            )
        ) from None
    with distributed.Client(text) as client:
        yield client.get_executor()


def run_tune(args: argparse.Namespace) -> int:
    """``glassnet tune``: search, print the ranked trials and the best model's test scores."""
    from glassnet.training import recipes
    from glassnet.tune.search import random_search

    space = _space(args.space)
    data = recipes.load_dataset(args.dataset, args.target, seed=args.seed, limit=args.limit)
    build = _mlp_build(data)
    epochs = args.epochs if args.epochs is not None else EPOCHS.get(args.dataset, 50)
    print(f"glassnet tune: {data.name}, {len(data.x_train)} rows, {args.trials} trials")
    with (
        _executor(args.executor) as executor,
        _ProgressBar(args.trials, args.monitor, args.mode) as progress,
    ):
        result = random_search(
            build,
            space,
            args.trials,
            data.x_train,
            data.y_train,
            validation_split=args.validation_split,
            epochs=epochs,
            batch_size=args.batch_size,
            monitor=args.monitor,
            mode=args.mode,
            seed=args.seed,
            executor=executor,
            log_path=args.log,
            resume=args.resume,
            on_trial=progress.update,
        )
    _report(result, data, args.csv)
    return 0


def _mlp_build(data) -> MLPBuild:
    """The MLP for a data set: cross-entropy and accuracy for classes, else MSE and MAE."""
    classes = data.classes is not None
    return MLPBuild(
        data.features,
        data.outputs,
        "cross_entropy" if classes else "mse",
        ("accuracy",) if classes else ("mae",),
    )


def _report(result, data, csv_path) -> None:
    """Print the ranked trials and the best model's scores on the test rows; write the CSV."""
    print(result.table())
    scores = result.best_model.evaluate(data.x_test, data.y_test)
    shown = ", ".join(f"{key} {value:.4f}" for key, value in scores.items())
    print(f"Best params: {result.best_params}\nBest model on the test rows: {shown}")
    if csv_path:
        print(f"Wrote {result.to_csv(csv_path)}")


class _ProgressBar:
    """A rich progress bar over trials; its text shows the best monitored value so far."""

    def __init__(self, total: int, monitor: str, mode: str):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.monitor, self.sign, self.best = monitor, 1.0 if mode == "min" else -1.0, None
        self.bar = Progress(
            TextColumn("trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[best]}"),
        )
        self.task = self.bar.add_task("trials", total=total, best="")

    def update(self, record: dict) -> None:
        value = record["best"] if record["status"] == "ok" else None
        if value is not None and (self.best is None or self.sign * value < self.sign * self.best):
            self.best = value
        best = "" if self.best is None else f"best {self.monitor} {self.best:.4g}"
        self.bar.update(self.task, advance=1, best=best)

    def __enter__(self) -> _ProgressBar:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()
