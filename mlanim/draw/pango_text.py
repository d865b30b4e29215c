"""Labels set by Pango exactly as manim's `Text` sets them, rasterised once by cairo.

manim's `Text` asks Pango (through manimpango) for an SVG of the string, then parses it into
one bezier mobject per glyph: about 70 ms a string, and cairo then fills every glyph on every
frame. Here the same SVG is read with two regular expressions (each glyph's outline parsed once
per font and size), scaled as `Text` scales it, and filled once into an alpha mask: a new string
costs about 2 ms and a repeated one nothing. The anchor box is the outline's bounding box,
control points included, which is what manim aligns a `Text` by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from mlanim.draw.sprites import Sprite, SpriteCache, premultiplied
from mlanim.draw.theme import rgb

# manim's Text: SVG font size = font_size / 4.8, line spacing 1.3 em, SVG unit = 0.05 manim
# units, text starting at (30, 20) on a canvas of the frame's pixel size
SVG_FONT_FACTOR = 4.8
LINE_SPACING = 1.3
UNITS_PER_SVG_UNIT = 0.05
START_X, START_Y = 30, 20
PAD = 2  # pixels around the outline: antialiasing spills over its box
BATCH_LINE_SPACING = 1000  # SVG units between labels set in one call: far apart, and whole
BATCH_MOST = 64  # labels set in one call
SVG_DECIMALS = 6  # cairo writes a glyph's place with six decimals

_GLYPH = re.compile(r'<symbol[^>]*id="([^"]+)"[^>]*>\s*<path[^>]*\sd="([^"]*)"')
_USE = re.compile(r'<use xlink:href="#([^"]+)" x="([^"]+)" y="([^"]+)"')
_TOKEN = re.compile(r"[MLCZ]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

Outline = tuple[tuple[str, tuple[float, ...]], ...]
Glyph = tuple[float, float, Outline]  # where an inked glyph sits (SVG units), its outline


@lru_cache(maxsize=8192)
def _outline(path_data: str) -> Outline:
    """An SVG path's commands (cairo writes only absolute M, L, C and Z) with their numbers."""
    commands: list[tuple[str, list[float]]] = []
    for token in _TOKEN.findall(path_data):
        if token in "MLCZ":
            commands.append((token, []))
        elif commands:
            commands[-1][1].append(float(token))
    split: list[tuple[str, tuple[float, ...]]] = []
    for command, numbers in commands:  # "C a b c d e f C ..." may repeat without the letter
        step = {"M": 2, "L": 2, "C": 6, "Z": 0}[command]
        if step == 0:
            split.append((command, ()))
            continue
        for k in range(0, len(numbers) - step + 1, step or 1):
            split.append((command, tuple(numbers[k:k + step])))
    while split and split[-1][0] == "M":  # a closing move draws nothing (manim drops it too)
        split.pop()
    return tuple(split)


class PangoSprites:
    """Sprites of labels set by Pango in ``font``, at manim font sizes, on a frame
    ``frame_pixels`` (width, height) whose height is ``frame_units`` manim units."""

    def __init__(self, font: str, frame_pixels: tuple[int, int], frame_units: float,
                 scratch: Path) -> None:
        self.font, self.frame_pixels = font, frame_pixels
        self.pixels_per_svg_unit = UNITS_PER_SVG_UNIT * frame_pixels[1] / frame_units
        self._svg = scratch / "label.svg"
        self._cache = SpriteCache(self._render)
        self._set_ahead: dict[tuple[str, float, bool], list[Glyph]] = {}

    def sprite(self, text: str, font_size: float, color: str, bold: bool) -> Sprite | None:
        """The label rendered (None when it has no ink, e.g. only spaces)."""
        return self._cache.get(text, font_size, color, bold)

    def set_ahead(self, labels: Iterable[tuple[str, float, str, bool]]) -> None:
        """Have Pango set the single-line labels (text, font_size, color, bold) not yet
        rendered in a few calls, so that `sprite` finds their glyphs ready: one call sets many
        labels for little more than the cost of one."""
        self._set_ahead.clear()  # only this frame's: any colour of a label finds them
        by_font: dict[tuple[float, bool], set[str]] = {}
        for text, font_size, color, bold in labels:
            if "\n" not in text and not self._cache.has(text, font_size, color, bold):
                by_font.setdefault((font_size, bold), set()).add(text)
        for (font_size, bold), texts in by_font.items():
            ordered = sorted(texts)
            for start in range(0, len(ordered), BATCH_MOST):
                batch = ordered[start:start + BATCH_MOST]
                set_lines = pango_glyph_lines(batch, self.font, font_size, bold,
                                              self.frame_pixels, self._svg)
                for text, glyphs in zip(batch, set_lines, strict=True):
                    self._set_ahead[(text, font_size, bold)] = glyphs

    def _render(self, text: str, font_size: float, color: str, bold: bool) -> Sprite | None:
        glyphs = self._glyphs(text, font_size, bold)
        if not glyphs:
            return None
        k = self.pixels_per_svg_unit
        points = np.concatenate([np.add(_points(outline), (x, y)) for x, y, outline in glyphs]) * k
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        left, top = np.floor(x0) - PAD, np.floor(y0) - PAD
        width, height = int(np.ceil(x1) - left) + PAD, int(np.ceil(y1) - top) + PAD
        mask = self._fill(glyphs, k, -left, -top, width, height)
        alpha, colour = premultiplied(mask, tuple(round(255 * c) for c in rgb(color)))
        return Sprite(alpha, colour, (x0 - left, y0 - top, x1 - x0, y1 - y0))

    def _glyphs(self, text: str, font_size: float, bold: bool) -> list[Glyph]:
        ready = self._set_ahead.get((text, font_size, bold))
        if ready is not None:
            return ready
        return pango_glyphs(text, self.font, font_size, bold, self.frame_pixels, self._svg)

    def _fill(self, glyphs, k: float, dx: float, dy: float, width: int, height: int
              ) -> np.ndarray:
        """The glyphs filled (cairo, nonzero winding as manim fills them) into an alpha mask."""
        import cairo

        surface = cairo.ImageSurface(cairo.FORMAT_A8, width, height)
        ctx = cairo.Context(surface)
        ctx.set_fill_rule(cairo.FILL_RULE_WINDING)
        ctx.translate(dx, dy)
        ctx.scale(k, k)
        for x, y, outline in glyphs:
            _trace(ctx, x, y, outline)
        ctx.fill()
        surface.flush()
        stride = surface.get_stride()
        rows = np.frombuffer(surface.get_data(), np.uint8).reshape(height, stride)
        return rows[:, :width]


