"""Error against depth comes from trees really fitted at each depth, and "overfits" is said by
the rule every kind shares: on noisy moons a deep tree's held-out error rises for good while
its training error falls to zero; on well-separated blobs it does not."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs, make_moons
from sklearn.tree import DecisionTreeClassifier

from mlanim.trees.depth import depth_curve


def curve_on(x, y):
    cut = len(x) // 2
    return depth_curve(lambda depth: DecisionTreeClassifier(max_depth=depth, random_state=0),
                       x[:cut], y[:cut], x[cut:], y[cut:], range(1, 13))


def test_each_point_is_a_tree_fitted_at_that_depth():
    x, y = make_moons(400, noise=0.35, random_state=0)
    curve = curve_on(x, y)
    tree = DecisionTreeClassifier(max_depth=5, random_state=0).fit(x[:200], y[:200])
    assert curve.held_out[4] == np.mean(tree.predict(x[200:]) != y[200:])
    assert curve.train[-1] == 0.0


def test_noisy_moons_overfit_with_depth_and_separated_blobs_do_not():
    x, y = make_moons(400, noise=0.35, random_state=0)
    noisy = curve_on(x, y)
    assert noisy.overfits_from is not None and noisy.overfits_from > noisy.best
    assert noisy.held_out[-1] > noisy.held_out.min()
    x, y = make_blobs(400, centers=[[-4, 0], [4, 0]], cluster_std=0.8, random_state=0)
    clean = curve_on(x, y)
    assert clean.overfits_from is None and clean.best == 1
