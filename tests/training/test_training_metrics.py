"""Metrics against hand-computed values and their torch-free textbook definitions."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import ConfigError, ShapeError
from glassnet.training import metrics


def test_sparse_categorical_accuracy_from_integer_labels():
    scores = np.array([[0.1, 0.9, 0.0], [2.0, -1.0, 0.5], [0.0, 0.2, 0.3], [1.0, 0.0, 0.0]])
    assert metrics.accuracy([1, 0, 0, 0], scores) == 0.75
    assert metrics.accuracy(np.array([[1], [0], [0], [0]]), scores) == 0.75


def test_categorical_accuracy_from_one_hot_rows():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert metrics.accuracy(np.eye(2)[[1, 1, 1]], scores) == pytest.approx(2 / 3)


def test_binary_accuracy_with_probability_and_logit_thresholds():
    y = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.2], [0.7], [0.4], [0.6]])
    assert metrics.accuracy(y, probabilities) == 0.5
    assert metrics.Accuracy(threshold=0.0)(y, np.array([-1.0, 2.0, 0.5, -0.1])) == 1.0


def test_top_k_accuracy():
    scores = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    labels = np.array([1, 0, 2])
    assert metrics.TopKAccuracy(2)(labels, scores) == pytest.approx(1 / 3)
    assert metrics.TopKAccuracy(3)(labels, scores) == 1.0
    assert metrics.TopKAccuracy(2)(np.eye(3)[labels], scores) == pytest.approx(1 / 3)  # one-hot
    assert metrics.get("top_2_accuracy").name == "top_2_accuracy"
    assert metrics.get("top_k_accuracy").k == 5


def test_regression_metrics_match_their_formulas():
    y = np.array([3.0, -0.5, 2.0, 7.0])
    p = np.array([[2.5], [0.0], [2.0], [8.0]])  # an (N, 1) output against (N,) targets
    assert metrics.mae(y, p) == pytest.approx(0.5)
    assert metrics.mse(y, p) == pytest.approx(0.375)
    assert metrics.rmse(y, p) == pytest.approx(np.sqrt(0.375))
    assert metrics.r2(y, p) == pytest.approx(1 - 1.5 / np.sum((y - y.mean()) ** 2))
    assert metrics.r2([1.0, 1.0], [1.0, 1.0]) == 1.0 and metrics.r2([1.0, 1.0], [0.0, 1.0]) == 0.0


def test_get_resolves_names_and_callables():
    assert metrics.get("acc").name == "accuracy"
    assert metrics.get("r2") is metrics.r2

    def hit_rate(y_true, y_pred):
        return 0.25

    named = metrics.get(hit_rate)
    assert named.name == "hit_rate" and named([0], [0]) == 0.25


def test_metric_errors():
    with pytest.raises(ConfigError, match="unknown metric 'f1'"):
        metrics.get("f1")
    with pytest.raises(ShapeError, match="accuracy: y_true and y_pred must have one row per"):
        metrics.accuracy([0, 1], np.zeros((3, 2)))
    with pytest.raises(ShapeError, match="labels fit neither integer nor one-hot form"):
        metrics.accuracy(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(
        ShapeError,
        match=r"(?s)a binary output needs one 0/1 label per sample. Got y_true.shape=\(2, 2\)"
        r".*hint: one-hot labels need one output unit per class",
    ):
        metrics.accuracy(np.eye(2), np.zeros((2, 1)))
    with pytest.raises(
        ShapeError, match=r"top_2_accuracy: labels fit neither integer nor one-hot"
    ):
        metrics.TopKAccuracy(2)(np.eye(2), np.zeros((2, 3)))
    with pytest.raises(ShapeError, match=r"top_5_accuracy: needs scores for at least k=5"):
        metrics.TopKAccuracy()([0], np.zeros((1, 3)))
    with pytest.raises(ConfigError, match="k must be a positive int"):
        metrics.TopKAccuracy(0)
    with pytest.raises(ConfigError, match="k must be a positive int. Got True"):
        metrics.TopKAccuracy(True)
    with pytest.raises(ShapeError, match="mae: y_true and y_pred hold different numbers"):
        metrics.mae(np.zeros(4), np.zeros((4, 2)))
