"""The shared frame every scene kind composes in: units, a type scale by role, and named slots.

A `Frame` is made once per render from the video settings, the theme and the texts that do
not change (title, subtitle, the widest counter). It lays out the header (title, subtitle,
counter, status line), the caption band at the bottom, and the body between them, for every
aspect and quality; a kind asks for panels inside the body and never converts units itself.

Coordinates are figure fractions, (0, 0) bottom left; sizes are points on a 720-pixel short
side (see `display`). Text is measured with the font the painters use, so a label can be
fitted, wrapped, or checked for leaving the frame or lying on another (`layout_problems`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from mlanim.draw import display as d
from mlanim.draw.config import read_config
from mlanim.draw.theme import Theme
from mlanim.draw.video import PIXELS_PER_POINT, VideoSettings

Box = tuple[float, float, float, float]  # left, bottom, width, height (figure fractions)


LINE_HEIGHT = 1.3  # a text line's height, in multiples of its size
# Pango (manim) sets the same font a few percent wider than FreeType (matplotlib frames):
# measured widths carry this margin so that a fitted text fits on both backends.
WIDTH_MARGIN = 1.06


@cache
def _font(family: str, bold: bool, pixels: int):
    from matplotlib import font_manager
    from PIL import ImageFont

    path = font_manager.findfont(font_manager.FontProperties(
        family=family, weight="bold" if bold else "normal"))
    return ImageFont.truetype(path, pixels)


def font(family: str, points: float, scale: float, bold: bool = False):
    """The Pillow font of ``family`` at ``points`` (720p) on a frame of this ``scale``."""
    return _font(family, bold, max(6, round(points * scale * PIXELS_PER_POINT)))


def type_scale() -> dict[str, float]:
    """Point sizes by role (title, subtitle, counter, ...) from ``configs/render.yaml``."""
    return dict(read_config("render")["type"])


def spacing_scale() -> dict[str, float]:
    """Gaps in points by role (pad, gap, panel, ...) from ``configs/render.yaml``."""
    return dict(read_config("render")["space"])


class Units:
    """Conversions between points (720p), pixels and figure fractions for one video."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self.sizes = type_scale()
        self.spaces = spacing_scale()
        layout = read_config("render")["frame"]
        self.margin_x = layout["margin"] * min(video.width, video.height) / video.width
        self.margin_y = layout["margin"] * min(video.width, video.height) / video.height

    def size(self, role: str | float) -> float:
        """The point size of a role (``"title"``, ``"caption"``, ...) or a size as given."""
        return self.sizes[role] if isinstance(role, str) else float(role)

    def px(self, points: float) -> float:
        """Points as pixels on this frame."""
        return points * self.video.scale * PIXELS_PER_POINT

    def space(self, role: str | float) -> float:
        """The points of a spacing role (``"pad"``, ``"gap"``, ...) or points as given."""
        return self.spaces[role] if isinstance(role, str) else float(role)

    def dy(self, points: str | float) -> float:
        """A spacing role, or points, as a fraction of the frame's height."""
        return self.px(self.space(points)) / self.video.height

    def dx(self, points: str | float) -> float:
        """A spacing role, or points, as a fraction of the frame's width."""
        return self.px(self.space(points)) / self.video.width

    def x_px(self, pixels: float) -> float:
        """Pixels as a fraction of the frame's width."""
        return pixels / self.video.width

    def y_px(self, pixels: float) -> float:
        """Pixels as a fraction of the frame's height."""
        return pixels / self.video.height

    def points(self, pixels: float) -> float:
        """The point size (720p) that is ``pixels`` on this frame."""
        return pixels / (self.video.scale * PIXELS_PER_POINT)

    def points_x(self, fraction: float) -> float:
        """A fraction of the frame's width, in points."""
        return self.points(fraction * self.video.width)

    def points_y(self, fraction: float) -> float:
        """A fraction of the frame's height, in points."""
        return self.points(fraction * self.video.height)

    def line(self, role: str | float) -> float:
        """The height of one line of text of ``role``, as a fraction of the frame's height."""
        return self.dy(self.size(role) * LINE_HEIGHT)

    def width(self, text: str, role: str | float, bold: bool = False) -> float:
        """How wide ``text`` is set in ``role``'s size, as a fraction of the frame's width."""
        face = font(self.theme.font, self.size(role), self.video.scale, bold)
        return face.getlength(text) * WIDTH_MARGIN / self.video.width

    def fit(self, text: str, role: str | float, width: float, bold: bool = False,
            smallest: float = 0.7) -> float:
        """The largest size, at most the role's and at least ``smallest`` of it, at which
        ``text`` fits ``width``."""
        size = self.size(role)
        wide = self.width(text, size, bold)
        if wide <= width:
            return size
        floor = size * smallest
        fitted = max(floor, size * width / wide)
        # fonts are set at whole pixel sizes, so the linear guess can be a pixel too wide
        while fitted > floor and self.width(text, fitted, bold) > width:
            fitted = max(floor, fitted * 0.96)
        return fitted

    def wrap(self, text: str, role: str | float, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width``."""
        if self.width(text, role) <= width:
            return [text]
        per_char = self.width("abcdefghijklmnopqrstuvwxyz ABCDE 0123", role) / 37
        chars = max(8, int(width / per_char))
        lines = textwrap.wrap(text, chars)
        while chars > 8 and any(self.width(line, role) > width for line in lines):
            chars -= 2
            lines = textwrap.wrap(text, chars)
        return lines

    def label_box(self, label: d.Label) -> Box:
        """The box a label's text covers (its line height, its measured width)."""
        w = self.width(label.text, label.size, label.bold)
        h = self.dy(label.size * LINE_HEIGHT)
        x = label.at[0] - {"left": 0.0, "center": w / 2, "right": w}[label.ha]
        y = label.at[1] - {"bottom": 0.0, "center": h / 2, "top": h, "baseline": h * 0.2}[
            label.va]
        return x, y, w, h


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a swatch of ``color`` (a line, a dot or a ring) and its text."""

    color: str
    text: str
    marker: str = "dot"  # dot | ring | line | dash | diamond | none


class Frame(Units):
    """Header, caption band and body of every frame of one render.

    ``counter_sample`` is the widest counter the video will show (``"epoch 60 / 60"``): room
    is kept for it so that nothing moves when the counter changes. ``status_sample`` does the
    same for the status line (right-aligned under the counter).
    """

    def __init__(self, video: VideoSettings, theme: Theme, title: str, subtitle: str = "",
                 counter_sample: str = "", status_sample: str = "",
                 caption_lines: int = 2) -> None:
        super().__init__(video, theme)
        self.title, self.subtitle = (title, subtitle) if video.titles else ("", "")
        if not video.titles:  # a paper figure: its caption in the paper says what and when
            counter_sample = status_sample = ""
        self.left, self.right = self.margin_x, 1 - self.margin_x
        self.top = 1 - self.margin_y
        self.caption_lines = caption_lines if video.captions else 0
        self._counter_width = self.width(counter_sample, "counter", bold=True)
        self._status_width = self.width(status_sample, "status")
        self._lay_out_header()

    # -- header -----------------------------------------------------------------------------
    def _lay_out_header(self) -> None:
        full = self.right - self.left
        gap = self.dx(18)
        stacked = self.video.portrait or self._counter_width > full * 0.4
        beside = 0.0 if stacked else self._counter_width + gap
        self.title_size = self.fit(self.title, "title", full - beside, bold=True, smallest=0.6)
        y = self.top - (self.line(self.title_size) if self.title else 0.0)
        self.subtitle_lines: list[str] = []
        self.subtitle_size = self.size("subtitle")
        if self.subtitle:
            room = full - (0.0 if stacked else max(beside, self._status_width + gap))
            self.subtitle_size = self.fit(self.subtitle, "subtitle", room, smallest=0.8)
            self.subtitle_lines = self.wrap(self.subtitle, self.subtitle_size, room)
            y -= self.line(self.subtitle_size) * len(self.subtitle_lines)
        self.stacked = stacked
        if stacked and (self._counter_width or self._status_width):
            self.counter_y = y - self.dy(4)
            y = self.counter_y - max(self.line("counter") if self._counter_width else 0,
                                     self.line("status") if self._status_width else 0)
        else:
            self.counter_y = self.top
            right_column = self.top - (self.line("counter") if self._counter_width else 0) - (
                self.line("status") if self._status_width else 0)
            y = min(y, right_column)
        if y >= self.top:  # no header (a paper figure): room for the panels' own headings
            y = self.top - self.line("heading")
        self.header_bottom = y - self.dy(10)

    def header(self, counter: str = "", status: str = "") -> list[d.Shape]:
        """Title and subtitle top left, the counter (and status line) top right; stacked
        under the subtitle in portrait or when the counter is wide."""
        return [*self.titles(), *self.counter(counter, status)]

    def titles(self) -> list[d.Shape]:
        """The header's unchanging part: the title and the subtitle's lines."""
        t = self.theme
        if not self.title:
            return []
        shapes: list[d.Shape] = [d.Label((self.left, self.top), self.title, self.title_size,
                                         t.text, "left", "top", bold=True)]
        y = self.top - self.line(self.title_size)
        for line in self.subtitle_lines:
            shapes.append(d.Label((self.left, y), line, self.subtitle_size, t.muted, "left",
                                  "top"))
            y -= self.line(self.subtitle_size)
        return shapes

    def counter(self, counter: str, status: str = "") -> list[d.Shape]:
        """The header's changing part: the counter and the status line under it."""
        t = self.theme
        shapes: list[d.Shape] = []
        if not self.video.titles:
            return shapes
        if counter:
            at = (self.left, self.counter_y) if self.stacked else (self.right, self.top)
            shapes.append(d.Label(at, counter, self.size("counter"), t.accent,
                                  "left" if self.stacked else "right", "top", bold=True,
                                  role="counter"))
        if status:
            status_y = self.counter_y if self.stacked else self.top - self.line("counter")
            room = self.right - self.left - (
                self._counter_width + self.dx(18) if self.stacked else 0)
            shapes.append(d.Label((self.right, status_y), status,
                                  self.fit(status, "status", room), t.muted, "right", "top"))
        return shapes

    # -- caption ----------------------------------------------------------------------------
    @property
    def caption_top(self) -> float:
        """Where the caption band ends (the body's floor)."""
        if not self.caption_lines:
            return self.margin_y
        return self.margin_y + self.caption_lines * self.line("caption") + self.dy(6)

    def caption(self, text: str) -> list[d.Label]:
        """``text`` centred in the caption band, wrapped, shrunk when it needs more lines
        than the band holds; nothing when captions are off."""
        if not self.caption_lines or not text:
            return []
        width = self.right - self.left
        size = self.size("caption")
        lines = self.wrap(text, size, width)
        while len(lines) > self.caption_lines and size > self.size("caption") * 0.7:
            size *= 0.92
            lines = self.wrap(text, size, width)
        lines = lines[: self.caption_lines]
        step = self.line(size)
        return [d.Label((0.5, self.margin_y + k * step), line, size, self.theme.text,
                        "center", "bottom", role="caption")
                for k, line in enumerate(reversed(lines))]

    # -- body and panels --------------------------------------------------------------------
    @property
    def body(self) -> Box:
        """The room between the header and the caption band."""
        bottom = self.caption_top
        return self.left, bottom, self.right - self.left, self.header_bottom - bottom

    def square(self, box: Box, align: str = "center", widest: float = 1.0) -> Box:
        """The largest square (in pixels) inside ``box``, or a rectangle up to ``widest``
        times as wide as tall; ``align`` left/center/right/top."""
        x, y, w, h = box
        side_px = min(w * self.video.width, h * self.video.height)
        wide_px = min(w * self.video.width, side_px * widest)
        sw, sh = wide_px / self.video.width, side_px / self.video.height
        left = {"left": x, "right": x + w - sw}.get(align, x + (w - sw) / 2)
        bottom = y + h - sh if align == "top" else y + (h - sh) / 2
        return left, bottom, sw, sh

    def fit_aspect(self, box: Box, aspect: float, align: str = "center") -> Box:
        """The largest rectangle ``aspect`` times as wide as tall (in pixels) inside ``box``;
        ``align`` left/center."""
        x, y, w, h = box
        width_px = min(w * self.video.width, h * self.video.height * aspect)
        sw, sh = width_px / self.video.width, width_px / aspect / self.video.height
        left = x if align == "left" else x + (w - sw) / 2
        return left, y + (h - sh) / 2, sw, sh

    def pixel_aspect(self, box: Box) -> float:
        """Width over height of ``box`` in pixels."""
        return box[2] * self.video.width / max(box[3] * self.video.height, 1e-9)

    def inset(self, box: Box, left: str | float = 0, bottom: str | float = 0,
              right: str | float = 0, top: str | float = 0) -> Box:
        """``box`` shrunk on each side by a spacing role or points (room for labels around a
        panel)."""
        x, y, w, h = box
        return (x + self.dx(left), y + self.dy(bottom), w - self.dx(left) - self.dx(right),
                h - self.dy(bottom) - self.dy(top))

    def plot_area(self, box: Box, right: str | float = 0) -> Box:
        """The plotting area of a panel whose axis ranges are written left of and below it
        (and ``right`` room beside it, for a colour bar)."""
        return self.inset(box, left="column", bottom="block", right=right, top="small")

    def split(self, box: Box, weights: Sequence[float], vertical: bool = False,
              gap: str | float = "column") -> list[Box]:
        """``box`` cut into parts by ``weights``, side by side (or stacked top to bottom
        when ``vertical``), a spacing role (or points) ``gap`` apart."""
        x, y, w, h = box
        room = (h if vertical else w) - (self.dy(gap) if vertical else self.dx(gap)) * (
            len(weights) - 1)
        total = float(sum(weights))
        boxes, cursor = [], (y + h if vertical else x)
        for weight in weights:
            size = room * weight / total
            if vertical:
                cursor -= size
                boxes.append((x, cursor, w, size))
                cursor -= self.dy(gap)
            else:
                boxes.append((cursor, y, size, h))
                cursor += size + self.dx(gap)
        return boxes

    def split_for_squares(self, box: Box, count: int, gap: str | float = "column") -> list[Box]:
        """``box`` cut into ``count`` equal parts in a row or a column, whichever holds the
        larger squares in pixels (a row when they tie)."""
        row = self.split(box, [1] * count, gap=gap)
        column = self.split(box, [1] * count, vertical=True, gap=gap)
        return column if self.square(column[0])[3] > self.square(row[0])[3] else row

    # -- legend -----------------------------------------------------------------------------
    def legend_rows(self, items: Sequence[LegendItem], width: float,
                    role: str = "legend") -> list[list[LegendItem]]:
        """Items flowed into rows no wider than ``width``."""
        rows: list[list[LegendItem]] = [[]]
        used = 0.0
        for item in items:
            need = self._item_width(item, role)
            if rows[-1] and used + need > width:
                rows.append([])
                used = 0.0
            rows[-1].append(item)
            used += need
        return rows

    def folded(self, items: Sequence[LegendItem], width: float, rows: int,
               rest: str = "and {n} more", role: str = "legend") -> list[LegendItem]:
        """``items`` cut to what fills ``rows`` rows of ``width``, the last entry saying how
        many were left out (``rest`` with ``{n}``) when any were."""
        if len(self.legend_rows(items, width, role)) <= rows:
            return list(items)
        kept = list(items)
        while kept:
            kept.pop()
            more = LegendItem(self.theme.muted, rest.format(n=len(items) - len(kept)), "none")
            if len(self.legend_rows([*kept, more], width, role)) <= rows:
                return [*kept, more]
        return [LegendItem(self.theme.muted, rest.format(n=len(items)), "none")]

    def legend_height(self, items: Sequence[LegendItem], width: float,
                      role: str = "legend") -> float:
        """How tall `legend` will be for these items in ``width``."""
        return len(self.legend_rows(items, width, role)) * self.line(role) * 1.15

    def legend(self, items: Sequence[LegendItem], at: tuple[float, float], width: float,
               role: str = "legend", centered: bool = False) -> list[d.Shape]:
        """Swatches and texts flowed in rows from ``at`` (top left; top centre when
        ``centered``), wrapping at ``width``."""
        shapes: list[d.Shape] = []
        step = self.line(role) * 1.15
        y = at[1] - step / 2
        for row in self.legend_rows(items, width, role):
            row_width = sum(self._item_width(item, role) for item in row) - self.dx(14)
            x = at[0] - row_width / 2 if centered else at[0]
            for item in row:
                shapes += self._swatch(item, x, y, role)
                x += self._item_width(item, role)
            y -= step
        return shapes

    def _item_width(self, item: LegendItem, role: str) -> float:
        return self.dx(self._swatch_points(role) + 6 + 14) + self.width(item.text, role)

    def _swatch_points(self, role: str) -> float:
        return self.size(role) * 1.6

    def _swatch(self, item: LegendItem, x: float, y: float, role: str) -> list[d.Shape]:
        swatch = self._swatch_points(role)
        middle = (x + self.dx(swatch / 2), y)
        radius = self.size(role) * 0.38
        marks: dict[str, d.Shape] = {
            "dot": d.Circle(middle, radius, item.color, None),
            "ring": d.Circle(middle, radius, None, item.color, 1.4),
            "line": d.Line((x, y), (x + self.dx(swatch), y), item.color, 3.0),
            "dash": d.Line((x, y), (x + self.dx(swatch * 0.45), y), item.color, 3.0)}
        if item.marker == "diamond":
            cx, cy = middle
            rx, ry = self.dx(radius * 1.3), self.dy(radius * 1.3)
            corners = ((cx - rx, cy), (cx, cy + ry), (cx + rx, cy), (cx, cy - ry))
            marks["diamond"] = d.Polyline((*corners, corners[0]), item.color, 1.4)
        shapes = [marks[item.marker]] if item.marker in marks else []
        if item.marker == "dash":
            shapes.append(d.Line((x + self.dx(swatch * 0.6), y), (x + self.dx(swatch), y),
                                 item.color, 3.0))
        shapes.append(d.Label((x + self.dx(swatch + 6), y), item.text, self.size(role),
                              self.theme.muted if item.marker == "none" else self.theme.text,
                              "left", "center"))
        return shapes


def layout_problems(picture: d.Picture, units: Units, tolerance: float = 1.0) -> list[str]:
    """Texts of ``picture`` that leave the frame, and pairs that lie on each other.

    ``tolerance`` is in pixels: boxes may touch or overlap by that much (line boxes include
    leading, so neighbouring lines of one paragraph touch)."""
    video = units.video
    tx, ty = tolerance / video.width, tolerance / video.height
    labels = [s for s in picture.all_shapes if isinstance(s, d.Label) and s.text.strip()]
    boxes = [units.label_box(label) for label in labels]
    problems = []
    for label, (x, y, w, h) in zip(labels, boxes, strict=True):
        if x < -tx or y < -ty or x + w > 1 + tx or y + h > 1 + ty:
            problems.append(f"{label.text!r} leaves the frame")
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            overlap_x = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            overlap_y = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            if overlap_x > tx and overlap_y > ty * 2 + units.dy(labels[i].size * 0.25):
                problems.append(f"{labels[i].text!r} lies on {labels[j].text!r}")
    return problems
