"""xgboost and lightgbm boosters read from each library's own JSON dump into `TreeNodes`.

Both libraries store leaf values with the learning rate already applied; they are divided by
it here so that every booster's leaves are raw, as scikit-learn's are. Neither dump says where
the score starts, so the prior is what the library's own margin leaves once the trees' outputs
are taken away. xgboost sends a row left when its value is below the threshold (``lt32``),
lightgbm when it is at most the threshold (``le64``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mlanim.trees.ensemble import Ensemble, UnreadableModelError
from mlanim.trees.structure import LEAF, TreeNodes, node_depths


def read_library_model(model: Any, classes: tuple[str, ...]) -> Ensemble:
    """The `Ensemble` of a fitted xgboost or lightgbm scikit-learn-style model."""
    library = type(model).__module__.split(".")[0]
    if not hasattr(model, "get_params") or not _is_fitted(model):
        raise UnreadableModelError(f"this {type(model).__name__} is not a fitted {library} "
                                   "scikit-learn-style model (XGBClassifier, LGBMRegressor, ...)")
    rate = float(model.get_params().get("learning_rate") or _default_rate(library))
    if library == "xgboost":
        trees, per_stage, compare = _xgboost_trees(model, rate), _xgboost_classes(model), "lt32"
    else:
        trees, per_stage, compare = _lightgbm_trees(model, rate)
    task = "classification" if hasattr(model, "classes_") else "regression"
    names = classes or (tuple(str(c) for c in model.classes_) if task == "classification"
                        else ())
    draft = Ensemble("boosting", task, library, type(model).__name__, tuple(trees), names,
                     per_stage, rate, tuple([0.0] * per_stage), compare)
    return Ensemble(**{**draft.__dict__, "prior": _prior(model, draft, library)})


def _is_fitted(model: Any) -> bool:
    try:
        return (model.get_booster() if hasattr(model, "get_booster") else model.booster_
                ) is not None
    except Exception:  # each library says "not fitted" with its own exception
        return False


def _default_rate(library: str) -> float:
    return 0.3 if library == "xgboost" else 0.1


def _prior(model: Any, draft: Ensemble, library: str) -> tuple[float, ...]:
    """The score before any tree: the library's margin less the trees' summed outputs."""
    rows = np.zeros((1, _features(model)))
    margin = (model.predict(rows, output_margin=True) if library == "xgboost"
              else model.predict(rows, raw_score=True))
    margin = np.asarray(margin, np.float64).reshape(1, -1)
    trees = draft.scores(rows) - np.asarray(draft.prior)[None, :]
    prior = (margin - trees)[0]
    if library == "xgboost":  # its margins are float32: digits past that are rounding
        prior = np.round(prior, 6)
    return tuple(float(v) + 0.0 for v in prior)


def _features(model: Any) -> int:
    return int(getattr(model, "n_features_in_", 0) or model.n_features_)


# -- xgboost --------------------------------------------------------------------------------
def _xgboost_classes(model: Any) -> int:
    classes = len(getattr(model, "classes_", ()))
    return classes if classes > 2 else 1


def _xgboost_trees(model: Any, rate: float) -> list[TreeNodes]:
    booster = model.get_booster()
    if booster.feature_types and any(t == "c" for t in booster.feature_types):
        raise UnreadableModelError("this xgboost model splits categories; mlanim draws "
                                   "splits on numbers (a threshold) only")
    names = booster.feature_names or []
    index = {name: k for k, name in enumerate(names)}
    return [_xgboost_tree(json.loads(text), index, rate)
            for text in booster.get_dump(dump_format="json")]


def _xgboost_tree(root: dict, index: dict[str, int], rate: float) -> TreeNodes:
    nodes: list[dict] = []
    stack = [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(reversed(node.get("children", [])))
    position = {node["nodeid"]: k for k, node in enumerate(nodes)}
    feature, threshold, left, right, value = [], [], [], [], []
    for node in nodes:
        if "leaf" in node:
            feature.append(-2), threshold.append(-2.0), left.append(LEAF), right.append(LEAF)
            value.append(node["leaf"] / rate)
            continue
        split = node["split"]
        feature.append(index[split] if split in index else int(split.lstrip("f")))
        threshold.append(float(np.float32(node["split_condition"])))
        left.append(position[node["yes"]])
        right.append(position[node["no"]])
        value.append(np.nan)
    return _nodes(feature, threshold, left, right, value, "lt32")


# -- lightgbm -------------------------------------------------------------------------------
def _lightgbm_trees(model: Any, rate: float) -> tuple[list[TreeNodes], int, str]:
    """The trees of a lightgbm model, each leaf as raw output. With ``boost_from_average``,
    lightgbm adds the starting score to the first iteration's leaves and marks those trees'
    shrinkage 1: that score (the tree's root value) is taken out again, so the prior holds it
    and the first trees read like the rest."""
    dump = model.booster_.dump_model()
    per_stage = int(dump.get("num_tree_per_iteration", 1))
    trees = []
    for k, info in enumerate(dump["tree_info"]):
        if info.get("num_cat"):
            raise UnreadableModelError("this lightgbm model splits categories; mlanim draws "
                                       "splits on numbers (a threshold) only")
        root = info["tree_structure"]
        merged = k < per_stage and float(info.get("shrinkage", rate)) != rate
        start = float(root.get("internal_value", 0.0)) if merged else 0.0
        trees.append(_lightgbm_tree(root, rate, start))
    return trees, per_stage, "le64"


def _lightgbm_tree(root: dict, rate: float, start: float) -> TreeNodes:
    nodes: list[dict] = []
    stack = [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(c for c in (node.get("right_child"), node.get("left_child")) if c)
    position = {id(node): k for k, node in enumerate(nodes)}
    feature, threshold, left, right, value, counts = [], [], [], [], [], []
    for node in nodes:
        if "leaf_value" in node:
            feature.append(-2), threshold.append(-2.0), left.append(LEAF), right.append(LEAF)
            value.append((node["leaf_value"] - start) / rate)
            counts.append(int(node.get("leaf_count", -1)))
            continue
        if node.get("decision_type", "<=") != "<=":
            raise UnreadableModelError("this lightgbm model has a split mlanim cannot draw "
                                       f"({node.get('decision_type')})")
        feature.append(int(node["split_feature"]))
        threshold.append(float(node["threshold"]))
        left.append(position[id(node["left_child"])])
        right.append(position[id(node["right_child"])])
        value.append((float(node.get("internal_value", np.nan)) - start) / rate)
        counts.append(int(node.get("internal_count", -1)))
    return _nodes(feature, threshold, left, right, value, "le64", counts)


def _nodes(feature: list, threshold: list, left: list, right: list, value: list,
           compare: str, counts: list | None = None) -> TreeNodes:
    left_a, right_a = np.array(left, np.int64), np.array(right, np.int64)
    samples = np.array(counts if counts is not None else [-1] * len(feature), np.int64)
    return TreeNodes(np.array(feature, np.int64), np.array(threshold, np.float64), left_a,
                     right_a, node_depths(left_a, right_a), samples,
                     samples.astype(np.float64), np.full(len(feature), np.nan),
                     np.array(value, np.float64)[:, None], compare)
