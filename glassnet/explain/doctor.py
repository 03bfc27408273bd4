"""The training doctor: plain-language diagnoses of a training run, each with the numbers
it measured and one fix.

``gn.doctor(history=..., model=..., x=..., y=...)`` reads whatever it is given:

- from the loss curves (history): learning rate too high (diverged as
  :mod:`glassnet.training.divergence` defines it, rising or oscillating),
  learning rate too low (barely moving), overfitting onset (validation loss rising while
  the training loss falls; the epoch is named), underfitting (with y: the training loss
  stuck near that of the best constant prediction);
- from the inputs x: unscaled features (a feature spanning more than 10 units next to one
  whose range is 10× or more smaller, as age in years beside a 0/1 flag; or any |x| ≥ 100,
  as raw 0–255 pixels);
- from the model run on x: dead units (a ReLU never active) and saturated units (a
  sigmoid/tanh slope below 0.01 on most inputs); which activations can die or saturate is
  each one's ``stalls`` in :mod:`glassnet.activations`;
- from the model and its loss: a mismatched output/loss pair, from what the loss says it
  takes (values, probabilities or logits) and which activation it applies itself.

The loss's own :meth:`~glassnet.losses.Loss.constant_baseline` is the yardstick of
underfitting.

The :class:`Doctor` callback runs the same checks when ``fit`` ends. Epochs are counted
from 1 in the messages, as ``fit``'s progress bar counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, losses, nn
from glassnet._config import no_grad
from glassnet.explain.forward import evaluation_mode
from glassnet.explain.layers import layers_of
from glassnet.explain.render import Document, Rendered, num
from glassnet.training.callbacks import Callback
from glassnet.training.divergence import divergence

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.training.history import History
    from glassnet.training.model import Model


__all__ = ["doctor", "Doctor", "Diagnosis", "DoctorReport", "overfitting_onset"]

SLOPE_FLOOR = 0.01  # a unit of a saturating activation with a smaller slope is saturated
LIMITS = {
    "dead": 0.5,
    "saturated": 0.5,
    "range_ratio": 10.0,
    "wide_range": 10.0,
    "magnitude": 100.0,
}


@dataclass
class Diagnosis:
    """One finding: ``kind`` (e.g. "lr_too_high"), the ``finding`` in words with its numbers,
    the measured ``numbers`` and one suggested ``fix``."""

    kind: str
    finding: str
    fix: str
    numbers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind}: {self.finding}\n  fix: {self.fix}"


class DoctorReport(Rendered):
    """The diagnoses of one run (empty when nothing looks wrong); iterate it or read ``kinds``."""

    def __init__(self, diagnoses: list[Diagnosis], checked: list[str]) -> None:
        self.diagnoses, self.checked = diagnoses, checked

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.diagnoses]

    def __iter__(self):
        return iter(self.diagnoses)

    def __len__(self) -> int:
        return len(self.diagnoses)

    def __getitem__(self, kind: str) -> Diagnosis:
        return next(d for d in self.diagnoses if d.kind == kind)

    @property
    def document(self) -> Document:
        n = len(self.diagnoses)
        doc = Document(f"Training doctor: {n or 'no'} finding{'' if n == 1 else 's'}")
        if not self.diagnoses:
            doc.line("Nothing looks wrong in what was checked.")
        for d in self.diagnoses:
            doc.heading(d.kind.replace("_", " "))
            doc.line(d.finding)
            doc.line(f"fix: {d.fix}")
        checked = ", ".join(self.checked) or "nothing (give history, model, x, y)"
        doc.line(f"\nchecked: {checked}")
        return doc

    def __repr__(self) -> str:
        return f"DoctorReport({self.kinds})"


def doctor(
    history: History | dict | None = None,
    model: Model | None = None,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    loss: str | losses.Loss | None = None,
) -> DoctorReport:
    """Diagnose a training run from any of: ``history`` (a History or a dict of per-epoch
    lists), ``model``, inputs ``x``, targets ``y`` and ``loss`` (default: the model's
    compiled loss). Checks that lack their inputs are skipped; underfitting is judged only
    when the curves show no other problem (a too-high or too-low rate also leaves the loss
    high), and a barely moving loss is put down to dead or saturated units when there are
    such (a larger learning rate would not revive them)."""
    loss = losses.get(loss) if loss is not None else getattr(model, "loss", None)
    curves = _curves(history)
    found: list[Diagnosis | None] = []
    checked: list[str] = []
    if "loss" in curves:
        optimizer = getattr(model, "optimizer", None)
        high = _lr_too_high(curves, history, getattr(optimizer, "lr", None))
        low = None if high else _lr_too_low(curves, optimizer)
        found += [high, low, _overfitting(curves)]
        checked += ["learning rate", "overfitting" if "val_loss" in curves else None]
        baseline = _baseline(loss, y) if not any(found) else None
        if baseline is not None:
            found.append(_underfitting(curves, baseline))
            checked.append("underfitting")
    if x is not None:
        x = np.asarray(x, dtype=np.float64)
        found.append(_unscaled(x))
        checked.append("input scales")
        if model is not None:
            units = [d for d in _units(model, x) if d is not None]
            if units:  # they, not the learning rate, stall the loss
                found = [d for d in found if d is None or d.kind != "lr_too_low"]
            found += units
            checked.append("dead and saturated units")
    if model is not None and loss is not None:
        found.append(_mismatch(model, loss, y))
        checked.append("output layer vs loss")
    return DoctorReport([d for d in found if d is not None], [c for c in checked if c])


class Doctor(Callback):
    """Run :func:`doctor` when ``fit`` ends; the report is kept in ``self.report`` and
    printed when ``verbose``. ``x``/``y`` (e.g. the training data) enable the checks of
    inputs and units."""

    def __init__(
        self, x: ArrayLike | None = None, y: ArrayLike | None = None, verbose: bool = True
    ) -> None:
        self.x, self.y, self.verbose, self.report = x, y, verbose, None

    def on_train_end(self, logs: dict | None = None) -> None:
        self.report = doctor(history=self.model.history, model=self.model, x=self.x, y=self.y)
        if self.verbose:
            print(self.report)


# ---- the loss curves ------------------------------------------------------------------------
def _curves(history) -> dict[str, np.ndarray]:
    if history is None:
        return {}
    table = history.history if hasattr(history, "history") else history
    return {k: np.asarray(v, dtype=np.float64) for k, v in table.items() if len(v)}


def _lr_text(lr) -> str:
    return f" (now lr={num(lr)})" if lr is not None else ""


def _lr_too_high(curves, history, lr) -> Diagnosis | None:
    loss = curves["loss"]
    diverged = getattr(history, "diverged", None)
    fix = f"divide the learning rate by 10{_lr_text(lr)}, or scale the inputs"
    batches = getattr(history, "batch_loss", None)
    found = divergence(loss, batches[0] if batches else None)  # the one definition
    if diverged or found is not None:
        if diverged:  # fit's own words, without its hint (the fix below says it)
            finding = diverged.split("\n")[0].removeprefix("fit: ")
        elif found.rule == "non-finite":
            finding = f"the loss became NaN/inf: {loss.tolist()}"
        else:
            finding = f"training diverged: {found.describe()}"
        return Diagnosis("lr_too_high", finding, fix, {"loss": loss.tolist()})
    if len(loss) >= 2 and loss[-1] > loss[0]:
        return Diagnosis(
            "lr_too_high",
            f"the loss rose from {num(loss[0])} to {num(loss[-1])} over {len(loss)} epochs",
            fix,
            {"first": loss[0], "last": loss[-1]},
        )
    rise = np.diff(loss) / np.maximum(loss[:-1], 1e-12)
    jumps = int(np.sum(rise > 0.1))
    if jumps >= 2:
        return Diagnosis(
            "lr_too_high",
            f"the loss oscillates: it jumped up by more than 10% in {jumps} of {len(rise)} "
            f"epochs (at most +{rise.max():.0%})",
            fix,
            {"jumps": jumps, "epochs": len(loss), "largest_rise": float(rise.max())},
        )
    return None


def _lr_too_low(curves, optimizer) -> Diagnosis | None:
    lr = getattr(optimizer, "lr", None)
    loss = curves["loss"]
    if len(loss) < 3 or loss[0] <= 1e-6:
        return None
    drop = (loss[0] - loss[-1]) / loss[0]
    if drop >= 0.05:
        return None
    return Diagnosis(
        "lr_too_low",
        f"the loss barely moves: {num(loss[0])} → {num(loss[-1])} ({drop:.1%}) "
        f"in {len(loss)} epochs",
        f"multiply the learning rate by 10{_lr_text(lr)}"
        + ("" if type(optimizer).__name__ == "Adam" else ", or use Adam"),
        {"first": loss[0], "last": loss[-1], "relative_drop": drop},
    )


def overfitting_onset(val_loss: ArrayLike, loss: ArrayLike, margin: float = 0.05) -> int | None:
    """The epoch (counted from 1) from which the validation loss rises while the training
    loss keeps falling, or None. The rise must exceed ``margin`` of the best validation loss
    and last at least two epochs."""
    val, train = np.asarray(val_loss, dtype=float), np.asarray(loss, dtype=float)
    if len(val) < 4 or not np.all(np.isfinite(val)):
        return None
    best = int(np.argmin(val))
    if len(val) - 1 - best < 2 or val[-1] <= val[best] * (1 + margin) or train[-1] >= train[best]:
        return None
    return best + 2


def _overfitting(curves) -> Diagnosis | None:
    if "val_loss" not in curves:
        return None
    val, train = curves["val_loss"], curves["loss"]
    onset = overfitting_onset(val, train)
    if onset is None:
        return None
    best = onset - 2
    return Diagnosis(
        "overfitting",
        f"overfitting from epoch {onset}: the validation loss was lowest at epoch {best + 1} "
        f"({num(val[best])}) and rose to {num(val[-1])} while the training loss fell from "
        f"{num(train[best])} to {num(train[-1])}",
        f"stop at epoch {best + 1}: EarlyStopping(monitor='val_loss', patience=2, "
        "restore_best_weights=True); more data or Dropout also help",
        {
            "onset_epoch": onset,
            "best_epoch": best + 1,
            "best_val_loss": val[best],
            "last_val_loss": val[-1],
        },
    )


def _baseline(loss, y) -> float | None:
    """The loss of the best constant prediction for targets ``y`` (the loss's own
    ``constant_baseline``), or None without y or when the loss does not know it."""
    method = getattr(loss, "constant_baseline", None)
    return None if y is None or method is None else method(np.asarray(y))


def _underfitting(curves, baseline: float) -> Diagnosis | None:
    """The training loss settled at half or more of ``baseline``, the loss of the best
    constant prediction (the mean, the median or the class frequencies): a model that
    cannot beat it has learned nothing about x."""
    train = curves["loss"]
    recent = (train[-3] - train[-1]) / max(train[-3], 1e-12) if len(train) >= 3 else 1.0
    if baseline <= 0 or train[-1] < 0.5 * baseline or recent > 0.02:
        return None
    return Diagnosis(
        "underfitting",
        f"the training loss settled at {num(train[-1])}, {train[-1] / baseline:.0%} of the "
        f"{num(baseline)} a constant prediction gets",
        "give the model more capacity (more units or layers, a nonlinear activation) or "
        "train longer",
        {"loss": train[-1], "baseline": baseline, "recent_relative_drop": recent},
    )


# ---- the inputs and the units ---------------------------------------------------------------
def _unscaled(x: np.ndarray) -> Diagnosis | None:
    """Ranges (max − min per feature) that differ 10× or more while the widest exceeds 10,
    or values of 100 and more. Already-scaled data passes: min-max scaled features span at
    most 1 (a rarely-inked border pixel may span 0.01 of MNIST's 1), standardised ones a few
    units."""
    flat = x.reshape(len(x), -1)
    spread = flat.max(axis=0) - flat.min(axis=0)
    live = spread[spread > 0]
    if live.size == 0:
        return None
    ratio, biggest = float(live.max() / live.min()), float(np.abs(flat).max())
    uneven = ratio >= LIMITS["range_ratio"] and live.max() > LIMITS["wide_range"]
    if not uneven and biggest < LIMITS["magnitude"]:
        return None
    return Diagnosis(
        "unscaled_inputs",
        f"the feature ranges go from {num(live.min())} to {num(live.max())} ({ratio:.3g}×) and "
        f"the largest |x| is {num(biggest)}",
        "rescale every feature to [0, 1]: scaler = gn.data.MinMaxScaler(); "
        "x = scaler.fit_transform(x_train)",
        {
            "smallest_range": float(live.min()),
            "largest_range": float(live.max()),
            "ratio": ratio,
            "max_abs": biggest,
        },
    )


def _units(model, x: np.ndarray) -> list[Diagnosis]:
    """Dead and saturated units in every hidden activation layer whose activation can
    stall (its spec's ``stalls``)."""
    layers = layers_of(model)
    found = {"dead": [], "saturated": []}
    a = x[:512].astype(model.parameters()[0].dtype if model.parameters() else np.float32)
    with evaluation_mode(model), no_grad():
        for name, layer in layers[:-1]:  # hidden layers only: a confident output is fine
            z, a = a, layer(a).data
            spec = activations.of(layer)
            if spec is None or spec.stalls is None:
                continue
            if spec.stalls == "dead":
                fraction = _dead_fraction(a, spec.output_range[0])
            else:
                fraction = _saturated_fraction(spec.slope(z, a, layer))
            found[spec.stalls].append((name, fraction))
    return [_unit_finding(kind, fractions) for kind, fractions in found.items()]


def _dead_fraction(a: np.ndarray, floor: float) -> float:
    """The fraction of units at the activation's lowest output (ReLU: 0) for every sample
    (a whole channel for images)."""
    units = a.reshape(a.shape[0], a.shape[1], -1) if a.ndim > 2 else a[:, :, None]
    return float(np.mean(np.all(units <= floor, axis=(0, 2))))


def _saturated_fraction(slope: np.ndarray) -> float:
    """The fraction of units whose slope f′ (σ′, tanh′) is below SLOPE_FLOOR on at least
    half of the samples (its median slope; a whole channel for images)."""
    units = (
        slope.reshape(slope.shape[0], slope.shape[1], -1) if slope.ndim > 2 else slope[..., None]
    )
    median = np.median(units.transpose(1, 0, 2).reshape(units.shape[1], -1), axis=1)
    return float(np.mean(median < SLOPE_FLOOR))


_UNIT_FINDINGS = {  # kind: (the words after the activations' labels, the fix)
    "dead": ("units that never fire on these inputs",
             "lower the learning rate, use init='he_normal', or switch to LeakyReLU"),
    "saturated": (f"units whose slope is below {SLOPE_FLOOR} on most inputs (they barely learn)",
                  "scale the inputs (MinMaxScaler), use smaller initial weights, or use ReLU"),
}  # fmt: skip


def _unit_finding(kind: str, layers: list) -> Diagnosis | None:
    """The "dead_relus" or "saturated_units" diagnosis of the layers at or over the limit."""
    bad = [(n, f) for n, f in layers if f >= LIMITS[kind]]
    if not bad:
        return None
    words, fix = _UNIT_FINDINGS[kind]
    labels = "/".join(s.label for s in activations.specs() if s.stalls == kind)
    words = f"{labels} {words}"
    where = ", ".join(f"layer {n}: {f:.0%}" for n, f in bad)
    name = "dead_relus" if kind == "dead" else "saturated_units"
    return Diagnosis(name, f"{words}: {where}", fix, {f"{kind}_fraction": dict(bad)})


# ---- the output layer and the loss ----------------------------------------------------------
def _mismatch(model, loss, y) -> Diagnosis | None:
    """The first rule the last layer and the loss break: an activation the loss applies
    itself, a sigmoid output under a loss of plain values on 0/1 classes (σ′ then vanishes
    where the error is largest), or raw scores where the loss takes probabilities."""
    last = layers_of(model)[-1][1]
    spec, title = activations.of(last), type(loss).__name__
    takes = getattr(loss, "takes", "values")
    fused = getattr(loss, "fused_activation", None)
    classes = y is not None and np.isin(np.unique(np.asarray(y)), (0, 1)).all()
    rules = [
        (
            spec is not None and spec.name == fused,
            f"the model ends in {type(last).__name__} but {title}(from_logits=True) applies "
            f"{fused} again",
            f"remove the final {type(last).__name__} layer (keep from_logits=True), or use "
            f"{title}(from_logits=False)",
        ),
        (
            spec is not None and spec.name == "sigmoid" and takes == "values" and classes,
            f"a Sigmoid output trained with {title} on 0/1 classes: the slope σ′ vanishes "
            "exactly when the prediction is confidently wrong",
            "use loss='binary_cross_entropy' for yes/no classes",
        ),
        (
            isinstance(last, nn.Dense) and takes == "probabilities",
            f"{title}(from_logits=False) expects probabilities, but the model ends "
            "in a Dense layer whose outputs are raw scores",
            "pass from_logits=True to the loss (or end the model in Softmax/Sigmoid)",
        ),
    ]
    for hit, finding, fix in rules:
        if hit:
            return Diagnosis(
                "output_loss_mismatch",
                finding,
                fix,
                {"last_layer": type(last).__name__, "loss": repr(loss)},
            )
    return None
