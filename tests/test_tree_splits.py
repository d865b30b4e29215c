"""The split search drawn for a node is scikit-learn's: over every feature, the highest point of
the impurity-decrease curves is the split the fitted tree chose (feature and threshold), and its
height is the decrease the fitted tree's own impurities give; for Gini, entropy and squared
error, at the root and at deeper nodes, with ``min_samples_leaf``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, load_wine, make_moons
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlanim.trees.splits import impurity, split_curves


def fitted_tree_splits(tree, x: np.ndarray, y: np.ndarray, criterion: str, n_classes: int,
                       min_samples_leaf: int) -> list[tuple[int, int]]:
    """For each internal node: (node, the feature the curves' best point splits on), after
    checking its threshold and decrease against the fitted tree's arrays."""
    t = tree.tree_
    reach = tree.decision_path(x).toarray().astype(bool)
    checked = []
    for node in range(t.node_count):
        left, right = t.children_left[node], t.children_right[node]
        if left < 0:
            continue
        rows = reach[:, node]
        curves = split_curves(x[rows], y[rows], criterion, n_classes, min_samples_leaf)
        assert impurity(y[rows], criterion, n_classes) == pytest.approx(t.impurity[node],
                                                                        abs=1e-9)
        best = max((c for c in curves if c.best() is not None), key=lambda c: c.best()[1])
        decrease = best.best()[1]
        n, n_left, n_right = (t.n_node_samples[k] for k in (node, left, right))
        expected = t.impurity[node] - (n_left * t.impurity[left]
                                       + n_right * t.impurity[right]) / n
        assert decrease == pytest.approx(expected, abs=1e-9)
        chosen = curves[t.feature[node]].best()
        assert chosen is not None and chosen[1] == pytest.approx(decrease, abs=1e-12)
        assert chosen[0] == t.threshold[node]  # the same float64, bit for bit
        checked.append((node, int(t.feature[node])))
    return checked


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("data", ["moons", "iris", "wine"])
def test_the_curves_peak_where_the_fitted_classifier_splits(criterion, data):
    if data == "moons":
        x, y = make_moons(300, noise=0.25, random_state=0)
    else:
        x, y = (load_iris if data == "iris" else load_wine)(return_X_y=True)
    tree = DecisionTreeClassifier(criterion=criterion, max_depth=4, min_samples_leaf=3,
                                  random_state=0).fit(x, y)
    checked = fitted_tree_splits(tree, x, y, criterion, int(y.max()) + 1, 3)
    assert len(checked) >= 5


def test_the_curves_peak_where_the_fitted_regressor_splits():
    x, y = load_diabetes(return_X_y=True)
    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(x, y)
    assert len(fitted_tree_splits(tree, x, y, "squared_error", 0, 1)) == 7


def test_no_candidate_between_equal_values_or_below_the_leaf_size():
    x = np.array([[1.0], [1.0], [2.0], [3.0], [3.0]])
    y = np.array([0, 0, 1, 1, 1])
    (curve,) = split_curves(x, y, "gini", 2)
    assert curve.thresholds.tolist() == [1.5, 2.5]  # midpoints of distinct values only
    (curve,) = split_curves(np.vstack([x, [[3.0]]]), np.append(y, 1), "gini", 2,
                            min_samples_leaf=3)
    assert curve.thresholds.tolist() == [2.5]  # 1.5 would leave 2 rows on the left
    (curve,) = split_curves(np.ones((4, 1)), np.array([0, 1, 0, 1]), "gini", 2)
    assert curve.best() is None


def test_an_unknown_criterion_is_refused():
    with pytest.raises(ValueError, match="criterion"):
        split_curves(np.ones((3, 1)), np.zeros(3), "poisson")
