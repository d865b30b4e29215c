"""One frame of the feature-space scene: the 2-unit plane with the output layer's classes
shaded and its boundaries drawn (or the 3-unit space with its boundary planes, orbiting), every
point where the layer puts it, and accuracy so far."""

from __future__ import annotations

import itertools

import numpy as np

from mlanim.analysis.fields import boundary_lines, boundary_polygons
from mlanim.draw import display as d
from mlanim.draw.charts import Series, axes_room, chart_axes, chart_curves, value_row_height
from mlanim.draw.fields import field_colors
from mlanim.draw.frame import Box, LegendItem
from mlanim.draw.surface_view import Orbit
from mlanim.draw.theme import mix, rgb
from mlanim.draw.timeline import blend
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
            left, right = f.split(f.body, [1.1, 1], gap="halves_wide")
            self.panel = f.square(f.inset(left, bottom="section", top="section"), align="left")
            legend_at, width = (right[0], y + h), right[2]
            legend_h = f.legend_height(items, width)
            chart_h = min(right[3] * 0.45, right[3] - legend_h - f.dy("band"))
            self.chart: Box = (right[0] + room_x, y + room_y, width - room_x,
                               chart_h - room_y - value_row_height(f, 2))
        else:
            legend_h = f.legend_height(items, w)
            chart_h = max(h * 0.22, f.dy("strip_tall"))
            top = y + chart_h + legend_h + f.dy("panel")
            self.panel = f.square(f.inset((x, top, w, y + h - top), bottom=14, top=14))
            legend_at, width = (0.5, y + chart_h + legend_h), w
            self.chart = (x + room_x, y + room_y, w - room_x,
                          chart_h - room_y - value_row_height(f, 2))
        self.background = (
            *f.titles(), *self._panel_background(),
            *f.legend(items, legend_at, width, centered=f.video.width < f.video.height),
            *chart_axes(f, self.chart, "epoch", 1.0, True, (0.0, float(story.epochs[-1]))))
        self.palette = np.array([rgb(self.t.class_color(k))
                                 for k in range(len(story.class_names))])

    def _panel_background(self) -> list[d.Shape]:
        """The panel and its axis names."""
        f, t = self.f, self.t
        x0, y0, pw, ph = self.panel
        tick = f.size("tick")
        return [d.Rect(self.panel, t.panel, t.grid, 1.0),
                d.Label((x0 + pw, y0 - f.dy("tight")), "unit 1 →", tick, t.muted, "right", "top"),
                d.Label((x0, y0 + ph + f.dy("tight")), "↑ unit 2", tick, t.muted, "left", "bottom")]

    def _place(self, points: np.ndarray, frame: int) -> np.ndarray:
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
        pic.add(*self._panel(position, frame))
        series = [Series("train", s.metrics["train_acc"], t.train, percent=True)]
        if "val_acc" in s.metrics:
            series.append(Series("val", s.metrics["val_acc"], t.val, dashed=True, percent=True))
        pic.add(*chart_curves(f, self.chart, s.metric_epochs, series, s.epoch(position), 1.0,
                              "accuracy"))
        pic.add(*f.counter(f"epoch {s.epoch(position):.0f} / {s.epochs[-1]:g}"))
        pic.add(*f.caption(s.caption(frame)))
        return pic

    def _panel(self, position: float, frame: int) -> list[d.Shape]:
        """The layer's space and every row in it."""
        return [*self._space(position, frame), *self._points(position, frame)]

    def _space(self, position: float, frame: int) -> list[d.Shape]:
        """The output layer's class regions and boundary lines over the plane."""
        s, t = self.s, self.t
        probs = s.classes_on_grid(position)
        shapes: list[d.Shape] = []
        if s.spec.show.regions:
            shapes.append(d.Image(self.panel, field_colors(probs, t)[::-1], smooth=True))
        return shapes + [d.Polyline(tuple(map(tuple, self._place(line, frame))), t.text, 1.6)
                         for line in boundary_lines(s.grid_x, s.grid_y, probs)]

    def _points(self, position: float, frame: int) -> list[d.Shape]:
        """Training rows as dots and held-out rows as rings, in class colours; rows the
        model gets wrong at this snapshot ringed in the text colour."""
        s, t = self.s, self.t
        points = s.points_at(position)
        order = self._drawing_order(points, frame)
        xy = self._place(points, frame)[order]
        labels, held_out, wrong = (s.labels[order], s.held_out[order],
                                   s.wrong(position)[order])
        clipped = np.clip(xy, [self.panel[0], self.panel[1]],
                          [self.panel[0] + self.panel[2], self.panel[1] + self.panel[3]])
        radius = 3.0 * (300 / max(300, len(xy))) ** 0.5
        train = ~held_out
        texts = np.asarray(s.row_texts(position), dtype=object)[order]
        shapes: list[d.Shape] = [d.Scatter(clipped[train], radius,
                                           self.palette[labels[train]], t.background, 0.6,
                                           hover=tuple(texts[train]))]
        if s.spec.show.validation:
            for k in np.unique(labels[held_out]):
                rows = held_out & (labels == k)
                shapes.append(d.Scatter(clipped[rows], radius * 1.05, None,
                                        t.class_color(int(k)), 1.4, hover=tuple(texts[rows])))
        if wrong.any():
            shapes.append(d.Scatter(clipped[wrong], radius + 2.2, None, t.text, 1.0, 0.8))
        return shapes

    def _drawing_order(self, points: np.ndarray, frame: int) -> np.ndarray:
        """The order points are drawn in (the plane: as recorded)."""
        return np.arange(len(points))


class FeaturePicture3D(FeaturePicture):
    """The 3-unit space seen by a camera circling it: the box of the points' range, the output
    layer's boundary planes (where two classes tie and no other scores higher), and the
    points drawn far to near."""

    TURN = 110.0  # degrees the camera circles over the video
    ELEVATION = 24.0

    def _orbit(self, frame: int) -> Orbit:
        azimuth = 25.0 + self.TURN * frame / max(1, self.s.count - 1)
        return Orbit(self.panel, self.s.ranges[0], self.s.ranges[1], azimuth, self.ELEVATION)

    def _project(self, points: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Figure positions (N, 2) and depths (larger is farther) of layer coordinates."""
        low, high = self.s.ranges[2]
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        x, y, depth = self._orbit(frame).project(points[:, 0], points[:, 1],
                                                 (points[:, 2] - low) / (high - low))
        return np.column_stack([x, y]), depth

    def _panel_background(self) -> list[d.Shape]:
        return [d.Rect(self.panel, self.t.panel, self.t.grid, 1.0)]

    def _panel(self, position: float, frame: int) -> list[d.Shape]:
        """The space projected for a video; in 3-D, with its points and boundary planes, for
        a page."""
        s, t = self.s, self.t
        orbit = self._orbit(frame)
        points = s.points_at(position)
        texts = s.row_texts(position)
        clouds = [d.Cloud3D(points[~s.held_out], 3.0, self.palette[s.labels[~s.held_out]],
                            hover=tuple(np.asarray(texts, dtype=object)[~s.held_out]))]
        if s.spec.show.validation and s.held_out.any():
            clouds.append(d.Cloud3D(points[s.held_out], 3.0, None, t.muted,
                                    tuple(np.asarray(texts, dtype=object)[s.held_out])))
        wrong = s.wrong(position)
        if wrong.any():
            clouds.append(d.Cloud3D(points[wrong], 4.5, None, t.text,
                                    tuple(np.asarray(texts, dtype=object)[wrong])))
        facets = [d.Facet3D(polygon, mix(t.class_color(i), t.class_color(j), 0.5), 0.3)
                  for i, j, polygon in self._planes(position)]
        return [d.View3D(self.panel, s.ranges, ("unit 1", "unit 2", "unit 3"),
                         float(np.degrees(orbit.azimuth)), self.ELEVATION,
                         tuple(super()._panel(position, frame)), clouds=tuple(clouds),
                         facets=tuple(facets))]

    def _planes(self, position: float) -> list:
        """The output layer's boundary planes at ``position`` (classes i, j, polygon)."""
        weight = blend(self.s.weight, position).astype(np.float64)
        bias = blend(self.s.bias, position).astype(np.float64)
        return list(boundary_polygons(weight, bias, self.s.ranges))

    def _place(self, points: np.ndarray, frame: int) -> np.ndarray:
        return self._project(points, frame)[0]

    def _drawing_order(self, points: np.ndarray, frame: int) -> np.ndarray:
        """Far points first, so near ones are drawn over them."""
        return np.argsort(-self._project(points, frame)[1], kind="stable")

    def _space(self, position: float, frame: int) -> list[d.Shape]:
        """The box's edges and axis names, and the boundary planes at ``position``."""
        s, t, f = self.s, self.t, self.f
        corners = np.array(list(itertools.product(*s.ranges)))
        xy = self._place(corners, frame)
        shapes: list[d.Shape] = [
            d.Line(tuple(xy[a]), tuple(xy[b]), t.grid, 1.0)
            for a, b in itertools.combinations(range(8), 2)
            if np.count_nonzero(corners[a] != corners[b]) == 1]
        for axis in range(3):  # each axis' name at the far end of its edge from the low corner
            end = corners[0].copy()
            end[axis] = s.ranges[axis][1]
            at = self._place(end, frame)[0]
            shapes.append(d.Label(tuple(at), f"unit {axis + 1}", f.size("tick"), t.muted))
        for i, j, polygon in self._planes(position):
            outline = tuple(map(tuple, self._place(polygon, frame)))
            shapes += [d.Polygon(outline, mix(t.class_color(i), t.class_color(j), 0.5), 0.22),
                       d.Polyline((*outline, outline[0]), t.text, 1.0)]
        return shapes
