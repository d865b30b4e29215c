"""Display shapes as manim mobjects on a board's frame: lines, polygons and discs as
VMobjects, labels as Pango `Text` (`Lettering`), fields and heatmaps as `ImageMobject`,
sized as the videos draw them."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
from manim import Circle, ImageMobject, Line, Polygon, Rectangle, Text, VGroup, VMobject
from PIL.Image import Resampling

from mlanim.draw import display as d
from mlanim.draw.manim_canvas import FONT_PER_POINT
from mlanim.draw.surface_view import hex_color
from mlanim.manim.lettering import Lettering

STROKE_PER_POINT = 2.0
"""manim stroke width of a one-point line on a frame 8 manim units high (as the videos)."""
FRAME_HEIGHT = 8.0
UNIT_CIRCLE = Circle(radius=1.0, num_components=5).points
"""A disc's outline as four cubic Bezier curves, radius 1 about the origin: within 0.03% of
the circle (a thousandth of a pixel on a 5-pixel disc) and half the curves of manim's
default eight, which the camera strokes one by one."""
DASH_POINTS = 6.0
"""A dash and its gap, in points: about as matplotlib dashes the videos' lines."""


@dataclass(frozen=True)
class LineRun:
    """Straight strokes drawn one after another in one style: one mobject, each a subpath
    (a wireframe's 1,300 lines are one thing for manim's camera to stroke, not 1,300)."""

    lines: tuple[d.Line, ...]


def with_line_runs(shapes: list) -> list:
    """``shapes`` with each run of two or more consecutive lines of one colour, width and
    opacity as a `LineRun`, drawn in the same order (where translucent lines of a run cross,
    the crossing is no darker than a line)."""
    made: list = []
    for shape in shapes:
        last = made[-1] if made else None
        if isinstance(shape, d.Line) and isinstance(last, d.Line | LineRun):
            first = last if isinstance(last, d.Line) else last.lines[0]
            if (first.color, first.width, first.alpha) == (shape.color, shape.width,
                                                           shape.alpha):
                lines = (last,) if isinstance(last, d.Line) else last.lines
                made[-1] = LineRun((*lines, shape))
                continue
        made.append(shape)
    return made


class ShapeMobjects:
    """Makes the mobjects of shapes on a frame ``frame_size`` manim units (width, height),
    strokes as wide as they look on a board ``height_now`` units high."""

    def __init__(self, frame_size: np.ndarray, font: str, space: Any = None) -> None:
        self.frame_size = frame_size
        self.space = space
        """What makes 3-D views into 3-D mobjects (`mlanim.manim.space.Space`); None draws
        each as the video projects it."""
        self.height_now = float(frame_size[1])
        self.lettering = Lettering(font)

    def _point(self, at: tuple[float, float]) -> np.ndarray:
        """A figure fraction as a point of the board (its centre at the origin)."""
        return np.array([(at[0] - 0.5) * self.frame_size[0],
                         (at[1] - 0.5) * self.frame_size[1], 0.0])

    def _stroke(self, points: float) -> float:
        """A line width in points as a manim stroke width for the board's height now (manim
        does not scale stroke widths with a mobject, so they follow the board's size)."""
        return points * STROKE_PER_POINT * self.height_now / FRAME_HEIGHT

    def mobject(self, shape: d.Shape2D) -> Any:
        """The mobject of ``shape`` on the board's frame (its centre at the origin); None
        for a shape that draws nothing here."""
        if isinstance(shape, LineRun):
            return self._line_run(shape)
        if isinstance(shape, d.Line):
            return Line(self._point(shape.start), self._point(shape.end),
                        stroke_color=shape.color, stroke_width=self._stroke(shape.width),
                        stroke_opacity=shape.alpha)
        if isinstance(shape, d.Polyline):
            path = VMobject(stroke_color=shape.color, stroke_width=self._stroke(shape.width))
            corners = np.array([self._point(p) for p in shape.points])
            if not shape.dashed:
                return path.set_points_as_corners(corners)
            return dashed(path, corners, self._radius(DASH_POINTS))
        if isinstance(shape, d.Polygon):
            return Polygon(*[self._point(p) for p in shape.points], stroke_width=0,
                           fill_color=shape.fill, fill_opacity=shape.alpha)
        if isinstance(shape, d.Rect):
            return self._rect(shape)
        if isinstance(shape, d.Circle):
            return self._disc(shape.center, shape.radius, shape.fill, shape.edge,
                              shape.edge_width, shape.alpha)
        if isinstance(shape, d.Scatter):
            return self._scatter(shape)
        if isinstance(shape, d.Image):
            return self._image(shape)
        if isinstance(shape, d.Label):
            return self._label(shape)
        if isinstance(shape, d.View3D) and self.space is not None:
            return self.space.mobject(shape, self._point, self._stroke, self._radius)
        return None

    def _line_run(self, run: LineRun) -> VMobject:
        first = run.lines[0]
        ends = np.array([[self._point(line.start), self._point(line.end)]
                         for line in run.lines])  # (n, 2, 3)
        path = VMobject(stroke_color=first.color, stroke_width=self._stroke(first.width),
                        stroke_opacity=first.alpha)
        return path.set_points(straight_curves(ends[:, 0], ends[:, 1]))

    def _rect(self, shape: d.Rect) -> Rectangle:
        x, y, w, h = shape.box
        rect = Rectangle(width=w * self.frame_size[0], height=h * self.frame_size[1],
                         stroke_color=shape.edge or "#000000",
                         stroke_width=self._stroke(shape.edge_width) if shape.edge else 0,
                         fill_color=shape.fill or "#000000",
                         fill_opacity=1.0 if shape.fill else 0.0)
        return rect.move_to(self._point((x + w / 2, y + h / 2)))

    def _radius(self, points: float) -> float:
        """A radius in points (720p) as board units."""
        return points * self.frame_size[1] / 720 * 100 / 72

    def _disc(self, center: tuple[float, float], radius: float, fill: str | None,
              edge: str | None, edge_width: float, alpha: float) -> VMobject:
        disc = VMobject(fill_color=fill or "#000000", fill_opacity=alpha if fill else 0.0,
                        stroke_color=edge or "#000000",
                        stroke_width=self._stroke(edge_width) if edge else 0,
                        stroke_opacity=alpha)
        disc.set_points(UNIT_CIRCLE * self._radius(radius) + self._point(center))
        return disc

    def _scatter(self, shape: d.Scatter) -> VGroup:
        """The discs as one VMobject per fill colour (each disc a closed path of it): a
        scene of hundreds of points costs a few mobjects, not hundreds."""
        centers = np.asarray(shape.centers, np.float64).reshape(-1, 2)
        points = np.column_stack([(centers - 0.5) * self.frame_size, np.zeros(len(centers))])
        edge = {"stroke_color": shape.edge or "#000000", "stroke_opacity": shape.alpha,
                "stroke_width": self._stroke(shape.edge_width) if shape.edge else 0}
        return discs_by_fill(points, shape.colors, self._radius(shape.radius), shape.alpha,
                             edge)

    def _image(self, shape: d.Image) -> ImageMobject:
        pixels = (np.clip(np.asarray(shape.pixels, np.float64), 0, 1) * 255).round()
        image = ImageMobject(pixels.astype(np.uint8))
        # as the videos draw it: a field smooth, a heatmap's cells crisp
        image.set_resampling_algorithm(Resampling.BILINEAR if shape.smooth else
                                       Resampling.NEAREST)
        x, y, w, h = shape.box
        image.stretch_to_fit_width(w * self.frame_size[0])
        image.stretch_to_fit_height(h * self.frame_size[1])
        return image.move_to(self._point((x + w / 2, y + h / 2)))

    def _label(self, shape: d.Label) -> Text | None:
        content = shape.text.strip()
        if not content:
            return None
        size = shape.size * FONT_PER_POINT * self.frame_size[1] / FRAME_HEIGHT
        text = self.lettering.text(content, size, shape.color, shape.bold)
        anchor = {"left": 0, "center": 0.5, "right": 1}[shape.ha]
        rise = {"bottom": 0, "baseline": 0, "center": 0.5, "top": 1}.get(shape.va, 0.5)
        corner = text.get_corner(np.array([-1.0, -1.0, 0.0]))
        target = self._point(shape.at) - np.array([anchor * text.width, rise * text.height, 0])
        return text.shift(target - corner)


