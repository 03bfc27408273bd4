"""scikit-learn estimators around a glassnet model: ``gn.sklearn.Classifier`` and
``gn.sklearn.Regressor`` (needs the ``sklearn`` extra: ``pip install glassnet[sklearn]``).

They follow skorch and scikeras: the estimator holds *settings* (the model builder, the
optimizer, epochs, ...), and ``fit`` builds a fresh model from them, compiles and trains
it. So they work where scikit-learn expects an estimator: ``Pipeline``, ``GridSearchCV``
(``set_params(lr=...)``, ``clone``), ``cross_val_score``; and they pass scikit-learn's own
``check_estimator`` suite.

``model``: a function ``build(n_features, n_outputs) -> gn.Model`` (its output layer has
``n_outputs`` units: class scores for a Classifier, values for a Regressor), or None for
an MLP with ``hidden`` layers of ``activation`` units. A Classifier trains with
cross-entropy on class indices (labels of any kind are mapped to 0 … C−1 and restored by
``predict``); ``predict_proba`` is the softmax of the scores. A Regressor trains with MSE.

>>> import numpy as np, glassnet as gn
>>> x, y = gn.data.make_gaussians(60, seed=0)
>>> clf = gn.sklearn.Classifier(hidden=(8,), epochs=5).fit(x, np.array(["a", "b"])[y])
>>> clf.predict(x[:3]).dtype.kind, clf.predict_proba(x[:3]).shape
('U', (3, 2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from glassnet import nn, optim
from glassnet.errors import ConfigError, message
from glassnet.nn._keras import activation_module
from glassnet.training import Sequential

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["Classifier", "Regressor"]


class _Estimator(BaseEstimator):
    """The settings and the fit loop the Classifier and Regressor share."""

    loss = "mse"

    def __init__(
        self,
        model=None,
        *,
        hidden=(32,),
        activation="relu",
        optimizer="adam",
        lr=0.01,
        epochs=20,
        batch_size=32,
        random_state=0,
        verbose=0,
    ):
        self.model, self.hidden, self.activation = model, hidden, activation
        self.optimizer, self.lr, self.epochs = optimizer, lr, epochs
        self.batch_size, self.random_state, self.verbose = batch_size, random_state, verbose

    def _train(self, x: np.ndarray, targets: np.ndarray, n_outputs: int):
        """Build a fresh model for this data, compile it, train it; set the fitted state."""
        rng = np.random.default_rng(self.random_state)
        self.model_ = self._build(x.shape[1], n_outputs, rng)
        self.model_.compile(optim.get(self.optimizer, lr=self.lr), self.loss)
        size = None if self.batch_size is None else min(self.batch_size, len(x))
        self.history_ = self.model_.fit(
            x, targets, epochs=self.epochs, batch_size=size, verbose=self.verbose, seed=rng
        )
        return self

    def _build(self, n_features: int, n_outputs: int, rng):
        where = type(self).__name__
        if self.model is None:  # an MLP; the output layer stays linear
            sizes = [n_features, *self.hidden, n_outputs]
            layers = []
            for a, b in zip(sizes[:-1], sizes[1:], strict=True):
                layers += [nn.Dense(a, b, seed=rng), activation_module(self.activation, where)]
            return Sequential([layer for layer in layers[:-1] if layer is not None])
        if isinstance(self.model, nn.Module) or not callable(self.model):
            raise ConfigError(
                message(
                    type(self).__name__,
                    "model must be a function that builds a model",
                    type(self.model).__name__,
                    "build(n_features, n_outputs) -> gn.Model",
                    "fit builds a fresh model each time (clone and GridSearchCV need that): "
                    "pass e.g. lambda n_in, n_out: gn.Sequential([gn.nn.Dense(n_in, n_out)])",
                )
            )
        return self.model(n_features, n_outputs)

    def _scores(self, x) -> np.ndarray:
        check_is_fitted(self)
        x = validate_data(self, x, reset=False, dtype=np.float32)
        return self.model_.predict(x)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _softmax(z: np.ndarray) -> np.ndarray:
    """pᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z), row by row."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Classifier(ClassifierMixin, _Estimator):
    """A scikit-learn classifier training a glassnet model with cross-entropy.

    Fitted attributes: ``classes_`` (the labels, sorted), ``model_`` (the trained
    gn.Model), ``history_``, ``n_features_in_``.
    """

    loss = "cross_entropy"

    def fit(self, X: ArrayLike, y: ArrayLike) -> Classifier:  # noqa: N803 - scikit-learn's names
        x, y = validate_data(self, X, y, dtype=np.float32)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        return self._train(x, encoder.transform(y), len(self.classes_))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:  # noqa: N803
        """Class probabilities, one column per entry of ``classes_``."""
        scores = self._scores(X).astype(np.float64)
        if getattr(self.model_.loss, "from_logits", True):
            return _softmax(scores)
        return scores  # the model ends in a Softmax already

    def predict(self, X: ArrayLike) -> np.ndarray:  # noqa: N803
        best = self.predict_proba(X).argmax(axis=1)  # checks that fit ran, first
        return self.classes_[best]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # a few epochs of a small net, by default
        return tags


class Regressor(RegressorMixin, _Estimator):
    """A scikit-learn regressor training a glassnet model with mean squared error.

    One output per target column; ``predict`` returns 1-D values when y was 1-D.
    """

    loss = "mse"

    def fit(self, X: ArrayLike, y: ArrayLike) -> Regressor:  # noqa: N803
        x, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, multi_output=True)
        self.single_output_ = y.ndim == 1
        targets = np.asarray(y, np.float32).reshape(len(y), -1)
        return self._train(x, targets, targets.shape[1])

    def predict(self, X: ArrayLike) -> np.ndarray:  # noqa: N803
        values = self._scores(X).astype(np.float64)
        return values[:, 0] if self.single_output_ else values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags
