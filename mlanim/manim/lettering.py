"""The labels of a board as manim `Text` sets them, made fast enough to change every frame.

A `Text` costs 40-100 ms to make (Pango writes an SVG that manim parses with svgelements) and
one mobject a glyph to draw. A board's numbers change every frame ("train 0.267"), so:
- a label is made from the glyph outlines in Pango's SVG, read with two regular expressions
  (`mlanim.draw.pango_text`) and turned into the very points `Text` would have (5 ms);
- a label whose text differs from one already made only in its digits is that label with
  the digits' outlines swapped, each taken from a row of all ten digits set in the same
  style; this holds only for a font whose digits share one advance, which is measured
  once per style, and a label is set by Pango otherwise;
- each label's glyphs are drawn as one path (still a `Text`; a board's labels are one
  colour each), so the camera strokes one mobject a label, not one a letter.
"""

from __future__ import annotations

import copy
import re
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from manim import Text, VMobject, config
from manim.mobject.text.text_mobject import TEXT_MOB_SCALE_FACTOR

from mlanim.draw.pango_text import Outline, pango_glyphs

DIGITS = "0123456789"
KEPT = 2048
"""Labels kept ready, most recently used first out last."""
SHAPE_OF_NUMBER = re.compile(r"\d")


class Lettering:
    """Labels in one font, as `Text` mobjects centred where Pango sets them."""

    def __init__(self, font: str) -> None:
        self.font = font
        self.made: OrderedDict[tuple, Text] = OrderedDict()
        self.patterns: dict[tuple, Text] = {}
        self.rows: dict[tuple, tuple[list[Any], float] | None] = {}
        self._scratch = tempfile.TemporaryDirectory(prefix="mlanim-lettering-")
        self._svg = Path(self._scratch.name) / "label.svg"

    def text(self, content: str, size: float, color: str, bold: bool) -> Text:
        """A new `Text` of ``content`` (the caller may move it), glyphs as one path."""
        key = (content, size, color, bold)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = merged(self._letters(content, size, color, bold))
            if len(self.made) > KEPT:
                self.made.popitem(last=False)
        else:
            self.made.move_to_end(key)
        return clone(found)

    def _letters(self, content: str, size: float, color: str, bold: bool) -> Text:
        """``content`` with a mobject a glyph: from a label of the same shape with other
        digits when the style's digits allow it, else set by Pango."""
        style = (size, color, bold)
        pattern = (SHAPE_OF_NUMBER.sub("0", content), *style)
        model = self.patterns.get(pattern)
        row = self._digit_row(style) if model is not None else None
        if model is None or row is None:
            made = self._set(content, *style)
            if SHAPE_OF_NUMBER.search(content):
                self.patterns.setdefault(pattern, made)
            return made
        return with_digits(model, content, *row) or self._set(content, *style)

    def _set(self, content: str, size: float, color: str, bold: bool) -> VMobject:
        """``content`` as manim's `Text` sets it (the same points: Pango's SVG, each glyph's
        path as manim reads it and closes it, scaled as `Text` scales it), in a tenth of
        the time: the glyph outlines are read straight from the SVG."""
        canvas = (config.pixel_width, config.pixel_height)
        text = VMobject()
        for x, y, outline in pango_glyphs(content, self.font, size, bold, canvas, self._svg):
            glyph = VMobject(fill_color=color, fill_opacity=1.0, stroke_color=color,
                             stroke_width=0)
            glyph.points = glyph_points(x, y, outline)
            text.add(glyph)
        text.original_text = content
        return text

    def _digit_row(self, style: tuple) -> tuple[list[Any], float] | None:
        """The ten digits' glyphs in ``style`` and their shared advance; None when the
        font's digits are not all one width (then no digit is swapped)."""
        if style not in self.rows:
            forward = self._set(DIGITS, *style).submobjects
            backward = self._set(DIGITS[::-1], *style).submobjects[::-1]
            # with one advance a, digit k sits at k*a in one row and (9 - k)*a in the other
            gaps = np.array([f.points[0][0] - b.points[0][0]
                             for f, b in zip(forward, backward, strict=True)])
            steps = np.diff(gaps) / 2
            advance = float(np.median(steps))
            tabular = len(forward) == 10 and np.allclose(steps, advance, atol=1e-3 * advance)
            self.rows[style] = (forward, advance) if tabular else None
        return self.rows[style]


def glyph_points(x: float, y: float, outline: Outline) -> np.ndarray:
    """A glyph's outline at (x, y) in SVG units as the cubic Bezier points of manim's `Text`:
    lines as cubics with handles at the thirds, each subpath closed (at ``Z`` and where the
    next curve starts elsewhere), y up, 0.05 units an SVG unit (`TEXT_MOB_SCALE_FACTOR`)."""
    points: list[np.ndarray] = []

    def line(start: np.ndarray, end: np.ndarray) -> None:
        points.extend([start, (2 * start + end) / 3, (start + 2 * end) / 3, end])

    pen = begun = np.zeros(2)
    for command, v in outline:
        if command == "M":
            pen = begun = np.array([x + v[0], y + v[1]])
        elif command == "L":
            end = np.array([x + v[0], y + v[1]])
            line(pen, end)
            pen = end
        elif command == "C":
            ends = np.array(v).reshape(3, 2) + np.array([x, y])
            points.extend([pen, *ends])
            pen = ends[-1]
        elif np.linalg.norm(pen - begun) > 1e-4:  # Z away from where the path began
            line(pen, begun)
            pen = begun
    closed: list[np.ndarray] = []
    curve_start = points[0]
    for index, point in enumerate(points):
        closed.append(point)
        if index != len(points) - 1 and (index + 1) % 4 == 0 and \
                np.any(point != points[index + 1]):
            line_from = closed[-1]
            closed.extend([line_from, (2 * line_from + curve_start) / 3,
                           (line_from + 2 * curve_start) / 3, curve_start])
            curve_start = points[index + 1]
    last = closed[-1]
    closed.extend([last, (2 * last + curve_start) / 3, (last + 2 * curve_start) / 3,
                   curve_start])
    flat = np.array(closed)
    return np.column_stack([flat[:, 0], -flat[:, 1], np.zeros(len(flat))]) * TEXT_MOB_SCALE_FACTOR


def with_digits(model: Text, content: str, row: list[Any], advance: float) -> Text | None:
    """``model`` (a Text of the same characters but digits) showing ``content``: each digit
    that differs takes the outline of ``row``'s digit, moved to where the model's was; None
    when the model's glyphs are not one a character."""
    old, new = ("".join(text.split()) for text in (model.original_text, content))
    if len(model.submobjects) != len(old):
        return None
    made = clone(model)
    made.original_text = content
    for glyph, was, now in zip(made.submobjects, old, new, strict=True):
        if was == now:
            continue
        before, after = row[int(was)], row[int(now)]
        shift = glyph.points[0] - before.points[0]
        shift[0] -= (int(now) - int(was)) * advance
        glyph.points = after.points + shift
    return made


def merged(text: Text) -> Text:
    """``text`` with its glyphs as one path (filled and stroked as its first glyph)."""
    glyphs = text.family_members_with_points()
    made = clone(text)
    if len(glyphs) > 1:
        one = clone(glyphs[0])
        one.points = np.concatenate([glyph.points for glyph in glyphs])
        made.submobjects = [one]
    return made


def clone(mobject: Any) -> Any:
    """A copy of ``mobject`` with its own points, colours and children, sharing what manim
    only reads after construction (a `Text`'s settings): 40x faster than `Mobject.copy`,
    which deep-copies all of it, for the labels a board sets anew each frame."""
    made = copy.copy(mobject)
    for name, value in mobject.__dict__.items():
        if isinstance(value, np.ndarray):
            setattr(made, name, value.copy())
    made.updaters = []
    made.submobjects = [clone(child) for child in mobject.submobjects]
    return made