def shape_key(shape: Any) -> Any:
    """What tells ``shape`` apart from any other, arrays by their contents and shapes inside
    it by theirs (a dataclass's own hash leaves out the fields it does not compare); None
    when a part is unhashable."""
    key = _contents(shape)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _contents(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.shape, value.dtype.str, value.tobytes())
    if is_dataclass(value):
        return (type(value), *(_contents(getattr(value, f.name)) for f in fields(value)))
    if isinstance(value, tuple | list):
        return tuple(_contents(item) for item in value)
    return value


def dashed(path: VMobject, corners: np.ndarray, period: float) -> VMobject:
    """``path`` along ``corners`` as dashes, each half of ``period`` long and one subpath
    of it, the line's length split into whole periods (as manim's `DashedVMobject` does,
    which is 20 ms a line)."""
    lengths = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    total = float(along[-1])
    if total <= 0:
        return path.set_points_as_corners(corners)
    count = max(1, round(total / period))
    starts = np.arange(count) * (total / count)
    bounds = np.stack([starts, starts + total / count / 2], axis=1)  # (count, 2) distances
    ends = np.stack([np.interp(bounds, along, corners[:, i]) for i in range(3)], axis=-1)
    pieces = []
    for (start, end), (first, last) in zip(bounds, ends, strict=True):
        dash = np.vstack([first, corners[(along > start) & (along < end)], last])
        pieces.append(straight_curves(dash[:-1], dash[1:]))
    path.set_points(np.concatenate(pieces))
    return path


def straight_curves(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Straight pieces from ``starts`` to ``ends`` ((n, 3) each) as manim's cubic Bezier
    points (4n, 3), each piece a path of its own unless it begins where the last ended."""
    a, b = starts, ends
    return np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], axis=1).reshape(-1, 3)


def discs_by_fill(points: np.ndarray, colors: np.ndarray | None, radius: float,
                  alpha: float, edge: dict[str, Any]) -> VGroup:
    """Discs of ``radius`` about ``points`` ((n, 3) board points) as one VMobject per fill
    colour (``colors``: (n, 3) RGB in 0..1; None: unfilled), each disc a closed path of it,
    outlined as ``edge`` (manim's stroke keywords) says."""
    fills = ["" for _ in points] if colors is None else [hex_color(c) for c in colors]
    outline = UNIT_CIRCLE * radius
    groups = VGroup()
    for fill in dict.fromkeys(fills):
        chosen = points[[k for k, f in enumerate(fills) if f == fill]]
        discs = VMobject(fill_color=fill or "#000000", fill_opacity=alpha if fill else 0.0,
                         **edge)
        discs.set_points((chosen[:, None, :] + outline[None]).reshape(-1, 3))
        groups.add(discs)
    return groups
