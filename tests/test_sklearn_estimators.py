"""gn.sklearn.Classifier / Regressor as scikit-learn estimators: scikit-learn's own
check_estimator suite, Pipeline, GridSearchCV, cross_val_score and string labels."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.errors import ConfigError  # noqa: E402

X, Y = gn.data.make_gaussians(90, seed=0)


@parametrize_with_checks(
    [
        gn.sklearn.Classifier(hidden=(8,), epochs=5),
        gn.sklearn.Regressor(hidden=(8,), epochs=5),
    ]
)
def test_scikit_learn_check_estimator(estimator, check):
    check(estimator)


def test_string_labels_are_mapped_and_restored():
    names = np.array(["cat", "dog"])[Y]
    clf = gn.sklearn.Classifier(hidden=(8,), epochs=20).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog"]
    assert set(clf.predict(X)) <= {"cat", "dog"} and clf.score(X, names) > 0.9
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_pipeline_grid_search_and_cross_validation():
    pipe = make_pipeline(StandardScaler(), gn.sklearn.Classifier(hidden=(8,), epochs=10))
    scores = cross_val_score(pipe, X, Y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(pipe, {"classifier__lr": [1e-4, 0.03]}, cv=2).fit(X, Y)
    assert grid.best_params_ == {"classifier__lr": 0.03}


def test_a_model_builder_and_a_regressor():
    def build(n_in, n_out):
        return gn.Sequential(
            [gn.nn.Dense(n_in, 16, seed=0), gn.nn.Tanh(), gn.nn.Dense(16, n_out, seed=1)]
        )

    target = X @ np.array([1.5, -2.0])
    reg = gn.sklearn.Regressor(build, epochs=40).fit(X, target)
    assert reg.model_[0].w.shape == (2, 16) and reg.score(X, target) > 0.9
    two = gn.sklearn.Regressor(build, epochs=2).fit(X, np.c_[target, target])
    assert two.predict(X).shape == (90, 2)


def test_a_builder_ending_in_softmax_gives_probabilities_once():
    def build(n_in, n_out):
        return gn.Sequential([gn.nn.Dense(n_out, activation="softmax", input_shape=(n_in,))])

    clf = gn.sklearn.Classifier(build, epochs=5).fit(X, Y)
    assert clf.model_.loss.from_logits is False
    np.testing.assert_allclose(clf.predict_proba(X), clf.model_.predict(X), rtol=1e-5)


def test_a_model_instance_is_refused_with_a_hint():
    with pytest.raises(ConfigError, match=r"Classifier: model must be a function that builds"):
        gn.sklearn.Classifier(gn.Sequential([gn.nn.Dense(2, 2)])).fit(X, Y)
