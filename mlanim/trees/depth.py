"""Accuracy (or error) against depth, from trees really fitted at every depth: what the
tree_growth kind draws beside the growing tree, and where it marks the depth the held-out
score would choose and says "overfits" by the rule every kind shares
(`mlanim.analysis.curves.overfitting_onset`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlanim.analysis.curves import early_stop, overfitting_onset


@dataclass(frozen=True)
class DepthCurve:
    """The training and held-out error of a tree fitted to each of ``depths``: 1 - accuracy
    for a classifier, the mean squared error for a regressor."""

    depths: np.ndarray
    train: np.ndarray
    held_out: np.ndarray

    @property
    def best(self) -> int:
        """The depth with the lowest held-out error (the shallowest of equal ones)."""
        return int(self.depths[early_stop(self.held_out)])

    @property
    def overfits_from(self) -> int | None:
        """The depth from which the held-out error rises for good while the training error
        keeps falling (the shared overfitting rule); None when it does not."""
        onset = overfitting_onset(self.train, self.held_out)
        return None if onset is None else int(self.depths[onset])


def depth_curve(make_tree: Callable[[int], object], x_train: np.ndarray, y_train: np.ndarray,
                x_held_out: np.ndarray, y_held_out: np.ndarray,
                depths: range) -> DepthCurve:
    """Fit ``make_tree(depth)`` (an unfitted scikit-learn tree) at each depth and score it."""
    train, held_out = [], []
    for depth in depths:
        tree = make_tree(depth).fit(x_train, y_train)
        train.append(_error(tree, x_train, y_train))
        held_out.append(_error(tree, x_held_out, y_held_out))
    return DepthCurve(np.array(list(depths)), np.array(train), np.array(held_out))


def _error(tree: object, x: np.ndarray, y: np.ndarray) -> float:
    predicted = tree.predict(x)
    if hasattr(tree, "classes_"):
        return float(np.mean(predicted != y))
    return float(np.mean((predicted - y) ** 2))
