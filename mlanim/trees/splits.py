"""The split search a decision tree makes at a node, computed as scikit-learn computes it, so that
a picture can sweep every candidate threshold of a feature and draw the impurity decrease at
each: its highest point is the split the fitted tree chose.

Candidates are scikit-learn's: between two neighbouring distinct values of the feature (values
closer than `FEATURE_THRESHOLD` count as one), at their midpoint computed in float64 from the
float32 values the trees see, and only where both children keep ``min_samples_leaf`` rows.
Impurities are scikit-learn's too: Gini, entropy in bits, and the variance for squared error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURE_THRESHOLD = 1e-7
"""scikit-learn's smallest gap between two values of a feature that a split can fall into."""

CLASSIFICATION = ("gini", "entropy", "log_loss")
REGRESSION = ("squared_error",)


@dataclass(frozen=True)
class SplitCurve:
    """The impurity decrease of splitting a node on one feature at each candidate threshold."""

    feature: int
    thresholds: np.ndarray
    decrease: np.ndarray

    def best(self) -> tuple[float, float] | None:
        """The threshold with the largest decrease (the lowest of equal ones, as scikit-learn
        takes the first it meets) and that decrease; None when no split is possible."""
        if not len(self.decrease):
            return None
        k = int(np.argmax(self.decrease))
        return float(self.thresholds[k]), float(self.decrease[k])


def impurity(y: np.ndarray, criterion: str, n_classes: int = 0) -> float:
    """The impurity of a node holding the targets ``y``."""
    if criterion in REGRESSION:
        return float(np.var(np.asarray(y, np.float64))) if len(y) else 0.0
    counts = np.bincount(np.asarray(y, np.int64), minlength=n_classes)[None, :]
    return float(_class_impurity(counts, np.array([len(y)], np.float64), criterion)[0])


def split_curves(x: np.ndarray, y: np.ndarray, criterion: str, n_classes: int = 0,
                 min_samples_leaf: int = 1) -> list[SplitCurve]:
    """For each feature (column of ``x``) of a node's rows, every candidate threshold and the
    node's impurity decrease there: its impurity less the children's, weighted by their rows
    (classes are 0..n_classes-1 for a classification criterion)."""
    if criterion not in (*CLASSIFICATION, *REGRESSION):
        raise ValueError(f"unknown criterion {criterion!r}")
    x = np.asarray(x, np.float32)  # the values trees split on
    parent = impurity(y, criterion, n_classes)
    return [_feature_curve(j, x[:, j], np.asarray(y), criterion, n_classes, min_samples_leaf,
                           parent) for j in range(x.shape[1])]


def _feature_curve(feature: int, values: np.ndarray, y: np.ndarray, criterion: str,
                   n_classes: int, min_samples_leaf: int, parent: float) -> SplitCurve:
    order = np.argsort(values, kind="stable")
    xs, ys = values[order], y[order]
    n = len(xs)
    left = np.arange(1, n, dtype=np.float64)  # rows left of a split after position i
    right = n - left
    usable = (xs[1:] > xs[:-1] + FEATURE_THRESHOLD) & (left >= min_samples_leaf) \
        & (right >= min_samples_leaf)
    lower, upper = xs[:-1].astype(np.float64), xs[1:].astype(np.float64)
    thresholds = lower / 2.0 + upper / 2.0
    thresholds = np.where(thresholds == upper, lower, thresholds)  # as scikit-learn rounds
    if criterion in REGRESSION:
        left_impurity, right_impurity = _variances(ys.astype(np.float64), left, right)
    else:
        counts = np.cumsum(np.eye(n_classes, dtype=np.float64)[ys.astype(np.int64)], axis=0)
        left_counts = counts[:-1]
        right_counts = counts[-1] - left_counts
        left_impurity = _class_impurity(left_counts, left, criterion)
        right_impurity = _class_impurity(right_counts, right, criterion)
    decrease = parent - (left * left_impurity + right * right_impurity) / n
    return SplitCurve(feature, thresholds[usable], decrease[usable])


def _class_impurity(counts: np.ndarray, totals: np.ndarray, criterion: str) -> np.ndarray:
    """Gini or entropy (bits) of each row of class ``counts`` over its total."""
    shares = counts / np.maximum(totals, 1.0)[:, None]
    if criterion == "gini":
        return 1.0 - np.sum(shares ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(shares > 0, shares * np.log2(shares), 0.0)
    return -np.sum(terms, axis=1)


def _variances(ys: np.ndarray, left: np.ndarray, right: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """The variance of the targets left and right of each position of the sorted rows."""
    sums, squares = np.cumsum(ys)[:-1], np.cumsum(ys ** 2)[:-1]
    total, total_squares = ys.sum(), (ys ** 2).sum()
    left_variance = squares / left - (sums / left) ** 2
    right_variance = (total_squares - squares) / right - ((total - sums) / right) ** 2
    return left_variance, right_variance
