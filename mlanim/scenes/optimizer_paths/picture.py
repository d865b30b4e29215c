"""Frames of the optimizer race as backend-neutral pictures: contour view and 3-D view."""

from __future__ import annotations

import math

import numpy as np

from mlanim.render import display as d
from mlanim.render.surface_view import (
    Orbit,
    banded_image,
    clip_polyline,
    grid_height,
    log_height,
    wireframe,
)
from mlanim.render.theme import Theme
from mlanim.render.timeline import SnapshotTimeline
from mlanim.render.video import VideoSettings
from mlanim.trace import Trace


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
        self.floor = float(np.nanmin(self.values))
        self.height = log_height(self.values, self.floor)
        self.timeline = SnapshotTimeline(self.steps + 1, video.count, video.fps)
        self.colors = [theme.class_color(i) for i in range(len(self.opts))]
        self.title = spec.title or f"Optimizers racing on the {meta['surface']} function"
        self.background = banded_image(self.height, theme)
        self._height_at = grid_height(self.height, self.xs, self.ys)
        self.count = video.count

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

    def z(self, x, y) -> np.ndarray:
        """The normalised log height of the surface at data points (bilinear on the grid)."""
        return self._height_at(x, y)


def path_picture(story: PathStory, frame: int) -> d.Picture:
    """One frame of the race."""
    s, t, video = story, story.theme, story.video
    step = s.step_at(frame)
    pic = d.Picture()
    view = s.spec.view
    top = 1 - 0.045 * 720 / video.height * video.scale
    pic.add(d.Label((0.04, top), s.title, 20, t.text, "left", "top", bold=True),
            d.Label((0.04, top - 0.06 * 720 / video.height * video.scale),
                    f"f(x, y) = {s.trace.meta['formula']} · start {_pair(s.start)}", 11.5,
                    t.muted, "left", "top"),
            d.Label((0.965, top), f"step {min(int(step), s.steps)} / {s.steps}", 22, t.accent,
                    "right", "top", bold=True))
    panel_top = 0.80 if not video.portrait else 0.86
    size_h = panel_top - 0.12 if view != "both" else 0.58
    side = size_h * video.height / video.width
    if view in ("contour", "both"):
        box = (0.05, 0.12 if view != "both" else 0.22, side, size_h)
        _contour(pic, s, step, box)
    if view in ("surface", "both"):
        left = 0.05 if view == "surface" else 0.05 + side + 0.04
        box = (left, 0.12 if view != "both" else 0.22, side, size_h)
        _surface(pic, s, step, box, frame)
    if view == "both":
        _legend(pic, s, step, (0.05, 0.14), horizontal=True)
    else:
        right = 0.05 + side + 0.06
        _legend(pic, s, step, (right, panel_top - 0.02), horizontal=False)
        _loss_chart(pic, s, step, (right, 0.14, 0.965 - right, 0.3))
    if video.captions:
        pic.add(d.Label((0.5, 0.03), _caption(s, step), 13, t.text, "center", "bottom"))
    return pic


def _to_box(box, x_range, y_range, x, y):
    left, bottom, w, h = box
    return (left + (x - x_range[0]) / (x_range[1] - x_range[0]) * w,
            bottom + (y - y_range[0]) / (y_range[1] - y_range[0]) * h)


def _contour(pic: d.Picture, s: PathStory, step: float, box) -> None:
    t = s.theme
    pic.add(d.Image(box, s.background, smooth=True), d.Rect(box, None, t.grid, 1.0))
    where = lambda x, y: _to_box(box, s.x_range, s.y_range, x, y)  # noqa: E731
    for m in s.minima:
        pic.add(d.Label(where(*m), "★", 13, t.accent))
    pic.add(d.Circle(where(*s.start), 6, None, t.text, 1.5))
    for i, path in enumerate(s.paths):
        head, stopped = s.point(i, step)
        reached = np.vstack([path[: min(int(step), len(path) - 1) + 1], head])
        for piece in clip_polyline(reached, s.x_range, s.y_range):
            pic.add(d.Polyline(tuple(where(*p) for p in piece), s.colors[i], 2.2))
        if _inside(s, head, margin=0.0):
            marker = d.Label(where(*head), "✕", 14, s.colors[i], bold=True) if stopped else \
                d.Circle(where(*head), 5.5, s.colors[i], t.background, 1.2)
            pic.add(marker)
    x0, y0, w, h = box
    pic.add(d.Label((x0, y0 - 0.012), f"x {s.x_range[0]:g}", 9, t.muted, "left", "top"),
            d.Label((x0 + w, y0 - 0.012), f"{s.x_range[1]:g}", 9, t.muted, "right", "top"),
            d.Label((x0 - 0.006, y0), f"y {s.y_range[0]:g}", 9, t.muted, "right", "bottom"),
            d.Label((x0 - 0.006, y0 + h), f"{s.y_range[1]:g}", 9, t.muted, "right", "top"))


