"""A fitted tree model and its data recorded as a trace, the same format the network kinds
draw from: the trees' node arrays, the rows, and the curves that need fitting or the model
(error against depth, out-of-bag error as trees are added, loss after every boosting stage).

`record` is the public door: ``mlanim.trees.record(fitted, X, y)`` for a model a user already
fitted; the tree kinds call `trace_of` with the model they fitted from a spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlanim.data import Dataset
from mlanim.errors import UsageError
from mlanim.progress import Progress, SilentProgress
from mlanim.trace import Trace, TraceWriter
from mlanim.trees.depth import depth_curve
from mlanim.trees.ensemble import Ensemble, UnreadableModelError
from mlanim.trees.fit import target
from mlanim.trees.forest import bootstrap_counts
from mlanim.trees.reading import read

BOOTSTRAPS_KEPT = 6
"""Trees of a forest whose bootstrap sample the trace keeps (the picture shows a few)."""
PARAMS = ("criterion", "max_depth", "min_samples_leaf", "max_features", "bootstrap",
          "n_estimators", "learning_rate")


def trace_of(model: object, dataset: Dataset, progress: Progress | None = None) -> Trace:
    """The trace of the fitted ``model`` on ``dataset`` (its rows in the units the model saw)."""
    progress = progress or SilentProgress()
    try:
        ensemble = read(model, dataset.class_names).counted(dataset.x_train)
    except UnreadableModelError as error:
        raise UsageError(str(error), hint="pass a fitted tree model") from None
    writer = TraceWriter(meta={"source": "trees", "trees": ensemble.meta(),
                               "dataset": dataset.describe(), "params": _params(model),
                               "versions": _versions(ensemble.library)})
    for split in ("train", "val"):
        writer.static(f"data/x_{split}", getattr(dataset, f"x_{split}"))
        writer.static(f"data/y_{split}", target(dataset, getattr(dataset, f"y_{split}")))
    for name, array in ensemble.arrays().items():
        writer.static(f"trees/{name}", array)
    if ensemble.family == "tree":
        _depths(writer, model, ensemble, dataset, progress)
    elif ensemble.family == "forest":
        _forest(writer, model, ensemble, dataset, progress)
    else:
        _stages(writer, ensemble, dataset)
    return writer.freeze()


def ensemble_of(trace: Trace) -> Ensemble:
    """The `Ensemble` a tree trace holds."""
    arrays = {name.split("/", 1)[1]: trace.static(name)
              for name in trace.static_names if name.startswith("trees/")}
    return Ensemble.from_arrays(trace.meta["trees"], arrays)


def _params(model: object) -> dict[str, Any]:
    params = model.get_params() if hasattr(model, "get_params") else {}
    return {k: params[k] for k in PARAMS if isinstance(params.get(k), str | int | float | bool)}


def _versions(library: str) -> dict[str, str]:
    """The versions of the libraries that fitted and read the model (by module: xgboost
    comes as the ``xgboost`` or the ``xgboost-cpu`` package)."""
    import importlib

    modules = {"scikit-learn": "sklearn"}
    if library != "sklearn":
        modules[library] = library
    return {name: str(getattr(importlib.import_module(module), "__version__", "?"))
            for name, module in modules.items()}


def _depths(writer: TraceWriter, model: object, ensemble: Ensemble, dataset: Dataset,
            progress: Progress) -> None:
    """Training and held-out error of the same tree refitted at every depth up to its own."""
    if not len(dataset.x_val) or not hasattr(model, "set_params"):
        return
    from sklearn.base import clone

    deepest = max(ensemble.trees[0].max_depth, 1)
    with progress.task("fitting a tree at each depth", total=deepest) as bar:
        def make(depth: int) -> object:
            bar.advance()
            return clone(model).set_params(max_depth=depth)

        curve = depth_curve(make, dataset.x_train, target(dataset, dataset.y_train),
                            dataset.x_val, target(dataset, dataset.y_val),
                            range(1, deepest + 1))
    writer.static("depth/depths", curve.depths)
    writer.static("depth/train", curve.train)
    writer.static("depth/held_out", curve.held_out)


def _forest(writer: TraceWriter, model: object, ensemble: Ensemble, dataset: Dataset,
            progress: Progress) -> None:
    """The first trees' bootstrap samples, and the out-of-bag error as trees are added."""
    rows = len(dataset.x_train)
    y = target(dataset, dataset.y_train)
    kept, error = [], []
    total = np.zeros((rows, ensemble.trees[0].value.shape[1]))
    votes = np.zeros(rows)
    with progress.task("out-of-bag error", total=len(ensemble.trees)) as bar:
        for member, tree in enumerate(ensemble.trees):
            counts = bootstrap_counts(model, member, rows)
            if member < BOOTSTRAPS_KEPT:
                kept.append(counts)
            out = counts == 0
            total[out] += tree.predict(dataset.x_train[out])
            votes[out] += 1
            error.append(_oob_error(total, votes, y, ensemble.task))
            bar.advance()
    writer.static("forest/bootstrap", np.stack(kept))
    writer.static("forest/oob_error", np.array(error))


