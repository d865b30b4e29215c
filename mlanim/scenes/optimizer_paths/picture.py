"""Frames of the optimizer race as backend-neutral pictures: contour view and 3-D view."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.claims import lowest_claim
from mlanim.draw import display as d
from mlanim.draw.charts import value_row_height
from mlanim.draw.frame import LegendItem
from mlanim.draw.surface_view import (
    Orbit,
    clip_polyline,
    colour_bar,
    wireframe,
)
from mlanim.numbers import format_number
from mlanim.scenes.optimizer_paths.story import PathStory


def path_picture(story: PathStory, frame: int) -> d.Picture:
    """One frame of the race."""
    s, video = story, story.video
    step = s.step_at(frame)
    f = s.frame
    x, y, w, h = f.body
    view = s.spec.view
    legend_rows = 2 if view == "both" else 0
    room = f.line("legend") * 1.3 * legend_rows + (f.dy("panel") if legend_rows else 0)
    panels = (x, y + room, w, h - room)
    tick = f.line("tick") * 1.2
    if view == "both":
        halves = f.split_for_squares(panels, 2)
        map_box = _map_box(s, halves[0])
        pic = d.Picture(background=_map_layer(s, map_box))
        _contour(pic, s, step, map_box)
        _surface(pic, s, step, f.square(f.plot_area(halves[1])), frame)
        _legend(pic, s, step, (x, y + room - f.dy("small")), w)
    else:
        if video.portrait:
            square_box, side = f.split(panels, [1.3, 1], vertical=True, gap="band")
        else:
            square_box, side = f.split(panels, [1.25, 1], gap="band")
        if view == "contour":
            map_box = _map_box(s, square_box, "center" if video.portrait else "left")
            pic = d.Picture(background=_map_layer(s, map_box))
            _contour(pic, s, step, map_box)
        else:
            pic = d.Picture()
            _surface(pic, s, step, f.square(f.plot_area(square_box),
                                            align="center" if video.portrait else "left"),
                     frame)
        _legend(pic, s, step, (side[0], side[1] + side[3]), side[2])
        used = f.legend_height(_legend_items(s, step), side[2]) + f.dy("panel")
        chart = (side[0] + f.dx("column"), side[1] + tick, side[2] - f.dx("column"),
                 min(side[3] - used - tick - value_row_height(f), side[3] * 0.5))
        _loss_chart(pic, s, step, chart)
    pic.add(*f.header(f"step {min(int(step), s.steps)} / {s.steps}"))
    pic.add(*f.caption(_caption(s, step)))
    return pic


def _map_layer(s: PathStory, box) -> tuple[d.Shape, ...]:
    """The contour map and its colour bar: the same every frame, so painted once."""
    if box not in s.layers:
        f = s.frame
        bar = (box[0] + box[2] + f.dx("gap"), box[1], f.dx(COLOUR_BAR_PT), box[3])
        s.layers[box] = (*s.contours.shapes(box, s.x_range, s.y_range, s.theme),
                         *colour_bar(f, bar, s.value_at))
    return s.layers[box]


def _to_box(box, x_range, y_range, x, y):
    left, bottom, w, h = box
    return (left + (x - x_range[0]) / (x_range[1] - x_range[0]) * w,
            bottom + (y - y_range[0]) / (y_range[1] - y_range[0]) * h)


COLOUR_BAR_PT = 7
"""The colour bar's width; its numbers take about 40 points more beside it."""


def _map_box(s: PathStory, area, align: str = "center"):
    """The contour map inside ``area``: x and y to one scale (`PathStory.aspect`), with room
    left of and below it for the ranges and right of it for the colour bar."""
    f = s.frame
    return f.fit_aspect(f.plot_area(area, right=COLOUR_BAR_PT + 44),
                        s.aspect, align)


