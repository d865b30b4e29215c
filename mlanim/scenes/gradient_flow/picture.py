"""One frame of the gradient-flow scene: each layer's gradient norm over the steps so far (log
scale), a ridge of each layer's |gradient| histogram at the current step, and the diagnoses."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_axes,
    chart_curves,
    power_of_ten,
    value_row_height,
)
from mlanim.draw.frame import Box, LegendItem
from mlanim.draw.names import short_names
from mlanim.scenes.base import join_parts
from mlanim.scenes.gradient_flow.story import FlowStory

RIDGE_HEIGHT = 1.7
"""A histogram's peak, in rows: ridges overlap the row above, as in a ridge plot."""


LEGEND_ROWS = 3
"""Rows the norm chart's legend may take; more layers fold into "and N more" (the histogram
panel names every layer)."""

NAMES_SHARE = 0.4
"""The most of the histogram panel's width that layer names may take."""

BOLD_WIDTH = 0.9
"""Bold text is about a tenth wider than the regular text `Units.wrap` measures."""


class FlowPicture:
    """Lays the panels out once; `picture(frame)` composes each frame."""

    def __init__(self, story: FlowStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.colors = [self.t.class_color(k) for k in range(len(story.layers))]
        self.names = short_names(story.layers)
        x, y, w, h = self.f.body
        self.text_width = w - self.f.dx("block")
        self.diagnosis_lines = self._diagnosis_lines()
        rows = self.f.line("label") * sum(self.diagnosis_lines) + self.f.dy("tight") * 3
        self.diagnosis_box = (x, y, w, rows)
        area = (x, y + rows + self.f.dy("pad"), w, h - rows - self.f.dy("pad"))
        left, right = self.f.split(area, [1.15, 1], vertical=story.video.portrait, gap="halves")
        items = self.f.folded([LegendItem(c, name, "line")
                               for c, name in zip(self.colors, self.names, strict=True)],
                              left[2], LEGEND_ROWS, "and {n} more, named beside the histograms")
        legend_h = self.f.legend_height(items, left[2])
        room_x, room_y = axes_room(self.f)
        lx, ly, lw, lh = left
        self.chart = (lx + room_x, ly + room_y + legend_h,
                      lw - room_x, lh - room_y - legend_h - value_row_height(self.f))
        self.bottom, self.top = self._decades()
        self.heading = "gradient norm per layer" + (
            f", geometric mean of {story.window} steps" if story.window > 1 else "")
        self.ridge, self.columns = self._ridge_layout(right)
        self.ridge_panel = right
        self.background = tuple([
            *self.f.titles(),
            *self.f.legend(items, (lx, ly + legend_h), lw),
            *chart_axes(self.f, self.chart, "step", self.top, False,
                        (1.0, float(max(story.steps[-1], 2))) if len(story.steps) else None,
                        self.bottom, log=True),
            *self._limit_line(),
            *self._ridge_axes()])

    # -- layout ---------------------------------------------------------------------------
    def _decades(self) -> tuple[float, float]:
        """The norm chart's range in powers of ten: the recorded norms and the exploding
        limit, widened to whole decades."""
        norms = self.s.norms
        finite = norms[np.isfinite(norms) & (norms > 0)]
        low = float(np.log10(finite.min())) if finite.size else -3.0
        high = float(np.log10(finite.max())) if finite.size else 0.0
        high = max(high, float(np.log10(self.s.spec.flow.exploding_norm)))
        return float(np.floor(low)), float(np.ceil(high + 1e-9))

    def _diagnosis_lines(self) -> list[int]:
        """Lines each diagnosis gets (one, or two where its longest text needs them)."""
        s = self.s
        last = max(len(s.steps) - 1, 0)
        lines = []
        for early, late in zip(s.findings(0, s.spec.flow), s.findings(last, s.spec.flow),
                               strict=True):
            need = max(len(self.f.wrap(text, "label", self.text_width * BOLD_WIDTH))
                       for text in (early.text, late.text))
            lines.append(min(need, 2))
        return lines

    def _ridge_layout(self, box: Box) -> tuple[Box, tuple[int, int]]:
        """The ridge panel inside ``box`` (room for layer names left, ticks below and a
        heading above) and the histogram columns it shows: those any step filled."""
        f = self.f
        tick = f.line("tick")
        x, y, w, h = box
        height = h - tick * 2 - f.dy("small") - value_row_height(f)
        spacing = height / (len(self.s.layers) - 1 + RIDGE_HEIGHT)
        self.notes_beside = spacing < f.line("label") + 2 * tick
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

    # -- background -----------------------------------------------------------------------
    def _limit_line(self) -> list[d.Shape]:
        """The exploding limit across the norm chart."""
        x0, y0, w, h = self.chart
        limit = float(np.log10(self.s.spec.flow.exploding_norm))
        y = y0 + h * (limit - self.bottom) / ((self.top - self.bottom) or 1.0)
        return [d.Polyline(((x0, y), (x0 + w, y)), self.t.negative, 1.0, dashed=True),
                d.Label((x0 + w - self.f.dx("small"), y + self.f.dy("thin")), "exploding limit",
                        self.f.size("tick"), self.t.negative, "right", "bottom")]

    def _ridge_axes(self) -> list[d.Shape]:
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

    # -- each frame -----------------------------------------------------------------------
    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s = self.s
        step = s.step_at(frame)
        pic = d.Picture(background=self.background)
        total = len(s.steps)
        known = len(s.losses) > step and np.isfinite(s.losses[step])
        loss = f"loss {_number(s.losses[step])}" if known else ""
        pic.add(*self.f.counter(f"step {step + 1} / {total}",
                                join_parts(s.epoch_text(step), loss)))
        if total:
            self._norms(pic, step)
            self._ridges(pic, step)
        self._diagnoses(pic, step)
        pic.add(*self.f.caption(s.caption(frame)))
        return pic

    def _norms(self, pic: d.Picture, step: int) -> None:
        s = self.s
        series = [Series(name, s.smooth_norms[:, k], color)
                  for k, (name, color) in enumerate(zip(s.layers, self.colors, strict=True))]
        pic.add(*chart_curves(self.f, self.chart, s.steps, series, float(step + 1), self.top,
                              self.heading, self.bottom, log=True, values=False))

    def _ridges(self, pic: d.Picture, step: int) -> None:
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
            pic.add(d.Label((self.ridge[0] - f.dx("gap"), base), name,
                            f.fit(name, "label", self.names_width), color,
                            "right", "bottom"))
            right = self.ridge[0] - f.dx("gap")
            if self.notes_beside and notes:
                pic.add(d.Label((right - f.width(name, "label") - f.dx("small"), base),
                                ", ".join(notes), f.size("tick"), t.muted, "right", "bottom"))
            for k, note in enumerate([] if self.notes_beside else notes):
                pic.add(d.Label((right, base + f.line("label") + k * f.line("tick")),
                                note, f.size("tick"), t.muted, "right", "bottom"))

    def _diagnoses(self, pic: d.Picture, step: int) -> None:
        f, t = self.f, self.t
        x, y, _, h = self.diagnosis_box
        top = y + h
        for finding, count in zip(self.s.findings(step, self.s.spec.flow),
                                  self.diagnosis_lines, strict=True):
            size = f.size("label")
            room = self.text_width * (BOLD_WIDTH if finding.fired else 1.0)
            lines = f.wrap(finding.text, size, room)
            while len(lines) > count and size > f.size("label") * 0.6:
                size *= 0.93
                lines = f.wrap(finding.text, size, room)
            color = t.negative if finding.fired else t.positive
            pic.add(d.Circle((x + f.dx("snug"), top - f.line("label") / 2),
                             f.size("label") * 0.35, color, None))
            for k, line in enumerate(lines[:count]):
                pic.add(d.Label((x + f.dx("section"), top - k * f.line(size)), line, size,
                                t.text if finding.fired else t.muted, "left", "top",
                                bold=finding.fired))
            top -= f.line("label") * count + f.dy("tight")



def _number(value: float) -> str:
    """A loss for the status line: four decimals, or three digits once it has exploded."""
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.3g}"
