"""The 2-D view a tree picture draws: two of the model's features as the axes, the others held
at their training median (said on screen), and the grid of rows whose predictions colour it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.errors import SpecError

RESOLUTION = 120
"""Grid cells along each axis of the plane."""
PAD = 0.06
"""Room around the data on each axis, as a share of its range."""


@dataclass(frozen=True)
class Plane:
    """Feature ``features[0]`` across, ``features[1]`` up; ``held`` the other features' values
    on the plane (by feature index); ``rows`` the grid's rows, (res * res, features), row by
    row from the bottom."""

    features: tuple[int, int]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    held: dict[int, float]
    rows: np.ndarray
    resolution: int

    def fractions(self, points: np.ndarray) -> np.ndarray:
        """Rows' positions on the plane, 0..1 along each axis."""
        i, j = self.features
        points = np.asarray(points, np.float64)
        return np.column_stack([(points[:, i] - self.x_range[0]) / np.ptp(self.x_range),
                                (points[:, j] - self.y_range[0]) / np.ptp(self.y_range)])

    def along(self, axis: int, value: float) -> float:
        """Where ``value`` of the feature on ``axis`` (0 across, 1 up) lies, 0..1."""
        low, high = (self.x_range, self.y_range)[axis]
        return (value - low) / (high - low)

    def axis_of(self, feature: int) -> int | None:
        """0 or 1 when ``feature`` is drawn on an axis, else None."""
        return self.features.index(feature) if feature in self.features else None


def pick_features(wanted: Sequence[str | int] | None, names: Sequence[str],
                  key: tuple = ("show", "plane"),
                  importance: np.ndarray | None = None) -> tuple[int, int]:
    """The two features of the plane: ``wanted`` (names or indices), else the two the model
    relies on most (by ``importance``; the first two without it), in the data's order."""
    if len(names) < 2:
        raise SpecError(f"the data has {len(names)} feature; a tree's regions are drawn on a "
                        "plane of two", key_path=("data", "features"),
                        hint="give the data two or more features")
    if not wanted:
        if importance is None or not np.any(importance > 0):
            return 0, 1
        first, second = sorted(np.argsort(-np.asarray(importance), kind="stable")[:2])
        return int(first), int(second)  # in the data's own order: x1 across, x2 up
    picked = []
    for k, item in enumerate(wanted):
        if isinstance(item, int) and 0 <= item < len(names):
            picked.append(item)
        elif isinstance(item, str) and item in names:
            picked.append(list(names).index(item))
        else:
            raise SpecError(f"{item!r} is not a feature of this data", key_path=(*key, k),
                            hint="one of: " + ", ".join(names))
    if len(picked) != 2 or picked[0] == picked[1]:
        raise SpecError("the plane needs two different features", key_path=key,
                        hint="e.g. plane: [" + ", ".join(names[:2]) + "]")
    return picked[0], picked[1]


def plane(x_train: np.ndarray, x_val: np.ndarray, features: tuple[int, int],
          resolution: int = RESOLUTION) -> Plane:
    """The plane of ``features`` around every row, the other features at their training
    median."""
    rows = np.concatenate([x_train, x_val]) if len(x_val) else np.asarray(x_train)
    ranges = []
    for j in features:
        low, high = float(rows[:, j].min()), float(rows[:, j].max())
        pad = (high - low) * PAD or 0.5
        ranges.append((low - pad, high + pad))
    held = {j: float(np.median(x_train[:, j])) for j in range(x_train.shape[1])
            if j not in features}
    xs = np.linspace(*ranges[0], resolution)
    ys = np.linspace(*ranges[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.empty((resolution * resolution, x_train.shape[1]))
    for j, value in held.items():
        grid[:, j] = value
    grid[:, features[0]], grid[:, features[1]] = gx.ravel(), gy.ravel()
    return Plane(features, ranges[0], ranges[1], held, grid, resolution)
