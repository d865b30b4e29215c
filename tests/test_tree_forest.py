"""The bootstrap rows drawn again for a forest's tree are the rows it was grown on: a tree fitted
with the same parameters on those rows (as weights) is the forest's tree, node for node."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.ensemble import RandomForestClassifier

from mlanim.trees.forest import bootstrap_counts

X, Y = make_moons(300, noise=0.3, random_state=2)


@pytest.mark.parametrize("max_samples", [None, 0.5, 120])
def test_a_tree_grown_on_the_drawn_rows_is_the_forest_s_own(max_samples):
    forest = RandomForestClassifier(n_estimators=4, max_depth=5, max_samples=max_samples,
                                    random_state=3).fit(X, Y)
    for k, member in enumerate(forest.estimators_):
        counts = bootstrap_counts(forest, k, len(X))
        expected = {None: len(X), 0.5: 150, 120: 120}[max_samples]
        assert counts.sum() == expected and (counts == 0).any()  # some rows out of bag
        again = clone(member).fit(X, Y, sample_weight=counts.astype(float))
        for name in ("feature", "threshold", "children_left", "value", "n_node_samples"):
            np.testing.assert_array_equal(getattr(again.tree_, name), getattr(member.tree_, name))


def test_a_forest_without_bootstrap_grows_every_tree_on_every_row():
    forest = RandomForestClassifier(n_estimators=2, bootstrap=False, random_state=0).fit(X, Y)
    assert bootstrap_counts(forest, 1, len(X)).tolist() == [1] * len(X)
    with pytest.raises(TypeError, match="not a fitted scikit-learn forest"):
        bootstrap_counts(RandomForestClassifier(), 0, 3)
