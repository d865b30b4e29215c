"""Frames of the loss-landscape scene: the recorded path descending the evaluated surface."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, axes_room, line_chart, value_row_height
from mlanim.draw.surface_view import (
    Orbit,
    clip_polyline,
    wireframe,
)
from mlanim.scenes.loss_landscape.story import LandscapeStory


def landscape_picture(story: LandscapeStory, frame: int) -> d.Picture:
    """One frame: header, the chosen views, the loss inset, the caption."""
    s = story
    path, epoch = s.path_until(frame)
    pic = d.Picture()
    f = s.frame
    pic.add(*f.header(f"epoch {epoch:.0f} / {float(s.epochs[-1]):g}"))
    view = s.spec.view
    views = ["contour", "surface"] if view == "both" else [view]
    halves, chart = _layout(s, len(views))
    for kind, half in zip(views, halves, strict=True):
        name_room = f.space("axis") + f.points_x(f.width("direction 2", "tick"))
        box = f.square(f.inset(half, left=name_room, bottom="axis", top="small"))
        (_contour if kind == "contour" else _surface)(pic, s, path, box, frame)
    _inset(pic, s, epoch, chart)
    pic.add(*f.caption(_caption(s, frame, epoch)))
    return pic


def _layout(s: LandscapeStory, views: int) -> tuple[list, tuple]:
    """Boxes for each view and for the loss chart. Wide: the views in a row, the chart beside
    them. Tall or square: the chart below at its usual height, the views above in a row or a
    column, whichever gives them the larger squares."""
    f = s.frame
    room_x, room_y = axes_room(f)
    values_h = value_row_height(f, 2)
    if not s.video.portrait:
        panels, (x, y, w, h) = f.split(f.body, [views, 0.6], gap="column")
        chart_h = min(h * 0.6, f.dy("strip_tallest")) - room_y - values_h
        return (f.split(panels, [1] * views, gap="panel"),
                (x + room_x, y + (h - chart_h) / 2, w - room_x, chart_h))
    side_h = min(f.dy("strip_tallest"), f.body[3] * 0.35)
    panels, (x, y, w, h) = f.split(f.body, [f.body[3] - side_h - f.dy("block"), side_h],
                                   vertical=True, gap="block")
    return (f.split_for_squares(panels, views, gap="panel"),
            (x + room_x, y + room_y, w - room_x, h - room_y - values_h))


def _to_box(box, s: LandscapeStory, x, y):
    left, bottom, w, h = box
    return (left + (x - s.x_range[0]) / (s.x_range[1] - s.x_range[0]) * w,
            bottom + (y - s.y_range[0]) / (s.y_range[1] - s.y_range[0]) * h)


def _contour(pic: d.Picture, s: LandscapeStory, path: np.ndarray, box, frame: int) -> None:
    t = s.theme
    pic.add(*s.contours.shapes(box, s.x_range, s.y_range, t),
            d.Label(_to_box(box, s, 0.0, 0.0), "★", 13, t.accent))
    for piece in clip_polyline(path, s.x_range, s.y_range):
        pic.add(d.Polyline(tuple(_to_box(box, s, *p) for p in piece), t.train, 2.4))
    head = path[-1]
    if s.x_range[0] <= head[0] <= s.x_range[1] and s.y_range[0] <= head[1] <= s.y_range[1]:
        pic.add(d.Circle(_to_box(box, s, *head), 6, t.train, t.background, 1.2))
    x0, y0, w, h = box
    first, second = _axis_names(s)
    f = s.frame
    pic.add(d.Label((x0 + w / 2, y0 - f.dy("tight")), first, f.size("tick"), t.muted, "center",
                    "top"),
            d.Label((x0 - f.dx("small"), y0 + h / 2), second, f.size("tick"), t.muted, "right",
                    "center"))


def _surface(pic: d.Picture, s: LandscapeStory, path: np.ndarray, box, frame: int) -> None:
    """The surface from a camera circling it, the path riding on it: projected for a video,
    in 3-D for a page."""
    t = s.theme
    azimuth = -50 + 60 * frame / max(s.count - 1, 1)
    orbit = Orbit(box, s.x_range, s.y_range, azimuth)
    flat: list[d.Shape2D] = [*wireframe(orbit, s.a, s.b, s.height_at, t)]
    pieces = []
    for piece in clip_polyline(path, s.x_range, s.y_range):
        lifted = np.column_stack([piece, s.height_at(piece[:, 0], piece[:, 1]) + 0.015])
        pieces.append(d.Path3D(lifted, t.train, 2.6))
        px, py, _ = orbit.project(*lifted.T)
        flat.append(d.Polyline(tuple(zip(px, py, strict=True)), t.train, 2.6))
    head = path[-1]
    tip = np.array([[head[0], head[1], float(s.height_at([head[0]], [head[1]])[0]) + 0.015]])
    px, py, _ = orbit.project(*tip.T)
    flat.append(d.Circle((px[0], py[0]), 5.5, t.train, t.background, 1.0))
    names = _axis_names(s)
    pic.add(d.View3D(box, (s.x_range, s.y_range, (0.0, 1.1)), (*names, "log loss"),
                     azimuth, 32, tuple(flat),
                     d.Surface3D(s.a, s.b, s.height, s.values, (*names, "loss")),
                     (*pieces, d.Path3D(tip, t.train, 0.0, head=5.5))))


def _axis_names(s: LandscapeStory) -> tuple[str, str]:
    axis = "PC" if s.trace.meta["landscape"]["directions"] == "pca" else "direction "
    return f"{axis}1", f"{axis}2"


def _inset(pic: d.Picture, s: LandscapeStory, epoch: float, box) -> None:
    """Train and validation loss by epoch, drawn up to the current one."""
    t = s.theme
    series = [Series("train loss", s.train_loss, t.train)]
    if s.val_loss is not None:
        series.append(Series("validation loss", s.val_loss, t.val, dashed=True))
    pic.add(*line_chart(s.frame, box, s.epochs, series, epoch, "epoch"))


def _caption(s: LandscapeStory, frame: int, epoch: float) -> str:
    moment = s.timeline.at(frame)
    if moment.phase == "start":
        return "Training starts out on the slope; the surface is the loss around where it ends"
    if moment.phase == "end":
        return (f"The trained weights sit at the star, the centre of the slice: training loss "
                f"{s.center_loss:.4f}")
    return "Each epoch moves the weights downhill, seen projected onto the two directions"
