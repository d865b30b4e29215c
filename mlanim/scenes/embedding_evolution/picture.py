"""Frames of the embedding scene as backend-neutral pictures: one square panel per projection
method, the class legend and the accuracy so far; traced samples with their trails and images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, axes_room, line_chart, value_row_height
from mlanim.draw.frame import LegendItem
from mlanim.scenes.embedding_evolution.story import METHOD_NAMES, METHOD_NOTES, EmbeddingStory

Box = tuple[float, float, float, float]
THUMBNAIL_PT = 39  # a traced sample's image, in points
WIDEST = 1.5
"""A single panel beside the legend may be this much wider than tall (equal axes still):
a square would leave the frame's width unused."""


def embedding_picture(story: EmbeddingStory, frame: int) -> d.Picture:
    """One frame of the embedding scene."""
    s = story
    position = s.position(frame)
    pic = d.Picture()
    _header(pic, s, position)
    place = _layout(s)
    for method, box, room in zip(s.methods, place.panels, _title_rooms(s, place.panels),
                                 strict=True):
        _panel(pic, s, method, box, room, position)
    if place.note:
        note = "each dot is one sample, coloured by its true class"
        size = s.frame.fit(note, "label", place.legend_width, smallest=0.6)
        pic.add(d.Label(place.note, note, size, s.theme.muted, "left", "top"))
    pic.add(*s.frame.legend(_legend_items(s), place.legend_at, place.legend_width,
                            centered=place.centered))
    if place.chart is not None:
        _accuracy_chart(pic, s, position, place.chart)
    _caption(pic, s, frame, position)
    return pic


@dataclass(frozen=True)
class EmbeddingLayout:
    """Where the panels, legend and accuracy chart go."""

    panels: list[Box]
    legend_at: tuple[float, float]
    legend_width: float
    centered: bool
    chart: Box | None
    note: tuple[float, float] | None


def _legend_items(s: EmbeddingStory) -> list[LegendItem]:
    items = [LegendItem(s.theme.class_color(k), name) for k, name in enumerate(s.class_names)]
    items.append(LegendItem(s.theme.text, "ringed: misclassified now", "ring"))
    if s.traced:
        items.append(LegendItem(s.theme.text, "traced sample, with its path", "diamond"))
    return items


def _layout(s: EmbeddingStory) -> EmbeddingLayout:
    """Square panels in a row or a column, whichever holds larger ones; beside a single panel
    the legend and the accuracy chart, below several the legend (and the chart in portrait)."""
    f, count = s.frame, len(s.methods)
    x, y, w, h = f.body
    heading = f.line("heading") + f.dy("small")
    room_x, room_y = axes_room(f)
    rows = value_row_height(f, 2)
    wide = f.video.width > f.video.height
    if count == 1 and wide:
        left, right = f.split(f.body, [1.4, 1], gap="band")
        panel = f.square(f.inset(left, top=f.points_y(heading)), align="left", widest=WIDEST)
        spare = left[0] + left[2] - (panel[0] + panel[2])  # the square left this unused
        rx, ry, rw, rh = right[0] - spare, right[1], right[2] + spare, right[3]
        note_h = f.line("label") + f.dy("gap")
        legend_h = f.legend_height(_legend_items(s), rw)
        chart_h = min(rh * 0.45, rh - note_h - legend_h - room_y - rows - f.dy("block"))
        chart = (rx + room_x, ry + room_y, rw - room_x, chart_h)
        return EmbeddingLayout([panel], (rx, ry + rh - note_h), rw, False, chart, (rx, ry + rh))
    legend_h = f.legend_height(_legend_items(s), w)
    chart_h = max(h * 0.2, f.dy("strip")) if not wide else 0.0
    top = y + chart_h + legend_h + f.dy("wide")
    area = (x, top, w, y + h - top - heading)
    parts = f.split_for_squares(area, count, gap="gutter")
    panels = [f.square(part) for part in parts]
    chart = (x + room_x, y + room_y, w - room_x, chart_h - room_y - rows) if chart_h else None
    return EmbeddingLayout(panels, (0.5, y + chart_h + legend_h), w, True, chart, None)


def _header(pic: d.Picture, s: EmbeddingStory, position: float) -> None:
    accuracy = f"accuracy {s.metric('train_acc', position):.0%} train"
    if s.metrics.get("val_acc") is not None:
        accuracy += f" · {s.metric('val_acc', position):.0%} held out"
    epoch = s.epoch(position)
    shown = f"{epoch:.1f}" if epoch < 1 else f"{epoch:.0f}"
    pic.add(*s.frame.header(f"{s.unit} {shown} / {s.total_epochs:.0f}", accuracy))


