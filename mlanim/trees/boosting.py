"""A fitted gradient-boosting model's prediction as the running sum it is: the prior (the class
log-odds or the mean target) plus, stage by stage, the learning rate times each small tree's
output. The sum after every stage equals scikit-learn's ``staged_decision_function`` (or
``staged_predict`` for a regressor), so a picture can write it out as an equation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RunningSum:
    """``prior`` (rows, K) and each stage's ``steps`` (stages, rows, K): K is 1 for a regressor
    or two classes, the number of classes otherwise (one tree a class a stage)."""

    prior: np.ndarray
    steps: np.ndarray

    def scores(self) -> np.ndarray:
        """The raw score after each stage: (stages, rows, K)."""
        return self.prior[None] + np.cumsum(self.steps, axis=0)


def running_sum(booster: object, x: np.ndarray) -> RunningSum:
    """The running sum of a fitted ``GradientBoostingClassifier`` or ``...Regressor`` on the
    rows ``x``."""
    trees = getattr(booster, "estimators_", None)
    if trees is None or not hasattr(booster, "learning_rate"):
        raise TypeError(f"{type(booster).__name__} is not a fitted scikit-learn gradient "
                        "boosting model")
    x = np.asarray(x)
    prior = np.asarray(booster._raw_predict_init(x), np.float64)  # the init estimator's score
    steps = np.stack([np.stack([tree.predict(x) for tree in stage], axis=1)
                      for stage in trees]) * booster.learning_rate
    return RunningSum(prior, steps)
