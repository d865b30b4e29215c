"""The running sum written for a boosted model (`Ensemble.staged_scores`) is its prediction:
the prior plus the learning rate times each stage's trees, after every stage, equals
scikit-learn's staged scores to 1e-9, for regression, two classes and three (one tree a class
a stage)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_moons
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from mlanim.trees.reading import read


def running_sum(booster, x):
    """The ensemble's prior and its scores after each stage (what the scene writes out)."""
    return read(booster)


def test_a_regressor_s_running_sum_is_its_staged_prediction():
    x, y = load_diabetes(return_X_y=True)
    booster = GradientBoostingRegressor(n_estimators=40, learning_rate=0.1, max_depth=2,
                                        random_state=0).fit(x, y)
    total = running_sum(booster, x)
    assert np.allclose(total.prior, y.mean())  # the mean target
    staged = np.stack(list(booster.staged_predict(x)))
    np.testing.assert_allclose(total.staged_scores(x)[1:, :, 0], staged, rtol=0, atol=1e-9)


@pytest.mark.parametrize("data", ["moons", "iris"])
def test_a_classifier_s_running_sum_is_its_staged_decision_function(data):
    x, y = make_moons(300, noise=0.3, random_state=0) if data == "moons" else \
        load_iris(return_X_y=True)
    booster = GradientBoostingClassifier(n_estimators=30, learning_rate=0.2, max_depth=2,
                                         random_state=0).fit(x, y)
    total = running_sum(booster, x)
    staged = np.stack(list(booster.staged_decision_function(x)))
    scores = total.staged_scores(x)[1:]
    assert scores.shape[-1] == (1 if data == "moons" else 3)
    np.testing.assert_allclose(scores.reshape(staged.shape), staged, rtol=0, atol=1e-9)
    if data == "moons":  # the prior is the class log-odds
        p = y.mean()
        assert np.allclose(total.prior, np.log(p / (1 - p)))


def test_anything_but_a_fitted_booster_is_refused():
    with pytest.raises(TypeError, match="GradientBoostingRegressor is not fitted"):
        running_sum(GradientBoostingRegressor(), np.zeros((2, 2)))
