"""Paints a `Picture` with manim's camera (cairo strokes and fills, Pango text; no LaTeX).

What a frame costs is what changes in it:
- the background is painted once and every frame starts from its pixels;
- labels are set by Pango exactly as manim's `Text` sets them, but rasterised once per string
  (`pango_text`) and blended in, on top of the frame's other shapes as with matplotlib;
- lines, curves and discs, which scenes draw by the hundred and move every frame, are stroked
  and filled by cairo straight into the camera's pixels with manim's widths, caps, joints and
  colours: the pixels a `Line` mobject gives (a test compares them), without building and
  discarding a mobject each per frame;
- rectangles and filled polygons are manim mobjects, each built once and reused while the
  same shape comes back;
- images are resized straight into their pixel box rather than through an `ImageMobject`.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.manim_canvas import FONT_PER_POINT, ManimCanvas, small_scratch_folder
from mlanim.draw.pango_text import PangoSprites
from mlanim.draw.sprites import Layers, blend, handed_on, paste, place
from mlanim.draw.theme import Theme, rgb
from mlanim.draw.video import VideoSettings

# manim stroke widths are in units of 1/100 of a manim unit at 1080p-equivalent; this maps a
# line width in points (720p) to them.
STROKE_PER_POINT = 2.0
MANIM_LINE_WIDTH = 0.01  # manim units of line width per unit of stroke_width
MOBJECTS_KEPT = 4096  # mobjects of recent shapes, reused when a shape comes back unchanged
MOBJECT_SHAPES = (d.Rect,)  # few and mostly unchanging: manim mobjects, reused
BEZIER_THIRDS = np.linspace(0, 1, 4)  # where manim puts a straight edge's curve points


class ManimPainter:
    """Paints each picture with one manim camera: rectangles and polygons as mobjects it
    captures, lines, discs and images straight into its pixels, labels as Pango sprites."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self.canvas = ManimCanvas(video, theme)
        self.texts = PangoSprites(theme.font, (video.width, video.height),
                                  self.canvas.frame_units, Path(small_scratch_folder()))
        self._kept: OrderedDict[d.Shape, object] = OrderedDict()
        self.layers = Layers(self._painted, premultiplied=True)  # cairo premultiplies
        self._cairo: tuple[np.ndarray, object] | None = None
        self._direct = {d.Line: self._line, d.Polyline: self._polyline, d.Circle: self._circle,
                        d.Polygon: self._polygon, d.Image: paste, d.Scatter: self._scatter}

    def paint(self, picture: d.Picture) -> np.ndarray:
        """Render ``picture`` and return the RGB frame."""
        background = self.layers.background(picture.background)
        overlay = self.layers.overlay(picture.overlay)
        pixels = self.canvas.camera.pixel_array
        pixels[...] = background
        labels = self._draw(d.flattened(picture.shapes), pixels)
        if overlay is not None:
            overlay.lay_over(pixels)
        self._blend_labels(labels, pixels)
        return handed_on(pixels)

    def _painted(self, shapes: tuple[d.Shape, ...], transparent: bool) -> np.ndarray:
        """``shapes`` alone on the theme's background (or on transparency), as RGBA pixels."""
        pixels = self.canvas.camera.pixel_array
        pixels[...] = 0 if transparent else self.canvas.blank
        self._blend_labels(self._draw(shapes, pixels), pixels)
        return pixels.copy()

    def _draw(self, shapes, pixels: np.ndarray) -> list[d.Label]:
        """Draw ``shapes`` but labels onto the camera's ``pixels`` in order; returns the labels."""
        labels, run = [], []
        for shape in shapes:
            if isinstance(shape, MOBJECT_SHAPES):
                if (mobject := self._mobject(shape)) is not None:
                    run.append(mobject)
                continue
            if isinstance(shape, d.Label):
                labels.append(shape)
                continue
            self.canvas.camera.capture_mobjects(run)
            run = []
            self._direct[type(shape)](shape, pixels)
        self.canvas.camera.capture_mobjects(run)
        return labels

    def _blend_labels(self, labels: list[d.Label], pixels: np.ndarray) -> None:
        size = (self.video.width, self.video.height)
        keys = [(label.text.lstrip(" "), self.canvas.font_size(label.size), label.color,
                 label.bold) for label in labels]
        self.texts.set_ahead(keys)
        for label, key in zip(labels, keys, strict=True):
            content = key[0]
            sprite = self.texts.sprite(*key)
            if sprite is None:
                continue
            at = label.at
            if label.ha == "left" and content != label.text:  # Pango drops leading spaces
                indent = len(label.text) - len(content)
                at = (at[0] + indent * label.size * 0.32 * 100 / 72 * self.video.scale
                      / self.video.width, at[1])
            # manim aligns a Text by its outline's box; its baseline is the box's bottom
            va = "bottom" if label.va == "baseline" else label.va
            blend(pixels, sprite, *place(sprite, at, label.ha, va, size))

    def _mobject(self, shape: d.Shape):
        """The mobject of a vector shape, reused when the same shape was drawn recently."""
        try:
            mobject = self._kept.get(shape)
        except TypeError:  # unhashable points (arrays): build it afresh
            return self._build(shape)
        if mobject is None:
            mobject = self._kept[shape] = self._build(shape)
            if len(self._kept) > MOBJECTS_KEPT:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(shape)
        return mobject

    def _build(self, shape: d.Shape):
        from manim import Rectangle

        c = self.canvas
        x, y, w, h = shape.box
        width, height = c.units(w, h)
        rect = Rectangle(width=width, height=height, stroke_color=shape.edge or "#000000",
                         stroke_width=self._stroke(shape.edge_width) if shape.edge else 0,
                         fill_color=shape.fill or "#000000",
                         fill_opacity=1.0 if shape.fill else 0.0)
        return rect.move_to(c.point(x + w / 2, y + h / 2))

    def _stroke(self, points: float) -> float:
        return points * STROKE_PER_POINT * self.canvas.unit

    def _line(self, shape: d.Line, pixels: np.ndarray) -> None:
        """A straight stroke, as manim strokes a `Line`: butt caps, its width and colour."""
        self._stroke_paths([[shape.start, shape.end]], shape.color, shape.width, shape.alpha,
                           pixels)

    def _polyline(self, shape: d.Polyline, pixels: np.ndarray) -> None:
        """A connected stroke with round joints (a zigzagging path's sharp corners would
        otherwise spike out), cut into dashes about as long as matplotlib's if dashed."""
        if not shape.dashed:
            self._stroke_paths([shape.points], shape.color, shape.width, 1.0, pixels)
            return
        period = 6 * self.video.scale * 100 / 72 / min(self.video.width, self.video.height)
        aspect = np.array([self.video.width, self.video.height]) / min(self.video.width,
                                                                       self.video.height)
        dashes = _dashes(np.asarray(shape.points) * aspect, period, aspect)
        self._stroke_paths(dashes, shape.color, shape.width, 1.0, pixels)

    def _stroke_paths(self, paths, color: str, width: float, alpha: float,
                      pixels: np.ndarray) -> None:
        """A stroke through each of ``paths`` (points in figure fractions) drawn by cairo as
        manim's camera draws a `VMobject`'s stroke: its width in manim's units, butt caps,
        round joints. Each path is stroked alone, as manim strokes each dash of a
        `DashedVMobject` (where dashes overlap, their edges blend twice)."""
        import cairo

        height, frame_width = pixels.shape[:2]
        ctx = self._context(pixels)
        r, g, b = rgb(color)
        ctx.set_source_rgba(b, g, r, alpha)  # the pixels are RGBA: cairo's BGRA reversed
        ctx.set_line_width(self._stroke(width) * MANIM_LINE_WIDTH * height
                           / self.canvas.frame_units)
        for points in paths:
            points = points.tolist() if isinstance(points, np.ndarray) else points
            ctx.set_line_join(cairo.LINE_JOIN_ROUND if len(points) > 2
                              else cairo.LINE_JOIN_MITER)
            ctx.move_to(points[0][0] * frame_width, (1 - points[0][1]) * height)
            for x, y in points[1:]:
                ctx.line_to(x * frame_width, (1 - y) * height)
            ctx.stroke()

    def _polygon(self, shape: d.Polygon, pixels: np.ndarray) -> None:
        """A filled polygon, as manim's camera fills a `Polygon` with no outline: each edge a
        straight cubic curve in manim's units (the points `Polygon` computes), closed, and
        filled through the camera's transform (a test compares the pixels)."""
        corners = self.canvas.points(shape.points)
        if not np.isfinite(corners).all():
            return  # manim's camera draws nothing for a shape with a non-finite point
        ends = np.roll(corners, -1, axis=0)
        curves = [(1 - t) * corners + t * ends for t in BEZIER_THIRDS[1:]]
        ctx = self.canvas.camera.get_cairo_context(pixels)
        ctx.new_path()
        ctx.new_sub_path()
        ctx.move_to(*corners[0][:2].tolist())
        for one, two, end in zip(*(c[:, :2].tolist() for c in curves), strict=True):
            ctx.curve_to(*one, *two, *end)
        ctx.close_path()
        r, g, b = rgb(shape.fill)
        ctx.set_source_rgba(b, g, r, shape.alpha)  # the pixels are RGBA: cairo's BGRA reversed
        ctx.fill()

    def _circle(self, shape: d.Circle, pixels: np.ndarray) -> None:
        """A disc filled then outlined, as manim draws a `Circle` (the outline opaque)."""
        height, width = pixels.shape[:2]
        ctx = self._context(pixels)
        ctx.new_sub_path()
        ctx.arc(shape.center[0] * width, (1 - shape.center[1]) * height,
                shape.radius * self.video.scale * 100 / 72, 0, 2 * np.pi)
        if shape.fill:
            r, g, b = rgb(shape.fill)
            ctx.set_source_rgba(b, g, r, shape.alpha)
            ctx.fill_preserve()
        if shape.edge:
            r, g, b = rgb(shape.edge)
            ctx.set_source_rgba(b, g, r, 1.0)
            ctx.set_line_width(self._stroke(shape.edge_width) * MANIM_LINE_WIDTH * height
                               / self.canvas.frame_units)
            ctx.stroke_preserve()
        ctx.new_path()

    def _context(self, pixels: np.ndarray):
        """A cairo context drawing in pixel coordinates onto ``pixels`` (kept per array)."""
        import cairo

        if self._cairo is None or self._cairo[0] is not pixels:
            height, width = pixels.shape[:2]
            surface = cairo.ImageSurface.create_for_data(pixels.data, cairo.FORMAT_ARGB32,
                                                         width, height)
            self._cairo = (pixels, cairo.Context(surface))
        return self._cairo[1]

    def _scatter(self, shape: d.Scatter, pixels: np.ndarray) -> None:
        """Many discs filled (and outlined) by cairo straight into the frame's pixels."""
        height, width = pixels.shape[:2]
        ctx = self._context(pixels)
        pixels_per_point = self.video.scale * 100 / 72
        radius = shape.radius * pixels_per_point
        xs, ys = shape.centers[:, 0] * width, (1 - shape.centers[:, 1]) * height
        fills = np.clip(shape.colors, 0, 1) if shape.colors is not None else None
        edge = rgb(shape.edge) if shape.edge else None
        ctx.set_line_width(shape.edge_width * pixels_per_point)
        for k in range(len(xs)):
            ctx.new_sub_path()
            ctx.arc(xs[k], ys[k], radius, 0, 2 * np.pi)
            if fills is not None:  # the pixels are RGBA in memory: cairo's BGRA, reversed
                ctx.set_source_rgba(fills[k, 2], fills[k, 1], fills[k, 0], shape.alpha)
                ctx.fill_preserve() if edge else ctx.fill()
            if edge:
                ctx.set_source_rgba(edge[2], edge[1], edge[0], shape.alpha)
                ctx.stroke()

    def close(self) -> None:
        """Nothing to free."""


def _dashes(corners: np.ndarray, period: float, aspect: np.ndarray, on: float = 4 / 6
            ) -> list[list[list[float]]]:
    """The polyline through ``corners`` cut into dashes: ``on`` of every ``period`` drawn,
    the period stretched so the line ends on a whole dash (as manim's `DashedVMobject`);
    each dash's points divided by ``aspect``, as lists of floats (to hand to cairo)."""
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(corners, axis=0), axis=1))])
    count = max(2, round(along[-1] / period))
    starts = np.arange(count) * along[-1] / count
    ends = starts + on * along[-1] / count
    points = [np.column_stack([np.interp(t, along, corners[:, i]) for i in range(2)])
              for t in (starts, ends)]
    first = np.searchsorted(along, starts, side="right")
    last = np.searchsorted(along, ends, side="left")
    pairs = (np.stack(points, axis=1) / aspect).tolist()
    turns = (corners / aspect).tolist()
    return [[pairs[k][0], *turns[first[k]:last[k]], pairs[k][1]] if last[k] > first[k]
            else pairs[k] for k in range(count)]  # most dashes turn no corner


__all__ = ["FONT_PER_POINT", "ManimPainter"]
