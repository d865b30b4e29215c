"""The recorded optimizer paths and the surface, indexed by video frame."""


from __future__ import annotations

import numpy as np

from mlanim.draw.frame import Frame
from mlanim.draw.surface_view import (
    ContourMap,
    grid_height,
    log_height,
)
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.numbers import format_number
from mlanim.trace import Trace

MOST_STRETCHED = 3.0
"""The contour map shows x and y to one scale unless its ranges differ by more than this
ratio; then it is drawn at this ratio and says that the scales differ."""


class PathStory:
    """The recorded paths and surface, indexed by video frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.trace, self.video, self.theme = spec, trace, video, theme
        meta = trace.meta
        self.x_range, self.y_range = tuple(meta["x_range"]), tuple(meta["y_range"])
        self.steps = int(meta["steps"])
        self.opts = meta["optimizers"]
        self.paths = [trace.values(f"path/{i}").astype(np.float64) for i in range(len(self.opts))]
        self.losses = [trace.values(f"loss/{i}").astype(np.float64)
                       for i in range(len(self.opts))]
        self.minima = [tuple(m) for m in meta["minima"]]
        self.start = tuple(meta["start"])
        self.xs, self.ys = trace.static("surface/x"), trace.static("surface/y")
        self.values = trace.static("surface/values").astype(np.float64)
        self.floor = float(np.min(self.values[np.isfinite(self.values)]))
        self.height = log_height(self.values, self.floor)
        self.timeline = SnapshotTimeline(self.steps + 1, video.count, video.fps)
        self.colors = [theme.class_color(i) for i in range(len(self.opts))]
        self.title = spec.title or (f"Optimizers racing on the {meta['surface']} function"
                                    if meta["surface"] != "expression"
                                    else "Optimizers racing on f(x, y)")
        self.contours = ContourMap.of(self.height, self.xs, self.ys, theme)
        self.layers: dict[tuple, tuple] = {}  # the map's shapes by box, built once
        with np.errstate(invalid="ignore"):
            lifted = np.log1p(np.maximum(self.values - self.floor, 0))
        self.height_top = float(np.nanmax(np.where(np.isfinite(lifted), lifted, np.nan)))
        span = (self.x_range[1] - self.x_range[0]) / (self.y_range[1] - self.y_range[0])
        self.aspect = float(np.clip(span, 1 / MOST_STRETCHED, MOST_STRETCHED))
        self.same_scale = self.aspect == span
        self._height_at = grid_height(self.height, self.xs, self.ys)
        self.count = video.count
        self._step_texts: dict[int, list[str]] = {}
        start = f"({self.start[0]:g}, {self.start[1]:g})"
        subtitle = f"f(x, y) = {meta['formula']} · start {start}"
        self.frame = Frame(video, theme, self.title, subtitle,
                           counter_sample=f"step {self.steps} / {self.steps}")

    def step_at(self, frame: int) -> float:
        """Fractional optimizer step shown by ``frame``."""
        return self.timeline.at(frame).position

    def point(self, i: int, step: float) -> tuple[np.ndarray, bool]:
        """Where path ``i`` is at ``step`` (interpolated), and whether it has stopped there."""
        path = self.paths[i]
        last = len(path) - 1
        if step >= last:
            return path[last], self.opts[i]["diverged_at"] is not None
        k = int(step)
        return path[k] + (path[k + 1] - path[k]) * (step - k), False

    def loss(self, i: int, step: float) -> float:
        """Path ``i``'s recorded loss at the nearest step reached."""
        values = self.losses[i]
        return float(values[min(round(step), len(values) - 1)])

    def step_texts(self, i: int) -> list[str]:
        """What a page shows over each recorded step of path ``i``: the optimizer, the step,
        the point and the loss there (made once)."""
        if i not in self._step_texts:
            label, path, losses = self.opts[i]["label"], self.paths[i], self.losses[i]
            self._step_texts[i] = [f"{label} · step {k} · x {x:.4g} · y {y:.4g} · f "
                                   f"{format_number(float(loss))}"
                                   for k, ((x, y), loss) in enumerate(zip(path, losses,
                                                                          strict=False))]
        return self._step_texts[i]

    def value_at(self, height: float) -> float:
        """The function's value at a log height (0..1) of the map: for its colour bar."""
        return self.floor + float(np.expm1(height * self.height_top))

    def z(self, x, y) -> np.ndarray:
        """The normalised log height of the surface at data points (bilinear on the grid)."""
        return self._height_at(x, y)
