"""One frame of the feature-space scene: the 2-unit plane with the output layer's classes
shaded and its boundaries drawn, every point where the layer puts it, and accuracy so far."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.fields import boundary_lines
from mlanim.render import display as d
from mlanim.render.charts import Series, axes_room, chart_axes, chart_curves, value_row_height
from mlanim.render.fields import field_colors
from mlanim.render.frame import Box, LegendItem
from mlanim.render.theme import rgb
from mlanim.scenes.feature_space.story import FeatureStory


class FeaturePicture:
    """Lays the scene out once; `picture(frame)` composes each frame."""

    def __init__(self, story: FeatureStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        f = self.f
        x, y, w, h = f.body
        items = [LegendItem(self.t.class_color(k), name)
                 for k, name in enumerate(story.class_names)]
        if story.spec.show.validation and story.held_out.any():
            items.append(LegendItem(self.t.muted, "held out", "ring"))
        items += [LegendItem(self.t.text, "misclassified now", "ring"),
                  LegendItem(self.t.text, "boundary of the output layer", "line")]
        room_x, room_y = axes_room(f)
        if f.video.width >= f.video.height:
            left, right = f.split(f.body, [1.1, 1], gap=36)
            self.panel = f.square(f.inset(left, bottom=14, top=14), align="left")
            legend_at, width = (right[0], y + h), right[2]
            legend_h = f.legend_height(items, width)
            chart_h = min(right[3] * 0.45, right[3] - legend_h - f.dy(30))
            self.chart: Box = (right[0] + room_x, y + room_y, width - room_x,
                               chart_h - room_y - value_row_height(f, 2))
        else:
            legend_h = f.legend_height(items, w)
            chart_h = max(h * 0.22, f.dy(100))
            top = y + chart_h + legend_h + f.dy(12)
            self.panel = f.square(f.inset((x, top, w, y + h - top), bottom=14, top=14))
            legend_at, width = (0.5, y + chart_h + legend_h), w
            self.chart = (x + room_x, y + room_y, w - room_x,
                          chart_h - room_y - value_row_height(f, 2))
        x0, y0, pw, ph = self.panel
        tick = f.size("tick")
        self.background = (
            *f.titles(), d.Rect(self.panel, self.t.panel, self.t.grid, 1.0),
            d.Label((x0 + pw, y0 - f.dy(3)), "unit 1 →", tick, self.t.muted, "right", "top"),
            d.Label((x0, y0 + ph + f.dy(3)), "↑ unit 2", tick, self.t.muted, "left", "bottom"),
            *f.legend(items, legend_at, width, centered=f.video.width < f.video.height),
            *chart_axes(f, self.chart, "epoch", 1.0, True, (0.0, float(story.epochs[-1]))))
        self.palette = np.array([rgb(self.t.class_color(k))
                                 for k in range(len(story.class_names))])

    def _place(self, points: np.ndarray) -> np.ndarray:
        """Plane coordinates -> figure fractions inside the panel."""
        s = self.s
        x0, y0, w, h = self.panel
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.column_stack([x0 + (points[:, 0] - s.x_range[0]) / np.ptp(s.x_range) * w,
                                y0 + (points[:, 1] - s.y_range[0]) / np.ptp(s.y_range) * h])

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s, t, f = self.s, self.t, self.f
        position = s.position(frame)
        pic = d.Picture(background=self.background)
        probs = s.classes_on_grid(position)
        if s.spec.show.regions:
            pic.add(d.Image(self.panel, field_colors(probs, t)[::-1], smooth=True))
        pic.add(*[d.Polyline(tuple(map(tuple, self._place(line))), t.text, 1.6)
                  for line in boundary_lines(s.grid_x, s.grid_y, probs)])
        pic.add(*self._points(position))
        series = [Series("train", s.metrics["train_acc"], t.train, percent=True)]
        if "val_acc" in s.metrics:
            series.append(Series("val", s.metrics["val_acc"], t.val, dashed=True, percent=True))
        pic.add(*chart_curves(f, self.chart, s.metric_epochs, series, s.epoch(position), 1.0,
                              "accuracy"))
        pic.add(*f.counter(f"epoch {s.epoch(position):.0f} / {s.epochs[-1]:g}"))
        pic.add(*f.caption(s.caption(frame)))
        return pic

    def _points(self, position: float) -> list[d.Shape]:
        """Training rows as dots and held-out rows as rings, in class colours; rows the
        model gets wrong at this snapshot ringed in the text colour."""
        s, t = self.s, self.t
        xy = self._place(s.points_at(position))
        clipped = np.clip(xy, [self.panel[0], self.panel[1]],
                          [self.panel[0] + self.panel[2], self.panel[1] + self.panel[3]])
        radius = 3.0 * (300 / max(300, len(xy))) ** 0.5
        train = ~s.held_out
        shapes: list[d.Shape] = [d.Scatter(clipped[train], radius,
                                           self.palette[s.labels[train]], t.background, 0.6)]
        if s.spec.show.validation:
            for k in np.unique(s.labels[s.held_out]):
                rows = s.held_out & (s.labels == k)
                shapes.append(d.Scatter(clipped[rows], radius * 1.05, None,
                                        t.class_color(int(k)), 1.4))
        wrong = s.wrong(position)
        if wrong.any():
            shapes.append(d.Scatter(clipped[wrong], radius + 2.2, None, t.text, 1.0, 0.8))
        return shapes
