"""A tree model built from its spec section and fitted, or a user's fitted model read from a
file; every ``random_state`` comes from the spec's seed, so the same spec grows the same trees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.extras import require
from mlanim.trees.spec import BoostingModelSpec, TreeModelSpec

NODE_BYTES = 120
"""What one node of a fitted tree takes in memory, with its copy in the trace (about)."""


def check_model(spec: TreeModelSpec | BoostingModelSpec, dataset: Dataset) -> None:
    """A `SpecError` when the model cannot be fitted to ``dataset``: a criterion the task
    cannot use, a missing library, or more nodes than memory holds."""
    if spec.fitted:
        return
    if isinstance(spec, TreeModelSpec) and spec.criterion:
        regression = dataset.task == "regression"
        if regression != (spec.criterion == "squared_error"):
            use = "squared_error" if regression else "gini or entropy"
            raise SpecError(f"criterion {spec.criterion} cannot split a {dataset.task} target",
                            key_path=("model", "criterion"), hint=f"use {use}")
    if isinstance(spec, BoostingModelSpec) and spec.library != "sklearn":
        require(spec.library, spec.library, f"model.library {spec.library}",
                ("model", "library"), "use library: sklearn", in_all=spec.library != "xgboost")
    check_memory(spec, dataset)


def node_count(spec: TreeModelSpec | BoostingModelSpec, dataset: Dataset) -> int:
    """The most nodes the fitted model can have: a tree of ``rows`` rows has fewer than
    2 x rows nodes, and fewer than 2^(depth + 1)."""
    rows = len(dataset.x_train)
    if isinstance(spec, BoostingModelSpec):
        members = spec.stages * (dataset.n_outputs if dataset.n_outputs > 2 else 1)
        depth = spec.max_depth
    else:
        members = spec.trees if spec.type == "forest" else 1
        depth = spec.depth
    return members * min(2 * rows, 2 ** (depth + 1))


def check_memory(spec: TreeModelSpec | BoostingModelSpec, dataset: Dataset) -> None:
    """A `SpecError` before fitting when the model's nodes would not fit in free memory."""
    from mlanim import models

    need = node_count(spec, dataset) * NODE_BYTES
    free = models.available_memory()
    if free and need > free * 0.8:
        key = "stages" if isinstance(spec, BoostingModelSpec) else "trees"
        raise SpecError(f"this model may grow {node_count(spec, dataset):,} nodes, about "
                        f"{models.size_text(need)}, and this machine has "
                        f"{models.size_text(free)} free", key_path=("model", key),
                        hint="use fewer trees or stages, or a smaller max_depth")


def build(spec: TreeModelSpec | BoostingModelSpec, task: str, seed: int) -> object:
    """The unfitted estimator ``spec`` describes, seeded."""
    classify = task == "classification"
    if isinstance(spec, BoostingModelSpec):
        return _booster(spec, classify, seed)
    from sklearn import ensemble, tree

    criterion = spec.criterion or ("gini" if classify else "squared_error")
    common = {"max_depth": spec.depth, "criterion": criterion,
              "min_samples_leaf": spec.min_samples_leaf, "random_state": seed}
    if spec.type == "tree":
        return (tree.DecisionTreeClassifier if classify else tree.DecisionTreeRegressor)(
            **common)
    forest = ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor
    features = None if spec.max_features == "all" else spec.max_features
    return forest(n_estimators=spec.trees, max_features=features, **common)


def _booster(spec: BoostingModelSpec, classify: bool, seed: int) -> object:
    settings = {"n_estimators": spec.stages, "learning_rate": spec.learning_rate,
                "max_depth": spec.max_depth, "random_state": seed}
    if spec.library == "xgboost":
        import xgboost

        model = xgboost.XGBClassifier if classify else xgboost.XGBRegressor
        return model(**settings, n_jobs=1, tree_method="exact")
    if spec.library == "lightgbm":
        import lightgbm

        model = lightgbm.LGBMClassifier if classify else lightgbm.LGBMRegressor
        return model(**settings, num_leaves=2 ** spec.max_depth, n_jobs=1, verbose=-1,
                     deterministic=True, force_row_wise=True)
    from sklearn import ensemble

    model = (ensemble.GradientBoostingClassifier if classify
             else ensemble.GradientBoostingRegressor)
    return model(**settings)


def fit(estimator: object, dataset: Dataset) -> object:
    """``estimator`` fitted to the training rows (regression targets in their own units)."""
    estimator.fit(dataset.x_train, target(dataset, dataset.y_train))
    return estimator


def target(dataset: Dataset, y: np.ndarray) -> np.ndarray:
    """Targets as the model sees them: class indices, or values in the data's own units."""
    if dataset.task == "classification":
        return np.asarray(y, np.int64)
    return np.asarray(y, np.float64) * dataset.target_scale + dataset.target_mean


def load_fitted(path: Path, key: tuple = ("model", "fitted")) -> object:
    """The model pickled (or saved with joblib) at ``path``; the spec has allowed it."""
    import joblib

    try:
        return joblib.load(path)
    except Exception as error:  # a stranger's file can fail in any way: say which file
        raise SpecError(f"cannot load the fitted model {path.name}: "
                        f"{type(error).__name__}: {error}".rstrip(": "), key_path=key,
                        hint="save it with joblib.dump(model, path) from the same library "
                             "versions") from None


def resolve_fitted(spec: TreeModelSpec | BoostingModelSpec,
                   resolve: Callable[..., Path]) -> Path | None:
    """The fitted model file the spec names, checked, or None."""
    return resolve(spec.fitted, ("model", "fitted")) if spec.fitted else None