def _oob_error(total: np.ndarray, votes: np.ndarray, y: np.ndarray, task: str) -> float:
    """The error of the out-of-bag prediction on the rows some tree left out (NaN when none)."""
    seen = votes > 0
    if not seen.any():
        return float("nan")
    mean = total[seen] / votes[seen, None]
    if task == "classification":
        return float(np.mean(np.argmax(mean, axis=1) != y[seen]))
    return float(np.mean((mean[:, 0] - y[seen]) ** 2))


def _stages(writer: TraceWriter, ensemble: Ensemble, dataset: Dataset) -> None:
    """Training and held-out loss after every boosting stage (log loss, or squared error)."""
    for split in ("train", "val"):
        x = getattr(dataset, f"x_{split}")
        if len(x):
            y = target(dataset, getattr(dataset, f"y_{split}"))
            writer.static(f"boosting/{split}_loss",
                          stage_losses(ensemble, ensemble.staged_scores(x), y))


def stage_losses(ensemble: Ensemble, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss of the staged raw ``scores`` (stages + 1, rows, K) against ``y``: mean log
    loss for classes, mean squared error for values."""
    predicted = ensemble.link(scores)
    if ensemble.task != "classification":
        return np.mean((predicted - y[None, :]) ** 2, axis=1)
    chosen = np.take_along_axis(predicted, y.astype(np.int64)[None, :, None], axis=2)[..., 0]
    return -np.mean(np.log(np.clip(chosen, 1e-15, 1.0)), axis=1)


# -- the public door ------------------------------------------------------------------------
def record(fitted: object, X: Any, y: Any, X_test: Any = None, y_test: Any = None,  # noqa: N803
           feature_names: list[str] | None = None, path: str | Path | None = None,
           name: str = "your data") -> Any:
    """Record a tree model you already fitted (scikit-learn ``DecisionTree*``,
    ``RandomForest*``, ``GradientBoosting*``, ``HistGradientBoosting*``; xgboost or lightgbm)
    with the rows it was fitted on, ``X`` and ``y``, and held-out rows if you have them.

    Returns a `mlanim.Run`: ``run.render("tree_growth")`` or ``run.render("boosting_stages")``.
    The trace is written to ``path`` (default ``runs/<model name>.mlanim``). A forest's
    bootstrap samples are drawn again from its trees' random states, so ``X`` must be the rows
    it was fitted on, in the same order.
    """
    from mlanim.api import Run

    dataset = _dataset(fitted, X, y, X_test, y_test, feature_names, name)
    trace = trace_of(fitted, dataset)
    target_path = Path(path or f"runs/{type(fitted).__name__.lower()}.mlanim")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    trace.save(target_path)
    return Run(target_path)


def _dataset(fitted: object, X: Any, y: Any, X_test: Any, y_test: Any,  # noqa: N803
             feature_names: list[str] | None, name: str) -> Dataset:
    x_train, y_train = _rows(X, "X"), np.asarray(y).ravel()
    if len(x_train) != len(y_train):
        raise UsageError(f"X has {len(x_train)} rows and y has {len(y_train)}",
                         hint="pass the rows and targets the model was fitted on")
    has_test = X_test is not None and y_test is not None
    x_val = _rows(X_test, "X_test") if has_test else np.zeros((0, x_train.shape[1]))
    y_val = np.asarray(y_test).ravel() if has_test else np.zeros(0)
    names = feature_names or getattr(X, "columns", None)
    names = [str(n) for n in names] if names is not None else [
        f"x{j}" for j in range(x_train.shape[1])]
    if len(names) != x_train.shape[1]:
        raise UsageError(f"{len(names)} feature names for {x_train.shape[1]} columns",
                         hint="give one name a column")
    classes = getattr(fitted, "classes_", None)
    if classes is None:
        return Dataset(name, "regression", x_train, y_train.astype(np.float32), x_val,
                       y_val.astype(np.float32), tuple(names))
    index = {c: k for k, c in enumerate(np.asarray(classes).tolist())}
    encode = np.vectorize(lambda c: index.get(c, -1), otypes=[np.int64])
    y_train_k, y_val_k = encode(y_train), encode(y_val) if len(y_val) else y_val.astype(int)
    if (y_train_k < 0).any() or (len(y_val_k) and (y_val_k < 0).any()):
        raise UsageError("y holds a class the model was not fitted on",
                         hint=f"the model's classes are {list(index)}")
    return Dataset(name, "classification", x_train, y_train_k, x_val, y_val_k, tuple(names),
                   tuple(str(c) for c in classes))


def _rows(x: Any, what: str) -> np.ndarray:
    rows = np.asarray(x, dtype=np.float64)
    if rows.ndim != 2 or not np.isfinite(rows).all():
        raise UsageError(f"{what} must be a 2-D table of finite numbers",
                         hint="one row a sample, one column a feature, no missing values")
    return rows

