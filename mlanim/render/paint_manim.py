"""Paints a `Picture` with manim's camera (Pango text, cairo strokes; no LaTeX)."""

from __future__ import annotations

import numpy as np

from mlanim.render import display as d
from mlanim.render.manim_canvas import FONT_PER_POINT, ManimCanvas
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings

# manim stroke widths are in units of 1/100 of a manim unit at 1080p-equivalent; this maps a
# line width in points (720p) to them.
STROKE_PER_POINT = 2.0


class ManimPainter:
    """Builds manim mobjects for each picture and captures them with one camera."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self.canvas = ManimCanvas(video, theme)
        self._background: tuple[d.Shape, ...] | None = None
        self._overlay: tuple[tuple[d.Shape, ...], np.ndarray] | None = None

    def _units_per_point(self) -> float:
        # a point at 720p is 100/72 px on a 720 px short side; manim: frame height = 8 units
        return 8.0 / 720 * 100 / 72 * self.canvas.unit

    def paint(self, picture: d.Picture) -> np.ndarray:
        """Render ``picture`` and return the RGB frame (over its background, painted once)."""
        if picture.background is not self._background:
            self._uses = {}
            self.canvas.set_background(self._mobjects(picture.background))
            self._background = picture.background
        self._uses = {}
        layers = (self._overlay_layer(picture.overlay),) if picture.overlay else ()
        self._uses = {}
        return self.canvas.capture(self._mobjects(picture.shapes), layers)

    def _overlay_layer(self, overlay: tuple[d.Shape, ...]) -> np.ndarray:
        """The overlay rendered once on transparency (kept while the tuple is the same)."""
        if self._overlay is None or self._overlay[0] is not overlay:
            self._uses = {}
            self._overlay = (overlay, self.canvas.layer(self._mobjects(overlay)))
        return self._overlay[1]

    def _mobjects(self, shapes) -> list:
        return [m for s in shapes if (m := self._mobject(s))]

    def _mobject(self, shape: d.Shape):
        from manim import Circle, ImageMobject, Line, Rectangle, VMobject

        c = self.canvas
        if isinstance(shape, d.Line):
            return Line(c.point(*shape.start), c.point(*shape.end), color=shape.color,
                        stroke_width=shape.width * STROKE_PER_POINT * c.unit,
                        stroke_opacity=shape.alpha)
        if isinstance(shape, d.Polyline):
            from manim.constants import LineJointType

            # round joints: a zigzagging path's sharp corners would otherwise spike out
            line = VMobject(stroke_color=shape.color,
                            stroke_width=shape.width * STROKE_PER_POINT * c.unit,
                            joint_type=LineJointType.ROUND)
            line.set_points_as_corners([c.point(*p) for p in shape.points])
            return self._dashed(line) if shape.dashed else line
        if isinstance(shape, d.Polygon):
            from manim import Polygon

            return Polygon(*[c.point(*p) for p in shape.points], stroke_width=0,
                           fill_color=shape.fill, fill_opacity=shape.alpha)
        if isinstance(shape, d.Circle):
            circle = Circle(radius=shape.radius * self._units_per_point(),
                            stroke_color=shape.edge or shape.fill or "#000000",
                            stroke_width=(shape.edge_width * STROKE_PER_POINT * c.unit
                                          if shape.edge else 0),
                            fill_color=shape.fill or "#000000",
                            fill_opacity=shape.alpha if shape.fill else 0.0)
            return circle.move_to(c.point(*shape.center))
        if isinstance(shape, d.Rect):
            x, y, w, h = shape.box
            width, height = c.units(w, h)
            rect = Rectangle(width=width, height=height, stroke_color=shape.edge or "#000000",
                             stroke_width=shape.edge_width * STROKE_PER_POINT * c.unit
                             if shape.edge else 0,
                             fill_color=shape.fill or "#000000",
                             fill_opacity=1.0 if shape.fill else 0.0)
            return rect.move_to(c.point(x + w / 2, y + h / 2))
        if isinstance(shape, d.Image):
            x, y, w, h = shape.box
            rgba = np.concatenate([np.clip(shape.pixels, 0, 1) * 255,
                                   np.full((*shape.pixels.shape[:2], 1), 255)], axis=-1)
            from manim.constants import RESAMPLING_ALGORITHMS

            image = ImageMobject(rgba.astype(np.uint8))
            # manim smooths images by default; cells of a matrix must stay crisp
            image.set_resampling_algorithm(
                RESAMPLING_ALGORITHMS["bilinear" if shape.smooth else "nearest"])
            image.stretch_to_fit_width(c.units(w)[0])
            image.stretch_to_fit_height(c.units(0, h)[1])
            return image.move_to(c.point(x + w / 2, y + h / 2))
        if isinstance(shape, d.Scatter):
            return self._scatter(shape)
        if isinstance(shape, d.Label):
            return self._label(shape)
        return None

    def _dashed(self, line):
        """``line`` cut into dashes about as long as matplotlib's (4 points on, 2 off)."""
        from manim import DashedVMobject

        dash = 6 * self._units_per_point()
        count = max(2, round(line.get_arc_length() / dash))
        return DashedVMobject(line, num_dashes=count, dashed_ratio=4 / 6)

    def _scatter(self, shape: d.Scatter):
        """Thousands of discs as one image: drawn by Pillow at twice the size and reduced
        (antialiased), laid over the whole frame."""
        from manim import ImageMobject
        from PIL import Image, ImageDraw

        from mlanim.render.theme import rgb

        width, height = self.video.width * 2, self.video.height * 2
        layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        radius = shape.radius * self.video.scale * 100 / 72 * 2
        xs = shape.centers[:, 0] * width
        ys = (1 - shape.centers[:, 1]) * height
        alpha = round(255 * shape.alpha)
        edge = (*(round(255 * c) for c in rgb(shape.edge)), alpha) if shape.edge else None
        fills = (np.clip(shape.colors, 0, 1) * 255).round().astype(int) \
            if shape.colors is not None else None
        line = max(1, round(shape.edge_width * self.video.scale * 100 / 72 * 2))
        for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
            fill = (*fills[k], alpha) if fills is not None else None
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill,
                         outline=edge, width=line if edge else 0)
        image = ImageMobject(np.asarray(layer.resize((width // 2, height // 2),
                                                     Image.LANCZOS)))
        image.stretch_to_fit_width(self.canvas.frame_width)
        image.stretch_to_fit_height(self.canvas.units(0, 1)[1])
        return image.move_to(self.canvas.point(0.5, 0.5))

    def _label(self, shape: d.Label):
        from manim import DOWN, LEFT, RIGHT, UP

        content = shape.text.lstrip(" ")
        indent = (len(shape.text) - len(content)) * shape.size * 0.32 * 100 / 72 \
            * self.video.scale / self.video.width  # Pango drops leading spaces
        key = (content, shape.size, shape.color, shape.bold)
        use = self._uses.get(key, 0)
        self._uses[key] = use + 1
        # shared labels are reused across frames; a string shown twice in one frame needs
        # its own copy for each further place
        text = self.canvas.label(content + "\u200b" * use, shape.size, shape.color, shape.bold)
        at = (shape.at[0] + (indent if shape.ha == "left" else 0.0), shape.at[1])
        edge = np.zeros(3)
        edge += {"left": LEFT, "right": RIGHT, "center": 0 * LEFT}[shape.ha]
        edge += {"bottom": DOWN, "top": UP, "center": 0 * UP, "baseline": DOWN}[shape.va]
        return text.move_to(self.canvas.point(*at), aligned_edge=edge)

    def close(self) -> None:
        """Nothing to free."""


__all__ = ["FONT_PER_POINT", "ManimPainter"]
