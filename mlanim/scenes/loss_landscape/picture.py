"""Frames of the loss-landscape scene: the recorded path descending the evaluated surface."""

from __future__ import annotations

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
from mlanim.render.timeline import SnapshotTimeline, interpolate
from mlanim.render.video import VideoSettings
from mlanim.trace import Trace


class LandscapeStory:
    """The landscape grid, the projected path and the loss curves, indexed by frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.trace, self.video, self.theme = spec, trace, video, theme
        self.a, self.b = trace.static("landscape/a"), trace.static("landscape/b")
        self.values = trace.static("landscape/values").astype(np.float64)
        self.path = trace.static("landscape/path").astype(np.float64)
        self.height = log_height(self.values, float(np.nanmin(self.values)))
        self.background = banded_image(self.height, theme)
        self.height_at = grid_height(self.height, self.a, self.b)
        loss = trace.channel("metrics/train_loss")
        self.epochs = loss.epochs
        self.train_loss = loss.values.astype(np.float64)
        self.val_loss = trace.values("metrics/val_loss").astype(np.float64) \
            if "metrics/val_loss" in trace else None
        self.timeline = SnapshotTimeline(len(self.path), video.count, video.fps)
        self.count = video.count
        info = trace.meta["landscape"]
        self.x_range = (float(self.a[0]), float(self.a[-1]))
        self.y_range = (float(self.b[0]), float(self.b[-1]))
        data, model = trace.meta["dataset"], trace.meta["model"]
        self.title = spec.title or f"The loss landscape of an MLP on {data['name']}"
        if info["directions"] == "pca":
            share = sum(info["explained"])
            kind = f"PCA of the weight trajectory ({share:.0%} of its variance)"
        else:
            kind = "two filter-normalised random directions"
        self.subtitle = (f"MLP {'-'.join(map(str, model['widths']))} · {model['parameters']:,} "
                         f"weights · slice along {kind}")
        self.center_loss = info["center_loss"]

    def path_until(self, frame: int) -> tuple[np.ndarray, float]:
        """The path up to ``frame`` (ending at an interpolated point) and the epoch shown."""
        moment = self.timeline.at(frame)
        head = interpolate(self.path, moment).astype(np.float64)
        done = self.path[: moment.index + 1]
        return np.vstack([done, head]), float(interpolate(self.epochs, moment))


def landscape_picture(story: LandscapeStory, frame: int) -> d.Picture:
    """One frame: header, the chosen views, the loss inset, the caption."""
    s, t, video = story, story.theme, story.video
    path, epoch = s.path_until(frame)
    pic = d.Picture()
    top = 1 - 0.045 * 720 / video.height * video.scale
    total = float(s.epochs[-1])
    pic.add(d.Label((0.04, top), s.title, 20, t.text, "left", "top", bold=True),
            d.Label((0.04, top - 0.06 * 720 / video.height * video.scale), s.subtitle, 11.5,
                    t.muted, "left", "top"),
            d.Label((0.965, top), f"epoch {epoch:.0f} / {total:g}", 22, t.accent, "right",
                    "top", bold=True))
    view = s.spec.view
    size_h = 0.62 if view == "both" else 0.68
    side = size_h * video.height / video.width
    boxes = []
    if view in ("contour", "both"):
        boxes.append(("contour", (0.05, 0.13, side, size_h)))
    if view in ("surface", "both"):
        left = 0.05 if view == "surface" else 0.05 + side + 0.05
        boxes.append(("surface", (left, 0.13, side, size_h)))
    for kind, box in boxes:
        (_contour if kind == "contour" else _surface)(pic, s, path, box, frame)
    right = boxes[-1][1][0] + side + 0.05
    _inset(pic, s, epoch, (right, 0.2, 0.965 - right, 0.25))
    if video.captions:
        pic.add(d.Label((0.5, 0.03), _caption(s, frame, epoch), 13, t.text, "center", "bottom"))
    return pic


def _to_box(box, s: LandscapeStory, x, y):
    left, bottom, w, h = box
    return (left + (x - s.x_range[0]) / (s.x_range[1] - s.x_range[0]) * w,
            bottom + (y - s.y_range[0]) / (s.y_range[1] - s.y_range[0]) * h)


def _contour(pic: d.Picture, s: LandscapeStory, path: np.ndarray, box, frame: int) -> None:
    t = s.theme
    pic.add(d.Image(box, s.background, smooth=True), d.Rect(box, None, t.grid, 1.0),
            d.Label(_to_box(box, s, 0.0, 0.0), "★", 13, t.accent))
    for piece in clip_polyline(path, s.x_range, s.y_range):
        pic.add(d.Polyline(tuple(_to_box(box, s, *p) for p in piece), t.train, 2.4))
    head = path[-1]
    if s.x_range[0] <= head[0] <= s.x_range[1] and s.y_range[0] <= head[1] <= s.y_range[1]:
        pic.add(d.Circle(_to_box(box, s, *head), 6, t.train, t.background, 1.2))
    x0, y0, w, h = box
    axis = "PC" if s.trace.meta["landscape"]["directions"] == "pca" else "direction "
    pic.add(d.Label((x0 + w / 2, y0 - 0.012), f"{axis}1", 10, t.muted, "center", "top"),
            d.Label((x0 - 0.008, y0 + h / 2), f"{axis}2", 10, t.muted, "right", "center"))


def _surface(pic: d.Picture, s: LandscapeStory, path: np.ndarray, box, frame: int) -> None:
    t = s.theme
    orbit = Orbit(box, s.x_range, s.y_range, -50 + 60 * frame / max(s.count - 1, 1))
    pic.add(*wireframe(orbit, s.a, s.b, s.height_at, t))
    for piece in clip_polyline(path, s.x_range, s.y_range):
        px, py, _ = orbit.project(piece[:, 0], piece[:, 1],
                                  s.height_at(piece[:, 0], piece[:, 1]) + 0.015)
        pic.add(d.Polyline(tuple(zip(px, py, strict=True)), t.train, 2.6))
    head = path[-1]
    px, py, _ = orbit.project([head[0]], [head[1]], s.height_at([head[0]], [head[1]]) + 0.015)
    pic.add(d.Circle((px[0], py[0]), 5.5, t.train, t.background, 1.0))


def _inset(pic: d.Picture, s: LandscapeStory, epoch: float, box) -> None:
    """Train and validation loss by epoch, drawn up to the current one."""
    t = s.theme
    x0, y0, w, h = box
    curves = [("train", s.train_loss, t.train)]
    if s.val_loss is not None:
        curves.append(("validation", s.val_loss, t.val))
    top = max(float(np.nanmax(v)) for _, v, _ in curves) * 1.1 or 1.0
    total = float(s.epochs[-1]) or 1.0
    pic.add(d.Rect(box, t.panel, t.grid, 1.0),
            d.Label((x0 + w, y0 - 0.012), "epoch", 9, t.muted, "right", "top"),
            d.Label((x0 - 0.006, y0 + h), f"{top:.2g}", 9, t.muted, "right", "top"))
    y = y0 + h + 0.02
    for label, values, color in curves:
        upto = s.epochs <= epoch + 1e-9
        now = float(np.interp(epoch, s.epochs, values))
        xs = [*list(x0 + w * s.epochs[upto] / total), x0 + w * epoch / total]
        ys = [*list(y0 + h * np.clip(values[upto] / top, 0, 1)), y0 + h * min(now / top, 1)]
        if len(xs) > 1:
            pic.add(d.Polyline(tuple(zip(xs, ys, strict=True)), color, 2.0,
                               dashed=label != "train"))
        pic.add(d.Label((x0, y), f"{label} loss {now:.4f}", 10.5, color, "left", "bottom"))
        y += 0.045


def _caption(s: LandscapeStory, frame: int, epoch: float) -> str:
    moment = s.timeline.at(frame)
    if moment.phase == "start":
        return "Training starts out on the slope; the surface is the loss around where it ends"
    if moment.phase == "end":
        return (f"The trained weights sit at the star, the centre of the slice: training loss "
                f"{s.center_loss:.4f}")
    return "Each epoch moves the weights downhill, seen projected onto the two directions"