def _inside(s: PathStory, p, margin: float) -> bool:
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return bool(x0 - mx <= p[0] <= x1 + mx and y0 - my <= p[1] <= y1 + my)


def _surface(pic: d.Picture, s: PathStory, step: float, box, frame: int) -> None:
    """A wireframe of the log surface seen from an orbiting camera, the paths riding on it."""
    t = s.theme
    orbit = Orbit(box, s.x_range, s.y_range, -55 + 50 * frame / max(s.count - 1, 1))
    project = orbit.project
    pic.add(*wireframe(orbit, s.xs, s.ys, s.z, t))
    for i, path in enumerate(s.paths):
        head, _stopped = s.point(i, step)
        reached = np.vstack([path[: min(int(step), len(path) - 1) + 1], head])
        for piece in clip_polyline(reached, s.x_range, s.y_range):
            px, py, _ = project(piece[:, 0], piece[:, 1], s.z(piece[:, 0], piece[:, 1]) + 0.01)
            pic.add(d.Polyline(tuple(zip(px, py, strict=True)), s.colors[i], 2.4))
        if _inside(s, head, 0.0):
            px, py, _ = project([head[0]], [head[1]], s.z([head[0]], [head[1]]) + 0.01)
            pic.add(d.Circle((px[0], py[0]), 5.0, s.colors[i], t.background, 1.0))


def _legend(pic: d.Picture, s: PathStory, step: float, at, horizontal: bool) -> None:
    t, video = s.theme, s.video
    x, y = at
    row = 0.055 * 720 / video.height * video.scale
    for i, opt in enumerate(s.opts):
        _, stopped = s.point(i, step)
        status = f"{opt['stop']} at step {opt['diverged_at']}" if stopped else \
            f"loss {_num(s.loss(i, step))}"
        pic.add(d.Line((x, y), (x + 0.025, y), s.colors[i], 3.5),
                d.Label((x + 0.033, y), opt["label"], 11.5, t.text, "left"),
                d.Label((x + 0.033, y - row * 0.45), status, 10, t.muted, "left", "top"))
        if horizontal:
            char = 11.5 * video.scale * 100 / 72 * 0.62 / video.width
            x += 0.06 + char * max(len(opt["label"]), len(status))
            if x > 0.8:
                x, y = at[0], y - row * 1.3
        else:
            y -= row * 1.25


def _loss_chart(pic: d.Picture, s: PathStory, step: float, box) -> None:
    """Each path's loss against steps, log scale, drawn up to the current step."""
    t = s.theme
    x0, y0, w, h = box
    finite = np.concatenate([v[np.isfinite(v)] for v in s.losses])
    shift = min(0.0, float(finite.min())) if len(finite) else 0.0
    logs = [np.log10(np.maximum(v - shift, 0) + 1e-8) for v in s.losses]
    low = min(float(np.nanmin(v)) for v in logs)
    high = max(float(np.nanmax(v)) for v in logs)
    low, high = max(low, high - 10), high + 1e-9
    pic.add(d.Rect(box, t.panel, t.grid, 1.0),
            d.Label((x0, y0 + h + 0.012), "loss (log scale)" + (" − min" if shift else ""), 10.5,
                    t.text, "left", "bottom"),
            d.Label((x0 + w, y0 - 0.012), "step", 9, t.muted, "right", "top"))
    for i, values in enumerate(logs):
        upto = min(int(step), len(values) - 1)
        if upto < 1:
            continue
        xs = x0 + w * np.arange(upto + 1) / max(s.steps, 1)
        ys = y0 + h * np.clip((values[: upto + 1] - low) / (high - low), 0, 1)
        stride = max(1, upto // 300)
        pts = (*tuple(zip(xs[::stride], ys[::stride], strict=True)), (xs[-1], ys[-1]))
        pic.add(d.Polyline(pts, s.colors[i], 1.8))


def _caption(s: PathStory, step: float) -> str:
    stopped = [opt for i, opt in enumerate(s.opts) if s.point(i, step)[1]]
    if stopped:
        opt = stopped[-1]
        if opt["stop"] == "escaped":
            return (f"{opt['label']} left the plot downhill at step {opt['diverged_at']}: "
                    "the loss keeps falling out there")
        return (f"{opt['label']} diverged at step {opt['diverged_at']}: its steps grew "
                "instead of settling")
    if step < 1:
        return "Every optimizer starts at the same point; each step is a real torch.optim step"
    if step >= s.steps:
        best = min(range(len(s.opts)), key=lambda i: s.loss(i, step))
        return (f"After {s.steps} steps, {s.opts[best]['label']} is lowest: "
                f"loss {_num(s.loss(best, step))}")
    return "Same start, same gradients: only the update rule differs"


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.4f}"


def _pair(p) -> str:
    return f"({p[0]:g}, {p[1]:g})"
