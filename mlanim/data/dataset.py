"""The in-memory dataset every later stage sees: numpy arrays, split, named, standardized."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class Dataset:
    """Train/validation arrays with names.

    ``x_*`` are float32 ``(n, features)``; ``y_*`` are int64 class indices for classification and
    float32 ``(n,)`` targets for regression.
    """

    name: str
    task: Task
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    image_shape: tuple[int, ...] | None = None  # (height, width) when rows are images
    target_mean: float = 0.0  # regression: y = standardised y * target_scale + target_mean
    target_scale: float = 1.0

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """Output width of a model for this task: classes, or 1 for regression."""
        return len(self.class_names) if self.task == "classification" else 1

    def describe(self) -> dict[str, object]:
        """Plain metadata for the trace."""
        return {
            "name": self.name,
            "task": self.task,
            "n_train": len(self.x_train),
            "n_val": len(self.x_val),
            "feature_names": list(self.feature_names),
            "class_names": list(self.class_names),
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
        }


@dataclass(frozen=True)
class TargetUnits:
    """How a regression model's standardised outputs map back to the target's own units:
    ``value = standardised * scale + mean``."""

    mean: float = 0.0
    scale: float = 1.0

    @classmethod
    def of(cls, dataset: dict) -> TargetUnits:
        """The units recorded in a trace's ``dataset`` metadata (identity when absent)."""
        return cls(float(dataset.get("target_mean", 0.0)),
                   float(dataset.get("target_scale", 1.0)))

    def value(self, standardised: np.ndarray | float) -> np.ndarray | float:
        """Model outputs or targets in the target's units."""
        return standardised * self.scale + self.mean


def split_and_scale(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    task: Task,
    feature_names: tuple[str, ...],
    class_names: tuple[str, ...],
    test_fraction: float,
    standardize: bool,
    seed: int,
    image_shape: tuple[int, ...] | None = None,
) -> Dataset:
    """Shuffle with ``seed``, hold out ``test_fraction``, standardize with training statistics."""
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order]
    n_val = round(len(x) * test_fraction)
    x_train, x_val = x[n_val:], x[:n_val]
    y_train, y_val = y[n_val:], y[:n_val]
    if standardize:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    cast = np.int64 if task == "classification" else np.float32
    target_mean, target_scale = 0.0, 1.0
    if task == "regression" and standardize and len(y_train):
        # Trained on standardised targets (a loss near 1, not 29,593); scenes show numbers in
        # the target's units through `TargetUnits`.
        target_mean, target_scale = float(np.mean(y_train)), float(np.std(y_train)) or 1.0
        y_train = (y_train - target_mean) / target_scale
        y_val = (y_val - target_mean) / target_scale
    return Dataset(
        name, task,
        np.ascontiguousarray(x_train, np.float32), y_train.astype(cast),
        np.ascontiguousarray(x_val, np.float32), y_val.astype(cast),
        feature_names, class_names, image_shape, target_mean, target_scale,
    )
