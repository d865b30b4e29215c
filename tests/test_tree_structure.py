"""A fitted tree read as arrays predicts what scikit-learn predicts, row for row, and the tree
cut at a depth sends each row to the deepest node of its own decision path at that depth: the
growth drawn is the fitted tree's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_moons
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlanim.trees.structure import TreeNodes

X, Y = make_moons(400, noise=0.3, random_state=1)


def plane(x: np.ndarray, side: int = 60) -> np.ndarray:
    """A grid over the rows' range: points on both sides of every threshold."""
    xs = np.linspace(x[:, 0].min(), x[:, 0].max(), side)
    ys = np.linspace(x[:, 1].min(), x[:, 1].max(), side)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def test_read_arrays_predict_what_scikit_learn_predicts():
    tree = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, Y)
    nodes = TreeNodes.read(tree)
    for rows in (X, plane(X)):
        np.testing.assert_array_equal(nodes.predict(rows), tree.predict_proba(rows))
        np.testing.assert_array_equal(nodes.leaf_at(rows), tree.apply(rows))
    assert nodes.max_depth == tree.get_depth()
    assert nodes.samples[0] == len(X) and nodes.impurity[0] == tree.tree_.impurity[0]


def test_a_regressor_and_a_forest_s_trees_are_read_alike():
    x, y = load_diabetes(return_X_y=True)
    regressor = DecisionTreeRegressor(max_depth=4, random_state=0).fit(x, y)
    np.testing.assert_array_equal(TreeNodes.read(regressor).predict(x)[:, 0],
                                  regressor.predict(x))
    forest = RandomForestClassifier(n_estimators=3, max_depth=5, random_state=0).fit(X, Y)
    for member in forest.estimators_:
        np.testing.assert_allclose(TreeNodes.read(member).predict(X), member.predict_proba(X),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("depth", [0, 1, 2, 4])
def test_the_tree_cut_at_a_depth_ends_each_row_on_its_own_path(depth):
    tree = DecisionTreeClassifier(max_depth=7, random_state=0).fit(X, Y)
    nodes = TreeNodes.read(tree)
    rows = plane(X, 40)
    path = tree.decision_path(rows).toarray().astype(bool)
    reached = nodes.leaf_at(rows, depth)
    for k in range(len(rows)):
        on_path = np.nonzero(path[k] & (nodes.depth <= depth))[0]
        assert reached[k] == on_path[np.argmax(nodes.depth[on_path])]
    assert set(np.unique(nodes.depth[reached])) <= set(range(depth + 1))
    shares = nodes.predict(rows, depth)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_anything_but_a_fitted_tree_is_refused():
    with pytest.raises(TypeError, match="not a fitted scikit-learn tree"):
        TreeNodes.read(DecisionTreeClassifier())
