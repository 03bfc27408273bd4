"""Model: the Keras-style training API (compile, fit, evaluate, predict, summary, save).

``Model`` is a Module with a training loop. ``gn.Sequential([...])`` is the layer stack of
:class:`glassnet.nn.Sequential` plus this API; subclass ``Model`` and write ``forward``
for anything else.

Training is gradient descent on the loss L over the training set, one batch at a time::

    for each epoch:            shuffle the rows (seeded)
        for each batch B:      a = model(x_B)             forward pass, graph recorded
                               L = loss(a, y_B)           the batch's mean cost
                               dL/dw for every w          backward pass (autograd)
                               w ← optimizer(w, dL/dw)    e.g. w − lr · dL/dw

``batch_size=None`` makes B the whole set (gradient descent), ``1`` one sample
(stochastic gradient descent), ``k`` a mini-batch: one update rule, three batch sizes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet import nn, optim
from glassnet._fastpath import keep_freed_memory
from glassnet.captured import step_if_finite
from glassnet.errors import ConfigError, message
from glassnet.nn.module import Module
from glassnet.notebook import print_once
from glassnet.tensor import rng_from
from glassnet.training import epochs as epochs_lib
from glassnet.training import fit_setup as setup
from glassnet.training import habits, inference, parallel, weights_io
from glassnet.training import io as model_io
from glassnet.training import metrics as metrics_lib
from glassnet.training import sample_weights as row_weights
from glassnet.training.callbacks import CallbackList, NaNGuard
from glassnet.training.history import History
from glassnet.training.progress import ProgressBar
from glassnet.training.summary import summary_html, summary_table

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.monitor import Callback
    from glassnet.optim import Optimizer
    from glassnet.tensor import Tensor
    from glassnet.training.batches import EpochRun

    #: what compile takes as metrics: one name or callable, or several
    Metrics = str | Callable[..., float] | Iterable[str | Callable[..., float]]

__all__ = ["Model", "Sequential"]


class Model(Module):
    """A Module that can be compiled, trained, evaluated, saved and summarised.

    Attributes set by :meth:`compile`: ``optimizer``, ``loss``, ``metrics``. ``history``
    is the last :class:`History`; ``stop_training`` is how callbacks end ``fit``.
    ``preprocessing`` (None, or a :class:`~glassnet.training.preprocessing.Preprocessing`
    that ``glassnet train`` sets and ``save`` keeps) is applied by ``predict`` and
    ``evaluate`` to raw rows; ``fit`` and calling the model take prepared inputs.
    """

    optimizer = None
    loss = None
    metrics: tuple = ()
    history = None
    stop_training = False
    input_shape = None
    preprocessing = None
    _distributed = None  # [distributed] the running distributed fit's Session, else None

    def __new__(cls, *args, **kwargs):
        """``gn.Model(inputs, outputs)`` builds a functional model (a graph of layers, see
        :mod:`glassnet.training.functional`); ``Model()`` and subclasses are built as usual."""
        if cls is Model and (args or kwargs):
            return object.__new__(Model.graph_class)
        return object.__new__(cls)

    graph = False  # True for functional models (saved as a replay plan and their layers)
    graph_class: type | None = None  # what gn.Model(inputs, outputs) builds: set by functional
    _captured: dict = {}  # set by compile: the captured train and predict steps

    # ---- configuration ------------------------------------------------------------------
    def compile(
        self,
        optimizer: str | type[Optimizer] | Optimizer = "adam",
        loss: str | Loss | Callable[..., Tensor] | None = None,
        metrics: Metrics = (),
        capture: bool = True,
    ) -> Model:
        """Choose how to train: the optimizer, the loss, and the metrics to report.

        ``optimizer``: a name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``,
        ``"adagrad"``, default settings) or an optimizer, bound here to this model's
        parameters. ``loss``: a name (for cross-entropy, ``from_logits`` follows the last
        layer: probabilities after Softmax/Sigmoid; a Loss taking logits there is an error)
        or (``"mse"``, ``"quadratic"``, ``"mae"``,
        ``"binary_cross_entropy"``, ``"cross_entropy"``, or Keras's spellings), a Loss, or a
        callable
        ``(prediction, target) -> scalar Tensor``. ``metrics``: names or callables (a
        single one may be given without a list). ``capture``: replay recorded steps in
        fit, predict and evaluate when it is safe (see :mod:`glassnet.captured`); False
        runs every step eagerly.
        """
        if loss is None:
            raise ConfigError(
                message(
                    "compile",
                    "a loss is required",
                    "loss=None",
                    "a name or Loss",
                    "e.g. loss='cross_entropy' for classes, loss='mse' for numbers",
                )
            )
        self.loss = habits.loss_for(self, loss)
        row_weights.check_reduction(self.loss)
        self.optimizer = setup.bound_optimizer(self, optim.get(optimizer))
        self.metrics = metrics_lib.get_all(metrics, threshold=self.accuracy_threshold())
        self._use_capture(capture)
        return self

    def accuracy_threshold(self) -> float:
        """The cut between the two classes of a binary output: 0 for logits, else 0.5."""
        binary = str(getattr(self.loss, "name", "")).startswith("binary")
        return 0.0 if binary and getattr(self.loss, "from_logits", False) else 0.5

    def _require_compiled(self, where: str) -> None:
        if self.loss is None:
            raise ConfigError(
                message(
                    where,
                    "the model is not compiled",
                    hint="call model.compile(optimizer='adam', loss='cross_entropy', "
                    "metrics=['accuracy']) first",
                )
            )

    @property
    def dtype(self) -> np.dtype:
        """The float dtype of the parameters (inputs are converted to it)."""
        params = self.parameters()
        return params[0].dtype if params else np.dtype(np.float32)

    # ---- training -----------------------------------------------------------------------
    @keep_freed_memory()  # large freed arrays stay in the process while fit trains
    def fit(
        self,
        x: ArrayLike | Iterable,
        y: ArrayLike | None = None,
        epochs: int = 1,
        batch_size: int | None = 32,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        callbacks: Iterable[Callback] = (),
        verbose: int = 1,
        seed: int | np.random.Generator | None = None,
        distributed: bool | None = None,
        class_weight: dict | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> History:
        """Train for ``epochs`` passes over (x, y); return the :class:`History`.

        ``fit(loader)`` (y omitted) trains on a DataLoader or any re-iterable of (x, y)
        batches, with its own batching and shuffling; ``validation_data`` may be one too.

        ``batch_size``: None = full batch, 1 = SGD, k = mini-batches of k rows (the last
        may be smaller). ``validation_split`` holds out the last fraction of the rows;
        ``validation_data=(x_val, y_val)`` gives them explicitly; either adds ``val_*``
        entries. ``seed`` (int or Generator) fixes every random choice of this call:
        the shuffling and the masks of every Dropout layer, so the same seed on the same
        starting weights gives the same History bit for bit. The Dropout layers draw from
        streams derived from the seed during this call only: afterwards each has its own
        generator back, in the state it had before (without a seed, they use and advance
        their own). ``callbacks``: Callback objects (see
        :mod:`glassnet.training.callbacks`); a NaN guard is always added.
        ``verbose``: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        ``distributed``: train across the ranks of an MPI job (None: when
        ``gn.distributed.init()`` ran under mpirun); see :mod:`glassnet.distributed`.
        ``sample_weight`` (one weight per row of x) and ``class_weight`` ({class: weight})
        weigh each row's loss, as in Keras: L = (1/m) Σᵢ wᵢ ℓᵢ over a batch of m rows
        (see :mod:`glassnet.training.sample_weights`); arrays only, in one process.
        """
        batches, validation = setup.fit_batches(
            self, x, y, epochs, batch_size, validation_split, validation_data, verbose
        )
        session = parallel.session(self, distributed, seed)  # [distributed] None when alone
        habits.check_loader_alone(session, batches)  # [distributed] arrays only
        seed = session.seed if session else seed  # [distributed] one seed on every rank
        if sample_weight is not None or class_weight is not None:
            setup.weigh_rows(self, batches, session, x, y, sample_weight, class_weight)
        rng, n, size = rng_from(seed), batches.samples, getattr(batches, "size", None)
        steps = session.steps(n, size) if session else batches.steps  # [distributed]
        history, guard = History(), NaNGuard()
        run = dict(epochs=epochs, steps=steps, samples=n, batch_size=size, verbose=verbose)
        hooks = [guard, *callbacks, ProgressBar(verbose), history]
        hooks = session.callbacks(hooks) if session else hooks  # [distributed] rank 0 writes
        hooks = CallbackList(hooks, self, run)
        self.history, self.stop_training = history, False
        self.input_shape = batches.first().shape[1:]
        with setup.random_streams(self, rng if seed is not None else None):
            hooks.on_train_begin()
            for epoch in range(epochs):
                hooks.on_epoch_begin(epoch)
                self.train()
                order = rng.permutation(n) if shuffle and size else None  # a loader shuffles
                if session is not None:  # [distributed] this rank's share of each batch
                    x, y = batches.x, batches.y
                    logs, seen = session.train_epoch(x, y, order, size, hooks, validation)
                else:
                    quick = type(self).train_step is Model.train_step and epochs_lib.quick(
                        self, batches, hooks
                    )  # nothing to do per batch: the loop is the step alone
                    run_epoch = epochs_lib.quick_epoch if quick else epochs_lib.plain_epoch
                    epoch_run = run_epoch(self, batches, order, hooks)
                    logs, seen = self._epoch_logs(epoch_run, validation), epoch_run.seen
                hooks.on_epoch_end(epoch, logs)
                if self.stop_training:
                    history.stopped_early = epoch + 1 < epochs or seen < (n or seen)
                    break
            history.diverged = guard.message
            hooks.on_train_end()
        return history

    def train_step(
        self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """One update on one batch: forward, loss, backward, optimizer step.

        ``w``: the rows' weights (the loss is then (1/m) Σᵢ wᵢ ℓᵢ), or None.

        Returns the batch loss and the outputs. A non-finite loss skips the update (the
        NaN guard then stops training): a NaN or infinite loss never moves the weights.
        """
        whole = w is None and self._distributed is None  # the update is part of the step
        if whole:
            step, args = self._captured.get("train") or self._fused_step, (x, y)
        elif w is None:
            step, args = self._captured.get("gradients") or self._loss_and_gradients, (x, y)
        else:
            step = self._captured.get("weighted") or self._weighted_loss_and_gradients
            args = (x, y, w)
        with np.errstate(over="ignore", invalid="ignore"):  # the NaN guard explains instead
            loss, output = step(*args)
        value = float(loss.item())
        if whole:
            return value, output
        if self._distributed is not None:  # [distributed] one Allreduce: global grads and loss
            value = self._distributed.reduce(value, len(x))
        if math.isfinite(value):
            self.optimizer.step()
        return value, output

    def _fused_step(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """Forward, loss, backward and, for a finite loss, the update: fit's whole step,
        captured as one program (the update written out in it)."""
        loss, output = self._loss_and_gradients(x, y)
        step_if_finite(loss, self.optimizer.step)
        return loss, output

    def _loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """Forward, loss and backward: the step less its update (captured as such where the
        gradients are reduced across processes before the update)."""
        self.optimizer.zero_grad()  # the bound parameters: every trainable one
        output = self(x)
        loss = self.loss(output, y)
        loss.backward()
        return loss.data, output.data

    def _weighted_loss_and_gradients(self, x: np.ndarray, y: np.ndarray, w: np.ndarray):
        """As :meth:`_loss_and_gradients` with the rows weighted (captured with w an argument)."""
        self.optimizer.zero_grad()
        output = self(x)
        loss = row_weights.weighted_loss(row_weights.per_row_loss(self.loss), output, y, w)
        loss.backward()
        return loss.data, output.data

    def _outputs(self, x: np.ndarray) -> np.ndarray:
        return self(x).data

    def _use_capture(self, enabled: bool) -> None:
        """Captured train and predict steps (one recording each per batch shape)."""
        from glassnet.captured import CapturedStep

        if not isinstance(enabled, bool):
            raise ConfigError(
                message("compile", "capture must be True or False", repr(enabled), "a bool")
            )
        self._captured = {
            "train": CapturedStep(self._fused_step, enabled),
            "gradients": CapturedStep(self._loss_and_gradients, enabled),
            "weighted": CapturedStep(self._weighted_loss_and_gradients, enabled),
            "predict": CapturedStep(self._outputs, enabled),
        }

    def _scores(self, y: np.ndarray, output: np.ndarray) -> dict[str, float]:
        return inference.scores(self, y, output)

    def _epoch_logs(self, run: EpochRun, validation: tuple | None) -> dict:
        return inference.epoch_logs(self, run, validation)

    # ---- inference (see glassnet.training.inference) ------------------------------------
    def predict(self, x: ArrayLike, batch_size: int = 1024, verbose: int = 0) -> np.ndarray:
        """The outputs for x as an array, computed in batches in eval mode with no graph.

        Works before ``compile``. Dropout is off; the previous mode is restored after.
        A model with ``preprocessing`` applies it to x first (x holds raw rows).
        ``verbose=1`` prints one line: rows, batches and seconds.
        """
        return inference.predict(self, x, batch_size, verbose)

    def evaluate(self, x: ArrayLike, y: ArrayLike, batch_size: int = 1024) -> dict[str, float]:
        """``{"loss": ..., <metric>: ...}`` over all of (x, y), in eval mode."""
        return inference.evaluate(self, x, y, batch_size)

    # ---- inspection and freezing --------------------------------------------------------
    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers: name, output shape, parameter count, trainable; then totals.

        Output shapes come from one forward pass on zeros of ``input_shape`` (without the
        batch axis); by default the shape the model was last trained on, or the first
        Dense layer's input size. Prints the table (as Keras does) and returns its text.
        """
        return print_once(summary_table(self, input_shape or self.input_shape))

    def freeze(self, up_to: int | None = None) -> Model:
        """Freeze the first ``up_to`` child layers (all when None; negative counts from the end).

        Frozen parameters get no gradient and no update: the usual way to keep pretrained
        layers fixed while the last ones learn. ``unfreeze()`` undoes it.
        """
        children = list(self.children())
        if up_to is not None and (not isinstance(up_to, int) or abs(up_to) > len(children)):
            raise ConfigError(
                message(
                    "freeze",
                    "up_to must be a layer count",
                    repr(up_to),
                    f"an int from {-len(children)} to {len(children)}, or None",
                )
            )
        for child in children[:up_to]:
            child.trainable = False
        return self

    def unfreeze(self) -> Model:
        """Make every parameter trainable again."""
        self.trainable = True
        return self

    # ---- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the model to one file (see :func:`glassnet.training.io.save_model`).

        In an MPI job (after ``gn.distributed.init()``) only rank 0 writes; the weights are
        the same on every rank.
        """
        if parallel.rank() != 0:  # [distributed] in an MPI job only rank 0 writes the file
            return
        model_io.save_model(self, path)

    def _repr_html_(self) -> str:  # Jupyter: the summary table
        return summary_html(self)

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights alone: ``.safetensors`` or ``.npz`` (see training.weights_io)."""
        weights_io.save_weights(self, path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Read weights written by ``save_weights``, checked name by name and shape by shape."""
        weights_io.load_weights(self, path)


class Sequential(nn.Sequential, Model):
    """Layers applied in order, with the training API: ``gn.Sequential([Dense(...), ...])``
    or ``gn.Sequential(layer1, layer2, ...)``.

    When the first layer was given ``input_shape=`` (Keras form), every layer is built here,
    by one forward pass on a zero sample.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__(*layers)
        shape = getattr(self.layers[0], "sample_shape", None) if self.layers else None
        if shape is not None:
            habits.build(self, np.zeros((1, *shape), self.dtype))


model_io.register_layer(Sequential)  # a saved Sequential rebuilds through io's registry
