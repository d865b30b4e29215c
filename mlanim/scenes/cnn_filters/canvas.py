"""The base of the cnn_filters scene's views: the frame laid out once (scales, panels) and what
several views draw: matrices with their numbers, headings, colour bars, bars, images.

Maps are drawn as cells on a symmetric diverging scale (zero is the panel colour); numbers are
written in cells only where they are legible. Every value is the recorded one or the story's
arithmetic on recorded weights.
"""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import cell_box, cell_center, diverging_pixels, ink_on
from mlanim.draw.frame import Box
from mlanim.draw.theme import rgb
from mlanim.numbers import fixed
from mlanim.scenes.cnn_filters.story import CnnStory


def signed(value: float, digits: int = 2) -> str:
    """A number with its sign, minus as the true minus sign."""
    return fixed(value, digits, signed=True)


def plain(value: float, digits: int = 2) -> str:
    """A number to ``digits`` decimals, minus as the true minus sign."""
    return fixed(value, digits)


class Canvas:
    """One view of the scene: `draw` adds a frame's shapes and says which snapshot it shows
    and its caption."""

    def __init__(self, story: CnnStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.final = len(story.epochs) - 1
        self.scales, self.kernel_scale = story.map_scales, story.kernel_scale

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        """Add the view at ``progress`` (0 to 1 through its segment) to ``pic``; returns the
        snapshot shown and the caption."""
        raise NotImplementedError

    def _columns(self, weights: list[float], gap: str = "apart") -> list[Box]:
        """The body cut into panels: side by side in a wide body, stacked in a tall one (9:16),
        and four panels two by two in between (4:3, 1:1)."""
        f, body = self.f, self.f.body
        wide = body[2] * self.s.video.width / (body[3] * self.s.video.height)
        if wide < 0.75:  # a tall body (9:16)
            return f.split(body, weights, vertical=True, gap=gap)
        if len(weights) != 4 or wide >= 2.2:
            return f.split(body, weights, gap=gap)
        top, bottom = f.split(body, [1, 1], vertical=True, gap=gap)
        return [*f.split(top, weights[:2], gap=gap), *f.split(bottom, weights[2:], gap=gap)]

    def _square_under_heading(self, box: Box, lines: int = 1) -> Box:
        """The largest square in ``box`` below ``lines`` of heading, centred."""
        x, y, w, h = box
        room = self.f.line("heading") * lines + self.f.dy("gap")
        return self.f.square((x, y, w, h - room))

    def _heading(self, pic: d.Picture, square: Box, text: str, color: str | None = None,
                 width: float | None = None) -> None:
        x, y, w, h = square
        room = width or max(w, self.f.width(text, "heading"))
        room = min(room, self.f.right - self.f.left)
        size = self.f.fit(text, "heading", room, smallest=0.6)
        centre = min(max(x + w / 2, self.f.left + self.f.width(text, size) / 2),
                     self.f.right - self.f.width(text, size) / 2)
        pic.add(d.Label((centre, y + h + self.f.dy("snug")), text, size, color or self.t.text,
                        "center", "bottom"))

    def _matrix(self, pic: d.Picture, box: Box, values: np.ndarray, scale: float,
                numbers: bool | np.ndarray = True, digits: int = 2,
                shown: np.ndarray | None = None, pixels: np.ndarray | None = None) -> None:
        """``values`` as cells on a diverging scale (or coloured as ``pixels`` says);
        ``numbers`` (all, or a mask) written in the cells when legible; cells outside
        ``shown`` left blank."""
        values = np.asarray(values, dtype=float)
        pixels = diverging_pixels(values, self.t, scale) if pixels is None else pixels.copy()
        if shown is not None:
            pixels[~shown] = rgb(self.t.panel)
        hover = np.vectorize(lambda v: f"{v:.4g}", otypes=[object])(values)
        pic.add(d.Image(box, pixels, hover=hover), d.Rect(box, None, self.t.grid, 1.0))
        mask = np.ones(values.shape, bool) if numbers is True else (
            np.zeros(values.shape, bool) if numbers is False else numbers)
        if shown is not None:
            mask = mask & shown
        if not mask.any():
            return
        size = self._number_size(box, values.shape, digits)
        if size is None:
            return
        for row, col in zip(*np.nonzero(mask), strict=True):
            pic.add(d.Label(cell_center(box, values.shape, row, col),
                            plain(values[row, col], digits), size,
                            ink_on(pixels[row, col], self.t)))

    def _number_size(self, box: Box, shape: tuple[int, ...], digits: int) -> float | None:
        """The point size at which ``−0.00`` fits a cell, or None when too small to read."""
        cell_w = box[2] / shape[1]
        cell_h_points = self.f.points(box[3] * self.s.video.height / shape[0])
        size = min(self.f.size("value"), cell_h_points * 0.55)
        sample = "−" + "0." + "0" * digits
        least = self.f.size("least_number")
        while size >= least and self.f.width(sample, size) > cell_w * 0.92:
            size *= 0.92
        return size if size >= least else None

    def _outline(self, pic: d.Picture, box: Box, shape: tuple[int, int], row: int, col: int,
                 rows: int = 1, cols: int = 1, color: str | None = None,
                 width: float = 2.5) -> None:
        """A frame around ``rows`` x ``cols`` cells from (row, col)."""
        x, y, w, h = cell_box(box, shape, row, col)
        bottom = y - h * (rows - 1)
        pic.add(d.Rect((x, bottom, w * cols, h * rows), None, color or self.t.accent, width))

    def _colorbar(self, pic: d.Picture, box: Box, scale: float, digits: int = 2) -> None:
        """A vertical bar of the diverging scale from −scale to +scale, its ends written to
        the right."""
        ramp = np.linspace(scale, -scale, 64)[:, None]
        pic.add(d.Image(box, diverging_pixels(ramp, self.t, scale), smooth=True),
                d.Rect(box, None, self.t.grid, 1.0))
        x, y, w, h = box
        size = self.f.size("tick")
        for value, at in ((scale, y + h), (0.0, y + h / 2), (-scale, y)):
            text = signed(value, digits) if value else "0"
            pic.add(d.Label((x + w + self.f.dx("tight"), at), text, size, self.t.muted, "left",
                            "center"))

    def _colorbar_room(self, digits: int = 2) -> float:
        return self.f.dx("bar") + self.f.width("+0." + "0" * digits, "tick") + self.f.dx("small")

    def _image_pixels(self, values: np.ndarray) -> np.ndarray:
        """The image as fed: 0 the panel colour, 1 the text colour (standardised images on the
        diverging scale)."""
        if not self.s.scaled:
            return diverging_pixels(values, self.t)
        low, high = np.array(rgb(self.t.panel)), np.array(rgb(self.t.text))
        return low + (high - low) * np.clip(values, 0, 1)[..., None]

    def _bars(self, pic: d.Picture, box: Box, values: np.ndarray, heading: str,
              signed: bool, best: int | None = None) -> None:
        """One horizontal bar per class, with the class name left and the value right."""
        s, f, t = self.s, self.f, self.t
        x, y, w, h = box
        room = f.line("heading") + f.dy("gap")
        rows = len(values)
        row_h = min((h - room) / rows, f.line("label") * 1.6)
        top = y + h - room
        name_w = max(f.width(c, "label") for c in s.classes) + f.dx("gap")
        value_w = f.width("−00.00", "label") + f.dx("small")
        bar_x, bar_w = x + name_w, w - name_w - value_w
        span = float(np.abs(values).max()) or 1.0
        zero = bar_x + (bar_w / 2 if signed else 0.0)
        half = bar_w / 2 if signed else bar_w
        size = min(f.size("label"), f.points(row_h * s.video.height) * 0.75)
        for i, value in enumerate(values):
            cy = top - (i + 0.5) * row_h
            color = t.accent if i == best else (t.positive if value >= 0 else t.negative)
            length = half * float(value) / span
            left = min(zero, zero + length)
            pic.add(d.Rect((left, cy - row_h * 0.35, abs(length), row_h * 0.7), color))
            pic.add(d.Label((x, cy), s.classes[i], size, t.text, "left"))
            text = plain(float(value)) if signed else f"{value:.0%}"
            pic.add(d.Label((x + w, cy), text, size, color if i == best else t.muted,
                            "right"))
        if signed:
            pic.add(d.Line((zero, top), (zero, top - rows * row_h), t.grid, 1.0))
        pic.add(d.Label((x + w / 2, top + f.dy("snug")), heading, f.size("heading"), t.text,
                        "center", "bottom"))