def _title_rooms(s: EmbeddingStory, panels: list[Box]) -> list[float]:
    """How wide each panel's title may run: to the next panel in its row, else to the frame's
    right edge."""
    f = s.frame
    edge = f.body[0] + f.body[2]
    rooms = []
    for box, after in zip(panels, [*panels[1:], None], strict=True):
        in_row = after is not None and after[0] >= box[0] + box[2]
        rooms.append((after[0] - f.dx("small") if in_row else edge) - box[0])
    return rooms


def _panel(pic: d.Picture, s: EmbeddingStory, method: str, box: Box, title_room: float,
           position: float) -> None:
    t = s.theme
    x0, y0, _, h = box
    pic.add(d.Rect(box, t.panel, t.grid, 1.0))
    place = _placer(s, method, box)
    if method == "star":
        _star_axes(pic, s, place)
    xy, beyond = _pinned(place(s.points(method, position)), box)
    radius = _point_radius(len(xy))
    texts = s.point_texts(position)
    pic.add(d.Scatter(xy[~beyond], radius, s.colors[s.labels][~beyond], alpha=0.85,
                      hover=tuple(texts[~beyond])))
    if beyond.any():  # outside the fixed window: pinned to its edge, faded
        pic.add(d.Scatter(xy[beyond], radius, s.colors[s.labels][beyond], alpha=0.3,
                          hover=tuple(texts[beyond])))
    wrong = s.wrong(position)
    if wrong.any():
        pic.add(d.Scatter(xy[wrong], radius + 1.3, None, t.text, 0.7, alpha=0.45))
    for rank, sample in enumerate(s.traced):
        _traced(pic, s, method, place, sample, rank, position, box)
    title = f"{METHOD_NAMES[method]} · {METHOD_NOTES[method]}"
    if method == "pca" and len(s.methods) == 1:
        basis = s.spec.embed.basis
        title += " of the last epoch" if basis == -1 else f" of snapshot {basis}"
    size = s.frame.size("heading")
    if s.frame.width(title, size, bold=True) > title_room:
        title = METHOD_NAMES[method]
    pic.add(d.Label((x0, y0 + h + s.frame.dy("small")), title, size, t.text, "left", "bottom",
                    bold=True))


