"""One frame of the decision-boundary scene as a `Picture`: the probability field with its
boundary and the data points, the class legend, and loss and accuracy charts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.analysis.fields import boundary_lines
from mlanim.draw import display as d
from mlanim.draw.charts import (
    Scale,
    Series,
    axes_room,
    chart_curves,
    scaled_axes,
    value_row_height,
    value_scale,
)
from mlanim.draw.fields import field_colors
from mlanim.draw.frame import Box, Frame, LegendItem
from mlanim.draw.theme import Theme, rgb
from mlanim.scenes.decision_boundary.story import Story


@dataclass(frozen=True)
class Chart:
    """A loss or accuracy chart: its box, curves and y axis."""

    name: str
    box: Box
    series: tuple[Series, ...]
    scale: Scale


class BoundaryPicture:
    """Lays the scene out once per render; `picture(frame)` composes each frame."""

    def __init__(self, story: Story, frame: Frame, theme: Theme) -> None:
        self.story, self.frame, self.theme = story, frame, theme
        self.legend_items = self._legend_items()
        self.field_box, legend_at, legend_width, chart_boxes = self._layout()
        self.charts = self._charts(chart_boxes)
        self.point_radius = 3.0 * (300 / max(300, len(story.x_train))) ** 0.5
        self.train_points = self._place(story.x_train)
        self.val_points = self._place(story.x_val)
        self.background = tuple(self._background(legend_at, legend_width))
        self.overlay = tuple(self._points())  # the data points lie over the changing field

    # -- layout, once ----------------------------------------------------------------------
    def _layout(self) -> tuple[Box, tuple[float, float], float, list[Box]]:
        f = self.frame
        x, y, w, h = f.body
        room_x, room_y = axes_room(f)
        if f.video.width >= f.video.height:
            left = f.split(f.body, [0.55, 0.45], gap=0)[0]
            field = f.square(f.inset(left, bottom="section", top="section"), align="left")
            right = field[0] + field[2] + f.dx("legend_room")
            width = x + w - right
            legend_h = f.legend_height(self.legend_items, width)
            charts_box = (right + room_x, y + room_y, width - room_x,
                          h - legend_h - f.dy("pad") - room_y)
            boxes = f.split(charts_box, [1, 1], vertical=True,
                            gap=f.space("block") + f.points_y(room_y + value_row_height(f)))
            boxes = [(bx, by, bw, bh - value_row_height(f)) for bx, by, bw, bh in boxes]
            return field, (right, y + h), width, boxes
        legend_h = f.legend_height(self.legend_items, w)
        charts_h = max(h * 0.3, f.dy("strip_taller"))
        below = charts_h + legend_h + f.dy("section")
        field_box = (x, y + below, w, h - below)
        field = f.square(f.inset(field_box, bottom="panel", top="section"))
        charts_box = (x + room_x, y + room_y, w - room_x,
                      charts_h - room_y - value_row_height(f, 2))
        boxes = f.split(charts_box, [1, 1], gap=f.space("block") + f.points_x(room_x))
        return field, (0.5, y + charts_h + legend_h), w, boxes

    def _legend_items(self) -> list[LegendItem]:
        items = [LegendItem(self.theme.class_color(k), name)
                 for k, name in enumerate(self.story.class_names)]
        if self.story.spec.show.validation and len(self.story.x_val):
            items.append(LegendItem(self.theme.muted, "held out", "ring"))
        return items

    def _charts(self, boxes: list[Box]) -> list[Chart]:
        t, story = self.theme, self.story
        charts = []
        for box, (name, curves) in zip(boxes, (("loss", story.loss),
                                               ("accuracy", story.accuracy)), strict=False):
            if not curves:
                continue
            series = tuple(Series("val" if label == "validation" else label,
                                  curve.values.astype(np.float64),
                                  t.train if label == "train" else t.val,
                                  dashed=label != "train", percent=name == "accuracy",
                                  x=np.asarray(curve.epochs, np.float64))
                           for label, curve in curves.items())
            charts.append(Chart(name, box, series,
                                value_scale(series, 1.0 if name == "accuracy" else None)))
        return charts

    def _background(self, legend_at: tuple[float, float], width: float) -> list[d.Shape]:
        f, t, story = self.frame, self.theme, self.story
        x0, y0, w, h = self.field_box
        shapes: list[d.Shape] = [*f.titles(), d.Rect(self.field_box, t.panel, t.grid, 1.0)]
        shapes += [d.Label((x0 + w, y0 - f.dy("tight")), f"{story.feature_names[0]} →",
                           f.size("tick"), t.muted, "right", "top"),
                   d.Label((x0, y0 + h + f.dy("tight")), f"↑ {story.feature_names[1]}",
                           f.size("tick"), t.muted, "left", "bottom")]
        centered = f.video.portrait
        shapes += f.legend(self.legend_items, legend_at, width, centered=centered)
        for chart in self.charts:
            shapes += scaled_axes(f, chart.box, story.unit, chart.scale, chart.name == "accuracy",
                                  (float(story.epochs[0]), story.total_epochs))
        return shapes

    def _place(self, points: np.ndarray) -> np.ndarray:
        """Data coordinates -> figure fractions inside the field panel."""
        story = self.story
        x0, y0, w, h = self.field_box
        (gx0, gx1), (gy0, gy1) = (story.grid_x[[0, -1]], story.grid_y[[0, -1]])
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.column_stack([x0 + (points[:, 0] - gx0) / (gx1 - gx0) * w,
                                y0 + (points[:, 1] - gy0) / (gy1 - gy0) * h])

    # -- one frame -------------------------------------------------------------------------
    def picture(self, index: int) -> d.Picture:
        """The picture shown by frame ``index``."""
        story, f = self.story, self.frame
        moment = story.moment(index)
        pic = d.Picture(background=self.background, overlay=self.overlay)
        probs = story.field(moment)
        pic.add(d.Image(self.field_box, field_colors(probs, self.theme)[::-1], smooth=True))
        pic.add(*self._boundary(probs))
        epoch = story.epoch(moment)
        for chart in self.charts:
            pic.add(*chart_curves(f, chart.box, story.epochs, chart.series, epoch,
                                  chart.scale.top, chart.name, chart.scale.bottom,
                                  chart.scale.log))
        pic.add(*f.counter(story.counter(moment)))
        pic.add(*f.caption(story.caption(moment)))
        if story.row_probs is not None:
            shown = len(story.x_train) + (len(story.x_val) if story.spec.show.validation else 0)
            pic.add(d.Hover(np.vstack([self.train_points, self.val_points])[:shown],
                            self.point_radius, story.row_texts(moment)[:shown]))
        return pic

    def _boundary(self, probs: np.ndarray) -> list[d.Shape]:
        """Where the predicted class flips: the zero lines of the class margins."""
        story = self.story
        return [d.Polyline(tuple(map(tuple, self._place(line))), self.theme.text, 1.6)
                for line in boundary_lines(story.grid_x, story.grid_y, probs)]

    def _points(self) -> list[d.Shape]:
        """Training points as dots, held-out points as rings, coloured by true class."""
        t, story = self.theme, self.story
        palette = np.array([rgb(t.class_color(k)) for k in range(len(story.class_names))])
        shapes: list[d.Shape] = [d.Scatter(
            self.train_points, self.point_radius, palette[story.y_train.astype(int)],
            t.background, 0.6, hover=self._row_text("training", story.y_train))]
        if story.spec.show.validation and len(story.x_val):
            labels = story.y_val.astype(int)
            for k in np.unique(labels):
                rows = np.flatnonzero(labels == k)
                shapes.append(d.Scatter(self.val_points[rows], self.point_radius * 1.05, None,
                                        t.class_color(int(k)), 1.4,
                                        hover=self._row_text("held-out", labels, rows)))
        return shapes

    def _row_text(self, split: str, labels: np.ndarray, rows: np.ndarray | None = None
                  ) -> tuple[str, ...] | None:
        """Which row and class each disc is, for a page; none where the story has each
        row's predictions (a `Hover` per frame says them)."""
        if self.story.row_probs is not None:
            return None
        names = self.story.class_names
        rows = np.arange(len(labels)) if rows is None else rows
        return tuple(f"{split} row {i} · {names[int(labels[i])]}" for i in rows)