def pango_glyph_lines(texts: Sequence[str], font: str, font_size: float, bold: bool,
                      canvas: tuple[int, int], scratch: Path) -> list[list[Glyph]]:
    """`pango_glyphs` of each single-line text, from one call to Pango: manimpango lays out
    each line's setting alone and moves only its start down a line, so text k is set as it
    would be alone, ``BATCH_LINE_SPACING`` * k lower (whole SVG units: the subtraction is
    exact)."""
    lines: list[list[Glyph]] = [[] for _ in texts]
    taller = (canvas[0], canvas[1] + BATCH_LINE_SPACING * len(texts))  # every line inside
    for x, y, outline in _set_lines([text.replace("\t", "    ") for text in texts], font,
                                    font_size, bold, BATCH_LINE_SPACING, taller, scratch):
        line = int((y - START_Y) // BATCH_LINE_SPACING)
        lines[line].append((x, round(y - BATCH_LINE_SPACING * line, SVG_DECIMALS), outline))
    return lines


def pango_glyphs(text: str, font: str, font_size: float, bold: bool,
                 canvas: tuple[int, int], scratch: Path) -> list[Glyph]:
    """Each inked glyph's position (SVG units) and outline, as Pango sets ``text`` for a
    manim `Text` of ``font_size`` on a ``canvas`` of pixels (the SVG is written to
    ``scratch``)."""
    spacing = font_size / SVG_FONT_FACTOR * LINE_SPACING
    return _set_lines(text.replace("\t", "    ").split("\n"), font, font_size, bold, spacing,
                      canvas, scratch)


def _set_lines(lines: Sequence[str], font: str, font_size: float, bold: bool,
               line_spacing: float, canvas: tuple[int, int], scratch: Path) -> list[Glyph]:
    """Every inked glyph of ``lines`` as Pango sets them through manimpango (each line's
    setting laid out alone, ``line_spacing`` SVG units below the one before), in order."""
    import manimpango

    settings, start = [], 0
    for line, part in enumerate(lines):
        settings.append(manimpango.TextSetting(start, start + len(part), font, "NORMAL",
                                               "BOLD" if bold else "NORMAL", line))
        start += len(part) + 1
    manimpango.text2svg(settings, font_size / SVG_FONT_FACTOR, line_spacing, False,
                        str(scratch), START_X, START_Y, *canvas, "\n".join(lines))
    svg = scratch.read_text(encoding="utf-8")
    outlines = {name: _outline(data) for name, data in _GLYPH.findall(svg)}
    return [(float(x), float(y), outlines[name]) for name, x, y in _USE.findall(svg)
            if len(outlines.get(name, ())) > 1]


@lru_cache(maxsize=8192)
def _points(outline: Outline) -> np.ndarray:
    """Every point of ``outline`` (control points too), (n, 2)."""
    return np.array([v for _, values in outline for v in values]).reshape(-1, 2)


def _trace(ctx, x: float, y: float, outline: Outline) -> None:
    """Add ``outline`` at (x, y) to the cairo context's path."""
    for command, v in outline:
        if command == "M":
            ctx.move_to(x + v[0], y + v[1])
        elif command == "L":
            ctx.line_to(x + v[0], y + v[1])
        elif command == "C":
            ctx.curve_to(x + v[0], y + v[1], x + v[2], y + v[3], x + v[4], y + v[5])
        else:
            ctx.close_path()
