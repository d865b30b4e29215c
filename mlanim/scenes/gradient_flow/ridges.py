"""The histogram panel of the gradient-flow scene: a ridge of each layer's |gradient|
histogram at the current step, on one log axis, the first layer at the top."""

from __future__ import annotations

import math

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import power_of_ten, value_row_height
from mlanim.draw.frame import Box
from mlanim.scenes.gradient_flow.story import FlowStory

RIDGE_HEIGHT = 1.7
"""A histogram's peak, in rows: ridges overlap the row above, as in a ridge plot."""

NAMES_SHARE = 0.4
"""The most of the histogram panel's width that layer names may take."""


class Ridges:
    """Laid out once inside ``box``; `axes` is background, `draw` a step's ridges."""

    def __init__(self, story: FlowStory, box: Box, names: list[str], colors: list[str]) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.names, self.colors = names, colors
        self.ridge, self.columns = self._ridge_layout(box)
        self.ridge_panel = box

    def _ridge_layout(self, box: Box) -> tuple[Box, tuple[int, int]]:
        """The ridge panel inside ``box`` (room for layer names left, ticks below and a
        heading above) and the histogram columns it shows: those any step filled."""
        f = self.f
        tick = f.line("tick")
        x, y, w, h = box
        height = h - tick * 2 - f.dy("small") - value_row_height(f)
        spacing = height / (len(self.s.layers) - 1 + RIDGE_HEIGHT)
        self.notes_beside = spacing < f.line("label") + 2 * tick
        # names as large as the rows allow (down to the smallest size), every other row's (or
        # fewer) when even that is taller than a row
        fitting = f.size("label") * spacing / f.line("label")
        self.name_size = max(min(f.size("label"), fitting), f.size("smallest"))
        self.name_stride = max(1, math.ceil(f.line(self.name_size) / spacing - 1e-9))
        widest = min(max(f.width(name, "label") for name in self.names), w * NAMES_SHARE)
        self.names_width = widest
        note = f.width("100% zero, 100% NaN/inf", "tick")
        names = widest + note + f.dx("small") if self.notes_beside else max(widest, note)
        ridge = (x + names + f.dx("pad"), y + tick * 2 + f.dy("small"), w - names - f.dx("pad"),
                 height)
        filled = np.nonzero(self.s.histograms[:, :, 1:-1].sum(axis=(0, 1)))[0]
        if filled.size == 0:
            return ridge, (0, self.s.bins)
        return ridge, (int(filled[0]), int(filled[-1]) + 1)

    def _log_x(self, column: float) -> float:
        """log10 |gradient| at the left edge of histogram column ``column`` (0-based)."""
        s = self.s
        return s.low + (s.high - s.low) * column / s.bins

    def _ridge_x(self, log_value: float) -> float:
        x0, _, w, _ = self.ridge
        lo, hi = (self._log_x(c) for c in self.columns)
        return x0 + w * (log_value - lo) / ((hi - lo) or 1.0)

    def _row_base(self, layer: int) -> float:
        """The baseline of ``layer``'s ridge (the first layer at the top)."""
        _, y0, _, h = self.ridge
        rows = len(self.s.layers)
        return y0 + h - h * (layer + RIDGE_HEIGHT) / (rows - 1 + RIDGE_HEIGHT)

    def _row_height(self) -> float:
        return self.ridge[3] * RIDGE_HEIGHT / (len(self.s.layers) - 1 + RIDGE_HEIGHT) * 0.95

    def axes(self) -> list[d.Shape]:
        f, t = self.f, self.t
        x0, y0, w, h = self.ridge
        shapes: list[d.Shape] = []
        lo, hi = (self._log_x(c) for c in self.columns)
        for decade in range(int(np.ceil(lo)), int(np.floor(hi)) + 1,
                            max(1, int(np.ceil((hi - lo) / 6)))):
            x = self._ridge_x(decade)
            shapes.append(d.Line((x, y0), (x, y0 + h), t.grid, 0.6))
            shapes.append(d.Label((x, y0 - f.dy("tight")), power_of_ten(decade), f.size("tick"),
                                  t.muted, "center", "top"))
        text = "|gradient| of each weight (log scale)"
        size = f.fit(text, "tick", w, smallest=0.8)
        px, _, pw, _ = self.ridge_panel
        right = min(x0 + w / 2 + f.width(text, size) / 2, px + pw)
        shapes.append(d.Label((right, y0 - f.dy("tight") - f.line("tick")), text, size, t.muted,
                              "right", "top"))
        return shapes

    def draw(self, pic: d.Picture, step: int) -> None:
        f, s, t = self.f, self.s, self.t
        counts = s.histogram(step)
        first, last = self.columns
        xs = [self._ridge_x(self._log_x(c + 0.5)) for c in range(first, last)]
        x0, x1 = self._ridge_x(self._log_x(first)), self._ridge_x(self._log_x(last))
        height = self._row_height()
        steps = f"steps {max(1, step + 2 - s.window)}-{step + 1}" if s.window > 1 \
            else f"step {step + 1}"
        heading = f"gradient histogram per layer, {steps}"
        px, _, pw, _ = self.ridge_panel
        pic.add(d.Label((px, self.ridge[1] + self.ridge[3] + f.dy("small")), heading,
                        f.fit(heading, "label", pw), t.text, "left", "bottom"))
        for layer, (name, color) in enumerate(zip(self.names, self.colors, strict=True)):
            row = counts[layer]
            total = max(int(row.sum()), 1)
            shape = row[1 + first: 1 + last].astype(float)
            peak = shape.max() or 1.0
            base = self._row_base(layer)
            ys = [base + height * v / peak for v in shape]
            outline = ((x0, base), *zip(xs, ys, strict=True), (x1, base))
            pic.add(d.Polygon(outline, t.panel, 1.0), d.Polygon(outline, color, 0.55),
                    d.Polyline(outline, color, 1.4))
            notes = [f"{row[0] / total:.0%} zero"] if row[0] else []
            notes += [f"{row[-1] / total:.0%} NaN/inf"] if row[-1] else []
            if layer % self.name_stride:
                continue  # rows too low for every name: the named ones say which is which
            size = self.name_size
            pic.add(d.Label((self.ridge[0] - f.dx("gap"), base), name,
                            f.fit(name, size, self.names_width), color, "right", "bottom"))
            right = self.ridge[0] - f.dx("gap")
            if self.notes_beside and notes:
                pic.add(d.Label((right - f.width(name, size) - f.dx("small"), base),
                                ", ".join(notes), min(f.size("tick"), size), t.muted, "right",
                                "bottom"))
            for k, note in enumerate([] if self.notes_beside else notes):
                pic.add(d.Label((right, base + f.line("label") + k * f.line("tick")),
                                note, f.size("tick"), t.muted, "right", "bottom"))
