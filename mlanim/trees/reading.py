"""Any fitted tree model read as an `Ensemble`: scikit-learn's trees, forests and boosters
from their arrays, xgboost's and lightgbm's from their dumps (`mlanim.trees.libraries`)."""

from __future__ import annotations

import numpy as np

from mlanim.trees.ensemble import Ensemble, Family, UnreadableModelError
from mlanim.trees.libraries import read_library_model
from mlanim.trees.structure import LEAF, TreeNodes, node_depths

CONSTANT_PRIORS = ("DummyClassifier", "DummyRegressor")


LIBRARIES = ("xgboost", "lightgbm")


def family_of(model: object) -> Family:
    """Whether ``model`` is a tree, a forest or a booster, by its class (nothing is read);
    `UnreadableModelError` for a model mlanim does not read."""
    name = type(model).__name__
    if type(model).__module__.split(".")[0] in LIBRARIES:
        return "boosting"
    if name.startswith("DecisionTree"):
        return "tree"
    if name.startswith(("RandomForest", "ExtraTrees")):
        return "forest"
    if name.startswith(("HistGradientBoosting", "GradientBoosting")):
        return "boosting"
    raise UnreadableModelError(f"{name} is not a tree model mlanim reads: use a scikit-learn "
                               "DecisionTree*, RandomForest*, GradientBoosting* or "
                               "HistGradientBoosting*, or an xgboost or lightgbm model")


def read(model: object, classes: tuple[str, ...] = ()) -> Ensemble:
    """The `Ensemble` of a fitted scikit-learn tree, forest or gradient-boosting model, or an
    xgboost or lightgbm model; `UnreadableModelError` for anything else."""
    family, name = family_of(model), type(model).__name__
    if type(model).__module__.split(".")[0] in LIBRARIES:
        return read_library_model(model, classes)
    if family == "tree":
        return _single(model, name, classes)
    if family == "forest":
        return _forest(model, name, classes)
    if name.startswith("HistGradientBoosting"):
        return _hist_boosting(model, name, classes)
    return _boosting(model, name, classes)


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
