"""A fitted tree model of any kind read as one `Ensemble`: its trees as `TreeNodes`, how they
are combined, and its predictions computed from those arrays alone.

One decision tree, a random forest (its trees averaged), or gradient boosting (a prior plus the
learning rate times each stage's trees, one tree a class a stage for more than two classes)
from scikit-learn, xgboost or lightgbm: after `read`, every later stage sees the same arrays, so
a trace holds them and a picture draws them without the library.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlanim.trees.structure import LEAF, TreeNodes, node_depths

Family = Literal["tree", "forest", "boosting"]
CONSTANT_PRIORS = ("DummyClassifier", "DummyRegressor")
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

    def counted(self, x: np.ndarray) -> Ensemble:
        """The ensemble with each node's training rows counted from ``x`` where the
        library did not say them (an xgboost dump has none)."""
        from dataclasses import replace

        trees = tuple(tree if (tree.samples >= 0).all() else replace(
            tree, samples=tree.count_rows(x), weighted=tree.count_rows(x).astype(np.float64))
            for tree in self.trees)
        return replace(self, trees=trees)

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


# -- reading fitted models ------------------------------------------------------------------
def read(model: object, classes: tuple[str, ...] = ()) -> Ensemble:
    """The `Ensemble` of a fitted scikit-learn tree, forest or gradient-boosting model, or an
    xgboost or lightgbm model; `UnreadableModelError` for anything else."""
    name = type(model).__name__
    module = type(model).__module__.split(".")[0]
    if module in ("xgboost", "lightgbm"):
        from mlanim.trees.libraries import read_library_model

        return read_library_model(model, classes)
    if name.startswith("DecisionTree"):
        return _single(model, name, classes)
    if name.startswith(("RandomForest", "ExtraTrees")):
        return _forest(model, name, classes)
    if name.startswith("HistGradientBoosting"):
        return _hist_boosting(model, name, classes)
    if name.startswith("GradientBoosting"):
        return _boosting(model, name, classes)
    raise UnreadableModelError(f"{name} is not a tree model mlanim reads: use a scikit-learn "
                          "DecisionTree*, RandomForest*, GradientBoosting* or "
                          "HistGradientBoosting*, or an xgboost or lightgbm model")


def _fitted(model: object, attribute: str, name: str) -> object:
    value = getattr(model, attribute, None)
    if value is None:
        raise UnreadableModelError(f"this {name} is not fitted: call fit(X, y) first")
    return value


def _task(model: object) -> str:
    return "classification" if hasattr(model, "classes_") else "regression"


def _class_names(model: object, classes: tuple[str, ...]) -> tuple[str, ...]:
    if classes or not hasattr(model, "classes_"):
        return classes
    return tuple(str(c) for c in model.classes_)


def _check_outputs(model: object, name: str) -> None:
    if getattr(model, "n_outputs_", 1) != 1:
        raise UnreadableModelError(f"this {name} predicts {model.n_outputs_} targets at once; "
                              "mlanim draws models of one target")


def _single(model: object, name: str, classes: tuple[str, ...]) -> Ensemble:
    _fitted(model, "tree_", name)
    _check_outputs(model, name)
    return Ensemble("tree", _task(model), "sklearn", name, (TreeNodes.read(model),),
                    _class_names(model, classes))


def _forest(model: object, name: str, classes: tuple[str, ...]) -> Ensemble:
    members = _fitted(model, "estimators_", name)
    _check_outputs(model, name)
    return Ensemble("forest", _task(model), "sklearn", name,
                    tuple(TreeNodes.read(tree) for tree in members), _class_names(model, classes))


def _boosting(model: object, name: str, classes: tuple[str, ...]) -> Ensemble:
    stages = _fitted(model, "estimators_", name)
    init = getattr(model, "init_", None)
    if init is not None and init != "zero" and type(init).__name__ not in CONSTANT_PRIORS:
        raise UnreadableModelError(f"this {name} starts from its own init estimator "
                                   f"({type(init).__name__}), whose prior differs row by "
                                   "row; mlanim draws boosting from a constant prior")
    prior = np.asarray(model._raw_predict_init(np.zeros((1, model.n_features_in_))))[0]
    trees = tuple(TreeNodes.read(tree) for stage in stages for tree in stage)
    return Ensemble("boosting", _task(model), "sklearn", name, trees,
                    _class_names(model, classes), stages.shape[1], float(model.learning_rate),
                    tuple(float(p) for p in prior))


def _hist_boosting(model: object, name: str, classes: tuple[str, ...]) -> Ensemble:
    predictors = _fitted(model, "_predictors", name)
    rate = float(model.learning_rate)
    trees = []
    for stage in predictors:
        for predictor in stage:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise UnreadableModelError(f"this {name} splits categories; mlanim draws splits "
                                      "on numbers (a threshold) only")
            trees.append(_hist_tree(nodes, rate))
    prior = np.asarray(model._baseline_prediction, np.float64).ravel()
    return Ensemble("boosting", _task(model), "sklearn", name, tuple(trees),
                    _class_names(model, classes), len(predictors[0]), rate,
                    tuple(float(p) for p in prior), "le64")


def _hist_tree(nodes: np.ndarray, rate: float) -> TreeNodes:
    """A HistGradientBoosting predictor's nodes; its leaf values already hold the learning
    rate, taken out here so that every booster's leaves are raw."""
    leaf = nodes["is_leaf"].astype(bool)
    left = np.where(leaf, LEAF, nodes["left"].astype(np.int64))
    right = np.where(leaf, LEAF, nodes["right"].astype(np.int64))
    value = np.where(leaf, nodes["value"] / rate, nodes["value"])[:, None]
    counts = nodes["count"].astype(np.int64)
    return TreeNodes(np.where(leaf, -2, nodes["feature_idx"].astype(np.int64)),
                     np.where(leaf, -2.0, nodes["num_threshold"]), left, right,
                     node_depths(left, right), counts, counts.astype(np.float64),
                     np.full(len(nodes), np.nan), value.astype(np.float64), "le64")
