"""Datasets built from the spec's ``data:`` section: ``load(spec.data, seed, resolve)``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlanim.data import sources
from mlanim.data.dataset import Dataset, TargetUnits, Task, split_and_scale
from mlanim.errors import DataError, did_you_mean
from mlanim.spec.sections import GENERATED_SETS, SKLEARN_SETS, DataSpec

__all__ = ["Dataset", "TargetUnits", "load"]


def load(spec: DataSpec, seed: int, resolve: Callable[..., Path] = Path) -> Dataset:
    """Build the dataset ``spec`` names; ``resolve(path, key)`` turns a path written in the
    spec (at ``key``) into a file path (`mlanim.inputs.SpecFiles` also checks the file)."""
    if spec.name in GENERATED_SETS:
        x, y, features, classes = sources.generated(spec, seed)
    elif spec.name in SKLEARN_SETS:
        x, y, features, classes = sources.bundled(spec)
    elif spec.name == "csv":
        x, y, features, classes = sources.from_csv(_file(resolve, spec.path, "path"), spec)
    elif spec.name == "npz":
        x, y, features, classes = sources.from_npz(_file(resolve, spec.path, "path"))
    else:
        x, y, features, classes = sources.from_idx(_file(resolve, spec.path, "path"),
                                                   _file(resolve, spec.labels, "labels"))
    image_shape = tuple(x.shape[1:]) if x.ndim == 3 and not spec.features else None
    x = x.reshape(len(x), -1)
    x, y = _limit(x, y, spec.limit, seed)
    x, features = _pick_features(x, features, spec.features)
    task = _infer_task(y) if spec.task == "auto" else spec.task
    y, classes = _encode_target(y, task, classes)
    if not np.isfinite(x).all():
        raise DataError(f"dataset {spec.name} has missing or infinite feature values",
                        hint="clean or impute them before training")
    return split_and_scale(spec.name, x, y, task, features, classes,
                           spec.test_fraction, spec.standardize, seed, image_shape)


def _file(resolve: Callable[..., Path], written: str | None, key: str) -> Path:
    """``data.<key>`` resolved; the plain `Path` resolver takes no key."""
    if resolve is Path:
        return Path(written or "")
    return resolve(written or "", ("data", key))


def _limit(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int):
    """A seeded random subset of ``limit`` rows (large files such as MNIST)."""
    if limit is None or limit >= len(x):
        return x, y
    rows = np.sort(np.random.default_rng(seed).choice(len(x), limit, replace=False))
    return x[rows], y[rows]


def _pick_features(x: np.ndarray, names: tuple[str, ...], wanted: list[str | int] | None):
    if not wanted:
        return x, names
    columns = []
    for item in wanted:
        if isinstance(item, int):
            if not 0 <= item < len(names):
                raise DataError(f"data.features: index {item} is out of range "
                                f"(0..{len(names) - 1})", key_path=("data", "features"))
            columns.append(item)
        elif item in names:
            columns.append(names.index(item))
        else:
            raise DataError(f"data.features: no feature '{item}'", key_path=("data", "features"),
                            hint=did_you_mean(str(item), names)
                            + f"features are: {', '.join(names)}")
    return x[:, columns], tuple(names[c] for c in columns)


def _infer_task(y: np.ndarray) -> Task:
    """Text or few distinct integer values mean classes; anything else is regression."""
    if y.dtype.kind in "USOb":
        return "classification"
    values = np.unique(y)
    integral = np.all(np.mod(values, 1) == 0)
    return "classification" if integral and len(values) <= 20 else "regression"


def _encode_target(y: np.ndarray, task: Task, classes: tuple[str, ...] | None):
    if task == "regression":
        try:
            return y.astype(np.float64), ()
        except ValueError:
            raise DataError("data.task is regression but the target is not numeric") from None
    values, codes = np.unique(y, return_inverse=True)
    if classes is None or len(classes) != len(values):
        classes = tuple(_class_label(v) for v in values)
    if len(values) < 2:
        raise DataError("the target has a single class: nothing to learn")
    return codes.astype(np.int64), classes


def _class_label(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
