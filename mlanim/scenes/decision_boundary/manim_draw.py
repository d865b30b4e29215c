"""The decision-boundary scene drawn with manim: the same story, lecture-video styling."""

from __future__ import annotations

import contourpy
import numpy as np
from manim import (
    DL,
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    UR,
    Circle,
    Dot,
    ImageMobject,
    Line,
    Rectangle,
    VGroup,
    VMobject,
)
from manim.constants import RESAMPLING_ALGORITHMS

from mlanim.render.manim_canvas import ManimCanvas
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.decision_boundary.layout import (
    CAPTION_PT,
    COUNTER_PT,
    SUBTITLE_PT,
    TITLE_PT,
    Rect,
    layout,
)
from mlanim.scenes.decision_boundary.mpl_draw import _short, wrap
from mlanim.scenes.decision_boundary.story import Curve, Story, field_colors, margins


class _Panel:
    """Maps data coordinates into a rectangle given in figure fractions."""

    def __init__(self, canvas: ManimCanvas, rect: Rect, x_range: tuple[float, float],
                 y_range: tuple[float, float]) -> None:
        self.x_range, self.y_range = x_range, y_range
        self.lower_left = canvas.point(rect[0], rect[1])
        self.width, self.height = canvas.units(rect[2], rect[3])

    @property
    def center(self) -> np.ndarray:
        return self.lower_left + np.array([self.width / 2, self.height / 2, 0])

    def to_scene(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Data points to manim points, shape (n, 3)."""
        u = (np.asarray(x) - self.x_range[0]) / (self.x_range[1] - self.x_range[0])
        v = (np.asarray(y) - self.y_range[0]) / (self.y_range[1] - self.y_range[0])
        return np.stack([self.lower_left[0] + u * self.width,
                         self.lower_left[1] + v * self.height, np.zeros_like(u)], axis=1)


class ManimBoundary:
    """Random-access frames of the decision-boundary scene rendered by manim's camera."""

    def __init__(self, story: Story, video: VideoSettings, theme: Theme) -> None:
        self.story, self.video, self.theme = story, video, theme
        self.canvas = ManimCanvas(video, theme)
        self.place = layout(video)
        self.count = video.count
        self.static: list = []
        self._header()
        self._field()
        self._curves()

    def _header(self) -> None:
        c, t, place = self.canvas, self.theme, self.place
        wide = not self.video.portrait
        corner = UL if wide else UP
        anchor = c.point(0.05 if wide else 0.5, place.title_y)
        title = c.text(self.story.title, TITLE_PT, t.text, bold=True)
        title.move_to(anchor, aligned_edge=corner)
        subtitle = c.text(self.story.subtitle, SUBTITLE_PT * 0.92, t.muted)
        subtitle.move_to(c.point(0.05 if wide else 0.5, place.subtitle_y), aligned_edge=corner)
        self.static += [title, subtitle]
        self._legend()

    def _legend(self) -> None:
        c, t = self.canvas, self.theme
        items = []
        for k, name in enumerate(self.story.class_names):
            dot = Dot(radius=0.07 * c.unit, color=t.class_color(k))
            items.append(VGroup(dot, c.text(name, 11.5, t.text).next_to(dot, RIGHT, buff=0.08)))
        if self.story.spec.show.validation and len(self.story.x_val):
            ring = Circle(radius=0.065 * c.unit, color=t.muted, stroke_width=2)
            items.append(VGroup(ring, c.text("held out", 11.5, t.text).next_to(ring, RIGHT,
                                                                                buff=0.08)))
        legend = VGroup(*items).arrange(RIGHT, buff=0.35)
        room = self.canvas.units(self.place.legend_width)[0]
        if legend.width > room:
            legend.arrange_in_grid(cols=max(1, len(items) // 2 + len(items) % 2),
                                   buff=(0.35, 0.12), cell_alignment=LEFT)
        x, y = self.place.legend
        if self.video.portrait:
            legend.move_to(c.point(x, y))
        else:
            legend.move_to(c.point(x, y), aligned_edge=DL)
        self.static.append(legend)

    def _field(self) -> None:
        s, t = self.story, self.theme
        x_range = (float(s.grid_x[0]), float(s.grid_x[-1]))
        y_range = (float(s.grid_y[0]), float(s.grid_y[-1]))
        self.field = _Panel(self.canvas, self.place.field, x_range, y_range)
        frame = Rectangle(width=self.field.width, height=self.field.height, stroke_color=t.grid,
                          stroke_width=2).move_to(self.field.center)
        self.image = ImageMobject(np.zeros((s.res, s.res, 4), dtype=np.uint8))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["bilinear"])
        self.image.stretch_to_fit_width(self.field.width)
        self.image.stretch_to_fit_height(self.field.height)
        self.image.move_to(self.field.center)
        radius = 0.045 * self.canvas.unit * (300 / max(300, len(s.x_train))) ** 0.5
        dots = [Dot(p, radius=radius, color=t.class_color(int(c)), stroke_color=t.background,
                    stroke_width=1)
                for p, c in zip(self.field.to_scene(*s.x_train.T), s.y_train, strict=True)]
        rings = []
        if s.spec.show.validation:
            rings = [Circle(radius=radius * 1.1, color=t.class_color(int(c)), stroke_width=2.2)
                     .move_to(p)
                     for p, c in zip(self.field.to_scene(*s.x_val.T), s.y_val, strict=True)]
        self.points = self.canvas.layer([VGroup(*dots, *rings)])
        labels = [self.canvas.text(s.feature_names[0], 11, t.muted)
                  .next_to(frame, DOWN, buff=0.1),
                  self.canvas.text(s.feature_names[1], 11, t.muted).rotate(np.pi / 2)
                  .next_to(frame, LEFT, buff=0.1)]
        self.field_frame = [frame, *labels]

    def _curves(self) -> None:
        s, t, c = self.story, self.theme, self.canvas
        self.curve_panels = []
        for rect, curves, name in ((self.place.loss, s.loss, "loss"),
                                   (self.place.accuracy, s.accuracy, "accuracy")):
            if not curves:
                continue
            top = 1.0 if name == "accuracy" else \
                max(float(np.nanmax(v.values)) for v in curves.values()) * 1.08
            panel = _Panel(c, rect, (0.0, s.total_epochs), (0.0, top))
            box = Rectangle(width=panel.width, height=panel.height, stroke_color=t.grid,
                            stroke_width=1.5, fill_color=t.panel, fill_opacity=1)
            self.static.append(box.move_to(panel.center))
            self.static += self._gridlines(panel, name)
            self.curve_panels.append((panel, curves, name))

    def _gridlines(self, panel: _Panel, name: str) -> list:
        t, c = self.theme, self.canvas
        items = []
        ticks = [0.25, 0.5, 0.75, 1.0] if name == "accuracy" else _nice_ticks(panel.y_range[1])
        for value in [v for v in ticks if 0 < v < panel.y_range[1] * 0.99]:
            a, b = panel.to_scene([0, panel.x_range[1]], [value, value])
            items.append(Line(a, b, stroke_color=t.grid, stroke_width=1))
            label = f"{value:.0%}" if name == "accuracy" else f"{value:.2g}"
            items.append(c.text(label, 9, t.muted).next_to(a, LEFT, buff=0.08))
        for epoch in _nice_ticks(panel.x_range[1]):
            a, _ = panel.to_scene([epoch, epoch], [0, 0])
            items.append(c.text(f"{epoch:g}", 9, t.muted).next_to(a, DOWN, buff=0.08))
        corner = panel.to_scene([panel.x_range[1]], [0])[0]
        items.append(c.text("epoch", 10, t.muted).next_to(corner, DOWN, buff=0.08)
                     .align_to(corner, RIGHT).shift(DOWN * 0.25))
        return items

    def frame(self, index: int) -> np.ndarray:
        """Draw frame ``index``."""
        s, t, c = self.story, self.theme, self.canvas
        moment = s.moment(index)
        probs = s.field(moment)
        rgba = np.empty((s.res, s.res, 4), dtype=np.uint8)
        rgba[..., :3] = np.clip(field_colors(probs, t) * 255, 0, 255)[::-1]
        rgba[..., 3] = 255
        self.image.pixel_array = rgba
        moving = [self.image, *self._boundary(probs), *self.field_frame]
        for panel, curves, name in self.curve_panels:
            moving += self._curve_lines(panel, curves, moment)
            moving.append(self._curve_title(panel, curves, name, moment))
        wide = not self.video.portrait
        counter = c.label(s.counter(moment), COUNTER_PT, t.accent, bold=True)
        x, y, _ = self.place.counter
        counter.move_to(c.point(x, y), aligned_edge=UR if wide else UP)
        moving.append(counter)
        if self.video.captions:
            moving.append(self._caption(s.caption(moment)))
        return c.capture(self.static + moving, (self.points,))

    def _caption(self, text: str):
        """Centred lines (one shared label per line, so repeated captions cost nothing)."""
        c = self.canvas
        lines = [c.label(line, CAPTION_PT, self.theme.text)
                 for line in wrap(text, self.place.caption_chars).split("\n")]
        group = VGroup(*lines).arrange(DOWN, buff=0.08 * c.unit)
        return group.move_to(c.point(0.5, self.place.caption_y), aligned_edge=DOWN)

    def _boundary(self, probs: np.ndarray) -> list:
        s = self.story
        lines = []
        for margin in margins(probs):
            generator = contourpy.contour_generator(s.grid_x, s.grid_y, margin.astype(np.float64))
            for segment in generator.lines(0.0):
                if len(segment) < 2:
                    continue
                line = VMobject(stroke_color=self.theme.text, stroke_width=3.2)
                line.set_points_as_corners(self.field.to_scene(segment[:, 0], segment[:, 1]))
                lines.append(line)
        return lines

    def _curve_lines(self, panel: _Panel, curves: dict[str, Curve], moment) -> list:
        items = []
        for label, curve in curves.items():
            color = self.theme.train if label == "train" else self.theme.val
            x, y = curve.until(moment)
            points = panel.to_scene(x, np.clip(y, *panel.y_range))
            if len(points) > 1:
                line = VMobject(stroke_color=color, stroke_width=4)
                pieces = [points] if label == "train" else _dashes(points, 0.12, 0.07)
                for piece in pieces:
                    line.start_new_path(piece[0])
                    line.add_points_as_corners(piece[1:])
                items.append(line)
            items.append(Dot(points[-1], radius=0.05 * self.canvas.unit, color=color))
        return items

    def _curve_title(self, panel: _Panel, curves: dict[str, Curve], name: str, moment):
        fmt = "{:.0%}" if name == "accuracy" else "{:.3f}"
        values = "   ".join(f"{_short(label, self.place.narrow)} "
                            f"{fmt.format(c.shown(moment))}" for label, c in curves.items())
        top_left = panel.lower_left + np.array([0, panel.height, 0])
        size = 11 if self.place.narrow else 12
        return self.canvas.label(f"{name}:  {values}", size, self.theme.text) \
            .next_to(top_left, UP, buff=0.1, aligned_edge=DL).align_to(top_left, LEFT)

    def close(self) -> None:
        """Nothing to free: the camera is garbage collected."""


def _dashes(points: np.ndarray, dash: float, gap: float) -> list[np.ndarray]:
    """Cut a polyline into dashes of length ``dash`` separated by ``gap`` (manim units)."""
    step = np.linalg.norm(np.diff(points, axis=0), axis=1)
    distance = np.concatenate([[0.0], np.cumsum(step)])
    pieces = []
    for start in np.arange(0.0, distance[-1], dash + gap):
        stops = np.linspace(start, min(start + dash, distance[-1]), 4)
        piece = np.stack([np.interp(stops, distance, points[:, k]) for k in range(3)], axis=1)
        pieces.append(piece)
    return pieces


def _nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to ``top``: steps of 1, 2 or 5 times a power of ten."""
    step = 10 ** np.floor(np.log10(top / 2)) if top > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if top / (step * factor) <= 6:
            step *= factor
            break
    return [round(float(v), 10) for v in np.arange(0, top + 1e-9, step)]
