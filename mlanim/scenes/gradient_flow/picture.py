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
    value_row_height,
)
from mlanim.draw.frame import LegendItem
from mlanim.draw.names import short_names
from mlanim.scenes.base import join_parts
from mlanim.scenes.gradient_flow.ridges import Ridges
from mlanim.scenes.gradient_flow.story import FlowStory

LEGEND_ROWS = 3
"""Rows the norm chart's legend may take; more layers fold into "and N more" (the histogram
panel names every layer)."""

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
        self.ridges = Ridges(story, right, self.names, self.colors)
        self.background = tuple([
            *self.f.titles(),
            *self.f.legend(items, (lx, ly + legend_h), lw),
            *chart_axes(self.f, self.chart, "step", self.top, False,
                        (1.0, float(max(story.steps[-1], 2))) if len(story.steps) else None,
                        self.bottom, log=True),
            *self._limit_line(),
            *self.ridges.axes()])

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

    def _limit_line(self) -> list[d.Shape]:
        """The exploding limit across the norm chart."""
        x0, y0, w, h = self.chart
        limit = float(np.log10(self.s.spec.flow.exploding_norm))
        y = y0 + h * (limit - self.bottom) / ((self.top - self.bottom) or 1.0)
        return [d.Polyline(((x0, y), (x0 + w, y)), self.t.negative, 1.0, dashed=True),
                d.Label((x0 + w - self.f.dx("small"), y + self.f.dy("thin")), "exploding limit",
                        self.f.size("tick"), self.t.negative, "right", "bottom")]

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
            self.ridges.draw(pic, step)
        self._diagnoses(pic, step)
        pic.add(*self.f.caption(s.caption(frame)))
        return pic

    def _norms(self, pic: d.Picture, step: int) -> None:
        s = self.s
        series = [Series(name, s.smooth_norms[:, k], color)
                  for k, (name, color) in enumerate(zip(s.layers, self.colors, strict=True))]
        pic.add(*chart_curves(self.f, self.chart, s.steps, series, float(step + 1), self.top,
                              self.heading, self.bottom, log=True, values=False))

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
