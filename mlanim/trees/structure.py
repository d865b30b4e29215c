"""A fitted scikit-learn tree as plain arrays, and the tree as it stood while it grew.

scikit-learn builds a tree depth first and splits a node from its own rows alone, so the fitted
tree cut at depth ``d`` (every node deeper than ``d`` dropped, the nodes at ``d`` made leaves)
is the tree as it stood once every node up to depth ``d`` was made: the growth a picture shows
is read from the one fitted estimator, never re-imagined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAF = -1
"""scikit-learn's child index of a leaf."""


@dataclass(frozen=True)
class TreeNodes:
    """Every node of a fitted tree: its split (``feature``, ``threshold``; -1 and -2 at a
    leaf), children, depth, training rows (``samples``; ``weighted`` counts a row drawn twice
    for a bootstrap twice), impurity, and ``value``: class shares (classification) or the
    mean target (regression), shape (nodes, outputs)."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    depth: np.ndarray
    samples: np.ndarray
    weighted: np.ndarray
    impurity: np.ndarray
    value: np.ndarray
    compare: str = "le32"
    """How a row goes left: ``le32`` its value as float32 at most the threshold (scikit-learn's
    trees), ``le64`` the same in float64 (HistGradientBoosting, lightgbm), ``lt32`` below
    the threshold in float32 (xgboost)."""

    @classmethod
    def read(cls, estimator: object) -> TreeNodes:
        """The arrays of a fitted ``DecisionTreeClassifier`` or ``DecisionTreeRegressor``
        (or one tree of a forest)."""
        tree = getattr(estimator, "tree_", None)
        if tree is None:
            raise TypeError(f"{type(estimator).__name__} is not a fitted scikit-learn tree")
        value = np.asarray(tree.value, np.float64)[:, 0, :]
        if getattr(estimator, "n_classes_", None) is not None:  # shares, whatever the version
            value = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-300)
        return cls(np.asarray(tree.feature), np.asarray(tree.threshold),
                   np.asarray(tree.children_left), np.asarray(tree.children_right),
                   node_depths(tree.children_left, tree.children_right),
                   np.asarray(tree.n_node_samples),
                   np.asarray(tree.weighted_n_node_samples, np.float64),
                   np.asarray(tree.impurity), value)

    @property
    def max_depth(self) -> int:
        """The depth of the deepest node (0: a single leaf)."""
        return int(self.depth.max())

    def leaf_at(self, x: np.ndarray, depth: int | None = None) -> np.ndarray:
        """The node each row of ``x`` ends in, in the tree cut at ``depth`` (the whole tree
        when None); rows go left when their value is at most the threshold, as in
        scikit-learn (which compares float32 values)."""
        x = np.asarray(x, np.float64 if self.compare == "le64" else np.float32)
        node = np.zeros(len(x), np.int64)
        limit = self.max_depth if depth is None else depth
        for _ in range(limit):
            inner = (self.left[node] != LEAF) & (self.depth[node] < limit)
            if not inner.any():
                break
            rows = np.nonzero(inner)[0]
            here = node[rows]
            values, thresholds = x[rows, self.feature[here]], self.threshold[here]
            goes_left = values < thresholds if self.compare == "lt32" else values <= thresholds
            node[rows] = np.where(goes_left, self.left[here], self.right[here])
        return node

    def count_rows(self, x: np.ndarray) -> np.ndarray:
        """How many of the rows ``x`` pass through each node."""
        counts = np.zeros(len(self.feature), np.int64)
        for depth in range(self.max_depth + 1):
            at = self.leaf_at(x, depth)
            counts += np.bincount(at[self.depth[at] == depth], minlength=len(counts))
        return counts

    def path(self, row: np.ndarray) -> list[int]:
        """The nodes one row passes, root to leaf."""
        row = np.asarray(row).reshape(1, -1)
        nodes = [0]
        for depth in range(1, self.max_depth + 1):
            node = int(self.leaf_at(row, depth)[0])
            if node == nodes[-1]:
                break
            nodes.append(node)
        return nodes

    def predict(self, x: np.ndarray, depth: int | None = None) -> np.ndarray:
        """Each row's leaf value in the tree cut at ``depth``: class shares or the target."""
        return self.value[self.leaf_at(x, depth)]


def node_depths(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each node's depth (the root's is 0); parents come before their children."""
    depth = np.zeros(len(left), np.int64)
    for node in range(len(left)):
        for child in (left[node], right[node]):
            if child != LEAF:
                depth[child] = depth[node] + 1
    return depth
