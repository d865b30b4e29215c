"""Frames of the embedding scene as backend-neutral pictures: one square panel per projection
method, the class legend and the accuracy so far; traced samples with their trails and images."""

from __future__ import annotations

import textwrap

import numpy as np

from mlanim.render import display as d
from mlanim.render.charts import Series, line_chart
from mlanim.scenes.embedding_evolution.story import METHOD_NAMES, METHOD_NOTES, EmbeddingStory

Box = tuple[float, float, float, float]
POINT_PX = 100 / 72
THUMBNAIL_PX = 54


def embedding_picture(story: EmbeddingStory, frame: int) -> d.Picture:
    """One frame of the embedding scene."""
    s, v = story, story.video
    position = s.position(frame)
    pic = d.Picture()
    _header(pic, s, position)
    panels, side = _panel_boxes(s)
    for method, box in zip(s.methods, panels, strict=True):
        _panel(pic, s, method, box, position)
    _legend_and_chart(pic, s, position, panels, side)
    if v.captions:
        _caption(pic, s, frame, position)
    return pic


def _px(s: EmbeddingStory, points: float) -> float:
    return points * s.video.scale * POINT_PX


def _panel_boxes(s: EmbeddingStory) -> tuple[list[Box], float]:
    """Square panels in a row (landscape) or a column (portrait), as large as fits beside the
    legend and chart; returns the boxes and the side in pixels."""
    v, count = s.video, len(s.methods)
    top, bottom = (0.80, 0.12) if not v.portrait else (0.84, 0.34)
    height_px = (top - bottom) * v.height - _px(s, 12) * 2.2
    gap = 22 * v.scale
    if v.portrait:
        side = min(height_px / count - gap, 0.9 * v.width) if count > 1 else \
            min(height_px, 0.9 * v.width)
        side = min(side, (0.9 * v.width - gap * (count - 1)) / count) if count > 1 else side
        used = count * side + (count - 1) * gap
        left = (v.width - used) / 2
        y = (bottom * v.height + height_px - side)
        return [((left + k * (side + gap)) / v.width, y / v.height, side / v.width,
                 side / v.height) for k in range(count)], side
    reserved = 0.0 if count > 1 else 0.36 * v.width
    side = min(height_px, (0.92 * v.width - reserved - gap * (count - 1)) / count)
    left = 0.05 * v.width if count == 1 else (v.width - count * side - (count - 1) * gap) / 2
    y = bottom * v.height + (height_px - side) / 2
    return [((left + k * (side + gap)) / v.width, y / v.height, side / v.width, side / v.height)
            for k in range(count)], side


def _header(pic: d.Picture, s: EmbeddingStory, position: float) -> None:
    t, v = s.theme, s.video
    unit = min(v.width, v.height) / v.height
    top = 1 - 0.045 * unit
    held_out = s.metrics.get("val_acc")
    accuracy = f"accuracy {s.metric('train_acc', position):.0%} train"
    if held_out is not None:
        accuracy += f" · {s.metric('val_acc', position):.0%} held out"
    sub = f"{s.dataset}, {len(s.labels)} samples · {s.network} · layer {s.layer}"
    epoch = f"epoch {s.epoch(position):.1f}" if s.epoch(position) < 1 else \
        f"epoch {s.epoch(position):.0f}"
    pic.add(d.Label((0.04, top), s.title, 20, t.text, "left", "top", bold=True))
    if v.portrait:
        lines = textwrap.wrap(sub, max(30, int(0.9 * v.width / (_px(s, 11) * 0.55))))
        for k, line in enumerate(lines, start=1):
            pic.add(d.Label((0.04, top - 0.034 * k * unit), line, 11, t.muted, "left", "top"))
        y = top - 0.034 * (len(lines) + 1) * unit
        pic.add(d.Label((0.04, y), f"{epoch} / {s.total_epochs:.0f}", 16, t.accent, "left",
                        "top", bold=True),
                d.Label((0.96, y), accuracy, 11, t.text, "right", "top"))
        return
    fitted = max(7.0, min(11.0, 0.64 * v.width / (0.68 * len(sub) * _px(s, 1))))
    pic.add(d.Label((0.04, top - 0.06 * unit), sub, fitted, t.muted, "left", "top"),
            d.Label((0.965, top), f"{epoch} / {s.total_epochs:.0f}", 20, t.accent, "right",
                    "top", bold=True),
            d.Label((0.965, top - 0.06 * unit), accuracy, 11.5, t.text, "right", "top"))


