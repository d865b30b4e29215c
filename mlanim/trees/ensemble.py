"""A fitted tree model of any kind read as one `Ensemble`: its trees as `TreeNodes`, how they
are combined, and its predictions computed from those arrays alone.

One decision tree, a random forest (its trees averaged), or gradient boosting (a prior plus the
learning rate times each stage's trees, one tree a class a stage for more than two classes)
from scikit-learn, xgboost or lightgbm: once `mlanim.trees.reading.read` has it, every later
stage sees the same arrays, so a trace holds them and a picture draws them without the
library.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlanim.trees.structure import LEAF, TreeNodes, node_depths

Family = Literal["tree", "forest", "boosting"]
NODE_FIELDS = ("feature", "threshold", "left", "right", "samples", "weighted", "impurity")


class UnreadableModelError(TypeError):
    """The object is not a fitted tree model mlanim can read (the message says why)."""


@dataclass(frozen=True)
class Ensemble:
    """Every tree of a fitted model and how their outputs combine.

    ``trees`` run stage by stage (boosting: ``per_stage`` trees each, one per class; a forest
    or a tree: one each). A boosted tree's ``value`` is its raw leaf output, before the
    ``learning_rate``; ``prior`` is the score before any tree (per class).
    """

    family: Family
    task: str
    library: str
    estimator: str
    trees: tuple[TreeNodes, ...]
    classes: tuple[str, ...] = ()
    per_stage: int = 1
    learning_rate: float = 1.0
    prior: tuple[float, ...] = ()
    compare: str = "le32"

    @property
    def stages(self) -> int:
        """Boosting stages (or trees of a forest)."""
        return len(self.trees) // self.per_stage

    def stage_trees(self, stage: int) -> tuple[TreeNodes, ...]:
        """The trees of ``stage`` (0-based), one per class."""
        return self.trees[stage * self.per_stage:(stage + 1) * self.per_stage]

    # -- predictions, from the arrays -----------------------------------------------------
    def tree_output(self, x: np.ndarray, index: int, depth: int | None = None) -> np.ndarray:
        """Tree ``index``'s leaf values for the rows ``x``: (rows, outputs)."""
        return self.trees[index].predict(x, depth)

    def scores(self, x: np.ndarray, stages: int | None = None) -> np.ndarray:
        """Boosting: the raw score after ``stages`` stages (all when None), (rows, per_stage)."""
        return self.staged_scores(x, stages)[-1]

    def staged_scores(self, x: np.ndarray, stages: int | None = None) -> np.ndarray:
        """Boosting: the raw score before any stage and after each, (stages + 1, rows, K)."""
        count = self.stages if stages is None else stages
        steps = np.zeros((count + 1, len(x), self.per_stage))
        steps[0] = np.asarray(self.prior, np.float64)[None, :]
        for stage in range(count):
            steps[stage + 1] = self.learning_rate * np.column_stack(
                [tree.predict(x)[:, 0] for tree in self.stage_trees(stage)])
        return np.cumsum(steps, axis=0)

    def link(self, scores: np.ndarray) -> np.ndarray:
        """Boosting: raw scores -> class probabilities (sigmoid, or softmax over K), or the
        prediction itself for regression; last axis classes."""
        if self.task != "classification":
            return scores[..., 0]
        if scores.shape[-1] == 1:
            p = 1.0 / (1.0 + np.exp(-scores[..., 0]))
            return np.stack([1 - p, p], axis=-1)
        shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def predict(self, x: np.ndarray, count: int | None = None, depth: int | None = None
                ) -> np.ndarray:
        """The model's prediction from its first ``count`` trees or stages (all when None):
        class probabilities (rows, classes), or the regression value (rows,). A tree may be
        cut at ``depth``."""
        if self.family == "boosting":
            return self.link(self.scores(x, count))
        used = self.trees[: count or len(self.trees)]
        mean = np.mean([tree.predict(x, depth) for tree in used], axis=0)
        return mean if self.task == "classification" else mean[:, 0]

    def importance(self, features: int) -> np.ndarray:
        """How much each of ``features`` features does for the model: the impurity its
        splits remove, weighted by rows, summed over every tree (scikit-learn's
        ``feature_importances_`` before normalising); rows split where a library gives no
        impurity."""
        total = np.zeros(features)
        for tree in self.trees:
            inner = np.flatnonzero(tree.left != LEAF)
            if not len(inner):
                continue
            left, right = tree.left[inner], tree.right[inner]
            if np.isfinite(tree.impurity[inner]).all():
                gain = (tree.weighted[inner] * tree.impurity[inner]
                        - tree.weighted[left] * tree.impurity[left]
                        - tree.weighted[right] * tree.impurity[right])
            else:
                gain = tree.weighted[inner].astype(float)
            np.add.at(total, tree.feature[inner], gain)
        return total

    def counted(self, x: np.ndarray) -> Ensemble:
        """The ensemble with each node's training rows counted from ``x`` where the
        library did not say them (an xgboost dump has none)."""
        from dataclasses import replace

        def counted(tree: TreeNodes) -> TreeNodes:
            rows = tree.count_rows(x)
            return replace(tree, samples=rows, weighted=rows.astype(np.float64))

        return replace(self, trees=tuple(tree if (tree.samples >= 0).all() else counted(tree)
                                         for tree in self.trees))

    # -- the trace's arrays ---------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Every tree's node arrays, concatenated, with each tree's first node in
        ``offsets`` (children stay numbered within their tree)."""
        sizes = [len(tree.feature) for tree in self.trees]
        arrays = {name: np.concatenate([getattr(t, name) for t in self.trees])
                  for name in NODE_FIELDS}
        arrays["value"] = np.concatenate([t.value for t in self.trees])
        arrays["offsets"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return arrays

    def meta(self) -> dict:
        """How the trees combine, as plain data."""
        return {"family": self.family, "task": self.task, "library": self.library,
                "estimator": self.estimator, "classes": list(self.classes),
                "per_stage": self.per_stage, "learning_rate": self.learning_rate,
                "prior": list(self.prior), "compare": self.compare}

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray]) -> Ensemble:
        """The ensemble `arrays` and `meta` wrote."""
        offsets = arrays["offsets"]
        trees = []
        for first, end in itertools.pairwise(offsets):
            part = {name: np.asarray(arrays[name][first:end])
                    for name in (*NODE_FIELDS, "value")}
            trees.append(TreeNodes(depth=node_depths(part["left"], part["right"]),
                                   compare=meta["compare"], **part))
        return cls(meta["family"], meta["task"], meta["library"], meta["estimator"],
                   tuple(trees), tuple(meta["classes"]), int(meta["per_stage"]),
                   float(meta["learning_rate"]), tuple(float(p) for p in meta["prior"]),
                   meta["compare"])