def _contour(pic: d.Picture, s: PathStory, step: float, box, frame: int = 0) -> None:
    t, f = s.theme, s.frame
    if not s.same_scale:
        pic.add(d.Label((box[0] + box[2], box[1] + box[3] + f.dy("tight")), "x and y to different "
                        "scales", f.size("tick"), t.muted, "right", "bottom"))
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
        pic.add(*_path_hover(s, i, step, where))
    x0, y0, w, h = box
    f = s.frame
    tick, below, beside = f.size("tick"), y0 - f.dy("tight"), x0 - f.dx("small")
    pic.add(d.Label((x0, below), f"x {s.x_range[0]:g}", tick, t.muted, "left", "top"),
            d.Label((x0 + w, below), f"{s.x_range[1]:g}", tick, t.muted, "right", "top"),
            d.Label((beside, y0), f"y {s.y_range[0]:g}", tick, t.muted, "right", "bottom"),
            d.Label((beside, y0 + h), f"{s.y_range[1]:g}", tick, t.muted, "right", "top"))


def _path_hover(s: PathStory, i: int, step: float, where) -> list[d.Shape]:
    """What a page shows over each recorded step path ``i`` has reached inside the map: the
    step, the point and the loss there."""
    path, texts = s.paths[i], s.step_texts(i)
    reached = [k for k in range(min(int(step), len(path) - 1) + 1)
               if _inside(s, path[k], 0.0)]
    if not reached:
        return []
    return [d.Hover(np.array([where(*path[k]) for k in reached]), 4.0,
                    tuple(texts[k] for k in reached))]


def _inside(s: PathStory, p, margin: float) -> bool:
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return bool(x0 - mx <= p[0] <= x1 + mx and y0 - my <= p[1] <= y1 + my)


def _surface(pic: d.Picture, s: PathStory, step: float, box, frame: int) -> None:
    """The log surface from a camera circling it, the paths riding on it: projected (a
    wireframe) for a video, in 3-D for a page."""
    t = s.theme
    azimuth = -55 + 50 * frame / max(s.count - 1, 1)
    orbit = Orbit(box, s.x_range, s.y_range, azimuth)
    flat: list[d.Shape2D] = [*wireframe(orbit, s.xs, s.ys, s.z, t)]
    paths = []
    for i, path in enumerate(s.paths):
        head, _stopped = s.point(i, step)
        reached = np.vstack([path[: min(int(step), len(path) - 1) + 1], head])
        for piece in clip_polyline(reached, s.x_range, s.y_range):
            lifted = np.column_stack([piece, s.z(piece[:, 0], piece[:, 1]) + 0.01])
            paths.append(d.Path3D(lifted, s.colors[i], 2.4))
            px, py, _ = orbit.project(*lifted.T)
            flat.append(d.Polyline(tuple(zip(px, py, strict=True)), s.colors[i], 2.4))
        if _inside(s, head, 0.0):
            tip = np.array([[head[0], head[1], float(s.z([head[0]], [head[1]])[0]) + 0.01]])
            paths.append(d.Path3D(tip, s.colors[i], 0.0, head=5.0))
            px, py, _ = orbit.project(*tip.T)
            flat.append(d.Circle((px[0], py[0]), 5.0, s.colors[i], t.background, 1.0))
    pic.add(d.View3D(box, (s.x_range, s.y_range, (0.0, 1.1)), ("x", "y", "log f"), azimuth, 32,
                     tuple(flat), d.Surface3D(s.xs, s.ys, s.height, s.values, ("x", "y", "f")),
                     tuple(paths)))


def _legend_items(s: PathStory, step: float) -> list[LegendItem]:
    items = []
    for i, opt in enumerate(s.opts):
        _, stopped = s.point(i, step)
        status = f"{opt['stop']} at step {opt['diverged_at']}" if stopped else \
            f"loss {format_number(s.loss(i, step))}"
        items.append(LegendItem(s.colors[i], f"{opt['label']}  {status}", "line"))
    return items


def _legend(pic: d.Picture, s: PathStory, step: float, at, width: float) -> None:
    pic.add(*s.frame.legend(_legend_items(s, step), at, width))


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
    f = s.frame
    pic.add(d.Rect(box, t.panel, t.grid, 1.0),
            d.Label((x0, y0 + h + f.dy("small")), "loss (log scale)" + (" − min" if shift else ""),
                    f.size("label"), t.text, "left", "bottom"),
            d.Label((x0 + w, y0 - f.dy("tight")), "step", f.size("tick"), t.muted, "right", "top"))
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
        claim = lowest_claim([opt["label"] for opt in s.opts],
                             [s.loss(i, step) for i in range(len(s.opts))])
        return f"After {s.steps} steps, {claim.text}"
    return "Same start, same gradients: only the update rule differs"