def _panel(pic: d.Picture, s: EmbeddingStory, method: str, box: Box, position: float) -> None:
    t = s.theme
    x0, y0, _, h = box
    pic.add(d.Rect(box, t.panel, t.grid, 1.0))
    place = _placer(s, method, box)
    if method == "star":
        _star_axes(pic, s, place)
    xy = place(s.points(method, position))
    radius = _point_radius(len(xy))
    pic.add(d.Scatter(xy, radius, s.colors[s.labels], alpha=0.85))
    wrong = s.wrong(position)
    if wrong.any():
        pic.add(d.Scatter(xy[wrong], radius + 1.3, None, t.text, 0.7, alpha=0.45))
    for rank, sample in enumerate(s.traced):
        _traced(pic, s, method, place, sample, rank, position, box)
    title = f"{METHOD_NAMES[method]} · {METHOD_NOTES[method]}"
    if method == "pca" and len(s.methods) == 1:
        basis = s.spec.embed.basis
        title += " of the last epoch" if basis == -1 else f" of snapshot {basis}"
    pic.add(d.Label((x0, y0 + h + 0.012), title, 12, t.text, "left", "bottom", bold=True))


def _placer(s: EmbeddingStory, method: str, box: Box):
    """Layout coordinates -> figure fractions inside ``box`` (the method's fixed window)."""
    x0, y0, w, h = box
    bx, by, size, _ = s.bounds[method] if method != "star" else (-1.2, -1.2, 2.4, 2.4)

    def place(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.column_stack([x0 + (points[:, 0] - bx) / size * w,
                                y0 + (points[:, 1] - by) / size * h])

    return place


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
        pic.add(d.Label(tuple(corner + outward), s.class_names[k], 12, t.class_color(k),
                        bold=True))


def _traced(pic: d.Picture, s: EmbeddingStory, method: str, place, sample: int, rank: int,
            position: float, box: Box) -> None:
    """A sample's path so far, its current point, and its image (or number) beside it."""
    t = s.theme
    upto = int(position)
    path = place(np.vstack([s.layouts[method][: upto + 1, sample],
                            s.points(method, position)[sample]]))
    color = t.class_color(int(s.labels[sample]))
    if len(path) > 1:
        pic.add(d.Polyline(tuple(map(tuple, path)), t.text, 1.4))
    head = tuple(path[-1])
    pic.add(d.Circle(head, 5.5, color, t.text, 1.5))
    x0, y0, w, h = box
    size_w, size_h = THUMBNAIL_PX * s.video.scale / s.video.width, \
        THUMBNAIL_PX * s.video.scale / s.video.height
    side = 1 if head[0] < x0 + w * 0.75 else -1
    lift = 1 if head[1] < y0 + h * 0.75 else -1
    if rank % 2 and y0 + h * 0.25 < head[1] < y0 + h * 0.75:
        lift = -lift  # every other sample's image below its point, apart from the others
    corner = (head[0] + side * (0.02 + rank * 0.004), head[1] + lift * (0.03 + rank * 0.01))
    left = corner[0] if side > 0 else corner[0] - size_w
    bottom = corner[1] if lift > 0 else corner[1] - size_h
    pic.add(d.Line(head, (left + size_w / 2, bottom + size_h / 2), t.text, 1.0, 0.7))
    predicted = s.class_names[int(s.predicted[min(round(position), len(s.predicted) - 1),
                                              sample])]
    truth = s.class_names[int(s.labels[sample])]
    note = f"#{sample}: {truth}" + ("" if predicted == truth else f", seen as {predicted}")
    if s.thumbnails is not None:
        image = s.thumbnails[rank]
        ink = image if s.theme.name == "dark" else 1 - image
        pic.add(d.Image((left, bottom, size_w, size_h), np.repeat(ink[..., None], 3, axis=2)),
                d.Rect((left, bottom, size_w, size_h), None, color, 2.0))
    else:
        pic.add(d.Rect((left, bottom, size_w, size_h * 0.45), t.panel, color, 1.5))
    pic.add(d.Label((left + size_w / 2, bottom - 0.008), note, 9.5, t.text, "center", "top"))


def _legend_and_chart(pic: d.Picture, s: EmbeddingStory, position: float, panels: list[Box],
                      side_px: float) -> None:
    t, v = s.theme, s.video
    count = len(s.class_names)
    if len(s.methods) == 1 and not v.portrait:
        x0, y0, w, h = panels[0]
        left = x0 + w + 0.05
        top = y0 + h - 0.01
        per_column = int(np.ceil(count / 2)) if count > 6 else count
        pic.add(d.Label((left - 0.01, top + 0.045), "each dot is one sample, coloured by its "
                        "true class", 11, t.muted, "left"))
        for k, name in enumerate(s.class_names):
            column, row = divmod(k, per_column)
            at = (left + column * 0.12, top - row * 0.045)
            pic.add(d.Circle(at, 6, t.class_color(k), None),
                    d.Label((at[0] + 0.014, at[1]), name, 12, t.text, "left"))
        box = (left, y0 + 0.02, 0.96 - left, 0.22)
        _accuracy_chart(pic, s, position, box)
        pic.add(d.Circle((left, top - (per_column + 0.3) * 0.045), 6, None, t.text, 1.2),
                d.Label((left + 0.014, top - (per_column + 0.3) * 0.045),
                        "ringed: misclassified now", 11, t.muted, "left"))
        return
    # below the panels: the legend in one row (compare view, portrait)
    below = min(p[1] for p in panels) - 0.06
    step = min(0.9 / count, 0.11)
    start = 0.5 - step * count / 2
    for k, name in enumerate(s.class_names):
        at = (start + k * step + 0.01, below)
        pic.add(d.Circle(at, 5.5, t.class_color(k), None),
                d.Label((at[0] + 0.012, at[1]), name, 11, t.text, "left"))
    if v.portrait:
        _accuracy_chart(pic, s, position, (0.12, below - 0.17, 0.8, 0.11))


def _accuracy_chart(pic: d.Picture, s: EmbeddingStory, position: float, box: Box) -> None:
    t = s.theme
    series = [Series("train accuracy", s.metrics["train_acc"], t.train, percent=True)]
    if "val_acc" in s.metrics:
        series.append(Series("held-out accuracy", s.metrics["val_acc"], t.val, dashed=True,
                             percent=True))
    pic.add(*line_chart(box, s.metric_epochs, series, s.epoch(position), t, "epoch", top=1.0))


def _caption(pic: d.Picture, s: EmbeddingStory, frame: int, position: float) -> None:
    t, v = s.theme, s.video
    phase = s.timeline.at(frame).phase
    wrong = int(s.wrong(position).sum())
    if phase == "start":
        text = (f"Before training, layer {s.layer} mixes the classes: the colours overlap "
                f"({wrong} of {len(s.labels)} samples misclassified)")
    elif phase == "end":
        held = s.metrics.get("val_acc", s.metrics["train_acc"])[-1]
        text = (f"After {s.total_epochs:.0f} epochs each class has its own region: "
                f"{held:.0%} of held-out samples right, {wrong} points still ringed")
    elif "star" in s.methods and len(s.methods) == 1:
        text = ("A point sits at its class corner when the model is sure; near the centre "
                "when it hesitates")
    else:
        text = (f"Samples of one class move together as training separates them; ringed: "
                f"misclassified now ({wrong})")
    lines = textwrap.wrap(text, max(30, int(0.92 * v.width / (_px(s, 13) * 0.55))))
    for k, line in enumerate(reversed(lines)):
        pic.add(d.Label((0.5, 0.03 + k * _px(s, 13) * 1.4 / v.height), line, 13, t.text,
                        "center", "bottom"))