def _placer(s: EmbeddingStory, method: str, box: Box):
    """Layout coordinates -> figure fractions inside ``box`` (the method's fixed window)."""
    x0, y0, w, h = box
    bx, by, size, _ = s.bounds[method] if method != "star" else (-1.2, -1.2, 2.4, 2.4)
    aspect = s.frame.pixel_aspect(box)  # a wider panel shows more of x: equal axes
    wide, tall = size * max(aspect, 1.0), size / min(aspect, 1.0)
    bx, by = bx - (wide - size) / 2, by - (tall - size) / 2

    def place(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.column_stack([x0 + (points[:, 0] - bx) / wide * w,
                                y0 + (points[:, 1] - by) / tall * h])

    return place


def _pinned(xy: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Points clamped into ``box``, and which of them lay outside it (the window holds 99.5%
    of every snapshot's points, so an early outlier may)."""
    x0, y0, w, h = box
    inside = np.column_stack([np.clip(xy[:, 0], x0, x0 + w), np.clip(xy[:, 1], y0, y0 + h)])
    return inside, np.any(inside != xy, axis=1)


def _point_radius(count: int) -> float:
    if count <= 500:
        return 4.0
    if count <= 2500:
        return 2.6
    return 1.8 if count <= 6000 else 1.3


def _star_axes(pic: d.Picture, s: EmbeddingStory, place) -> None:
    """The class polygon with each class's name at its corner."""
    t = s.theme
    corners = place(s.star_vertices)
    center = place(np.zeros((1, 2)))[0]
    ring = (*[tuple(c) for c in corners], tuple(corners[0]))
    pic.add(d.Polyline(ring, t.grid, 1.0))
    for k, corner in enumerate(corners):
        pic.add(d.Line(tuple(center), tuple(corner), t.grid, 0.8))
        outward = (corner - center) * 0.07
        pic.add(d.Label(tuple(corner + outward), s.class_names[k], s.frame.size("heading"),
                        t.class_color(k),
                        bold=True))


def _traced(pic: d.Picture, s: EmbeddingStory, method: str, place, sample: int, rank: int,
            position: float, box: Box) -> None:
    """A sample's path so far, its current point (a diamond: the legend's traced mark), and
    its image (or number) in a slot of its own along the panel's side, linked to the point."""
    t, f = s.theme, s.frame
    upto = int(position)
    path, _ = _pinned(place(np.vstack([s.layouts[method][: upto + 1, sample],
                                       s.points(method, position)[sample]])), box)
    color = t.class_color(int(s.labels[sample]))
    if len(path) > 1:
        pic.add(d.Polyline(tuple(map(tuple, path)), t.text, 1.4))
    head = tuple(path[-1])
    rx, ry = f.dx("gap"), f.dy("gap")
    pic.add(d.Polygon(((head[0] - rx, head[1]), (head[0], head[1] + ry), (head[0] + rx, head[1]),
                       (head[0], head[1] - ry)), color, 1.0),
            d.Polyline(((head[0] - rx, head[1]), (head[0], head[1] + ry),
                        (head[0] + rx, head[1]), (head[0], head[1] - ry),
                        (head[0] - rx, head[1])), t.text, 1.2))
    x0, y0, w, h = box
    predicted = s.class_names[int(s.predicted[min(round(position), len(s.predicted) - 1),
                                              sample])]
    truth = s.class_names[int(s.labels[sample])]
    note = f"#{sample}: {truth}" + ("" if predicted == truth else f", seen as {predicted}")
    if s.thumbnails is None:  # tabular data: the note goes in the panel's corner, linked
        at = (x0 + f.dx("gap"), y0 + h - f.dy("small") - rank * f.line("value"))
        pic.add(d.Line((at[0] + f.dx("tight"), at[1] - f.line("value") / 2), head, color, 0.8, 0.6))
        pic.add(d.Label(at, note, f.size("value"), t.text, "left", "top"))
        return
    size_w, size_h = f.dx(THUMBNAIL_PT), f.dy(THUMBNAIL_PT)
    slot_h = size_h + f.line("value") + f.dy("pad")
    per_column = max(1, int((h - f.dy("small")) // slot_h))
    column, row = divmod(rank, per_column)
    right_side = column % 2 == 0
    left = x0 + w - size_w - f.dx("small") if right_side else x0 + f.dx("small")
    left += (-1 if right_side else 1) * (column // 2) * (size_w + f.dx("gap"))
    bottom = y0 + h - f.dy("small") - size_h - row * slot_h
    pic.add(d.Line(head, (left + (0 if right_side else size_w), bottom + size_h / 2), color,
                   1.0, 0.7))
    image = s.thumbnails[rank]
    ink = image if s.theme.name == "dark" else 1 - image
    pic.add(d.Image((left, bottom, size_w, size_h), np.repeat(ink[..., None], 3, axis=2)),
            d.Rect((left, bottom, size_w, size_h), None, color, 2.0))
    # flush with the image's outer edge, so a long note runs into the panel, not out of it
    pic.add(d.Label((left + size_w if right_side else left, bottom - f.dy("thin")), note,
                    f.fit(note, "value", size_w * 2.2), t.text,
                    "right" if right_side else "left", "top"))


def _accuracy_chart(pic: d.Picture, s: EmbeddingStory, position: float, box: Box) -> None:
    t = s.theme
    series = [Series("train accuracy", s.metrics["train_acc"], t.train, percent=True)]
    if "val_acc" in s.metrics:
        series.append(Series("held-out accuracy", s.metrics["val_acc"], t.val, dashed=True,
                             percent=True))
    pic.add(*line_chart(s.frame, box, s.metric_epochs, series, s.epoch(position), s.unit,
                        top=1.0))


def _caption(pic: d.Picture, s: EmbeddingStory, frame: int, position: float) -> None:
    phase = s.timeline.at(frame).phase
    wrong = int(s.wrong(position).sum())
    if phase == "start":
        text = (f"Before training, layer {s.layer} mixes the classes: the colours overlap "
                f"({wrong} of {len(s.labels)} samples misclassified)")
    elif phase == "end":
        split = "held-out" if "val_acc" in s.metrics else "training"
        right = s.metrics.get("val_acc", s.metrics["train_acc"])[-1]
        apart = s.final_separation
        where = ("each class has its own region" if apart.fired else
                 f"the classes still overlap in this view ({apart.text})")
        text = (f"After {s.total_epochs:.0f} {s.unit}s {where}: {right:.0%} of {split} "
                f"samples right, {wrong} points still ringed")
    elif "star" in s.methods and len(s.methods) == 1:
        text = ("A point sits at its class corner when the model is sure; near the centre "
                "when it hesitates")
    else:
        text = (f"Samples of one class move together as training separates them; ringed: "
                f"misclassified now ({wrong})")
    pic.add(*s.frame.caption(text))
