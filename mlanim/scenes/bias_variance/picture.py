"""Frames of the bias-variance scene: panels of fits (one thin curve per training set, their
mean thick, the truth dashed, the latest set's points), and the degree sweep with the test
error's parts on a log scale."""

from __future__ import annotations

import math

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_axes,
    chart_curves,
    value_row_height,
)
from mlanim.draw.frame import Box, LegendItem
from mlanim.draw.surface_view import clip_polyline
from mlanim.draw.theme import mix
from mlanim.scenes.bias_variance.story import Errors, Fit, FitsStory


class FitPanel:
    """One panel of fits at one degree: the y range and every fit's curve, clipped to the
    panel, computed once; `shapes(sets)` draws the first ``sets`` training sets."""

    def __init__(self, story: FitsStory, fit: Fit, box: Box, heading: str) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.fit, self.box, self.heading = fit, box, heading
        truth = story.grid_truth
        pad = max(0.6, 2.5 * fit.noise)
        self.low, self.high = float(truth.min() - pad), float(truth.max() + pad)
        faint = mix(self.t.train, self.t.panel, 0.55)
        self.curves = [[d.Polyline(tuple(self._xy(run)), faint, 1.0)
                        for run in self._clip(row)]
                       for row in fit.grid]
        self.truth = [d.Polyline(tuple(self._xy(run)), self.t.text, 1.6, dashed=True)
                      for run in self._clip(truth)]

    def _clip(self, values: np.ndarray) -> list[np.ndarray]:
        """The curve of ``values`` over the grid, cut where it leaves the panel's y range."""
        return clip_polyline(np.column_stack([self.s.grid_x, values]), (-1.0, 1.0),
                             (self.low, self.high))

    def _xy(self, run) -> list[tuple[float, float]]:
        x0, y0, w, h = self.box
        span = self.high - self.low
        return [(float(x0 + w * (x + 1) / 2), float(y0 + h * (y - self.low) / span))
                for x, y in run]

    def background(self) -> list[d.Shape]:
        """The panel's frame and the zero line."""
        x0, y0, w, h = self.box
        shapes: list[d.Shape] = [d.Rect(self.box, self.t.panel, self.t.grid, 1.0)]
        if self.low < 0 < self.high:
            y = y0 + h * -self.low / (self.high - self.low)
            shapes.append(d.Line((x0, y), (x0 + w, y), self.t.grid, 0.8))
        return shapes

    def shapes(self, sets: int, errors: Errors | None) -> list[d.Shape]:
        """Fits of the first ``sets`` training sets, their mean, the truth, the last set's
        points, the heading and (with ``errors``) the error line."""
        f, t = self.f, self.t
        shapes: list[d.Shape] = [c for curves in self.curves[:sets] for c in curves]
        mean = self.fit.grid[:sets].mean(axis=0)
        shapes += [d.Polyline(tuple(self._xy(run)), t.train, 2.6)
                   for run in self._clip(mean)]
        shapes += self.truth
        shapes += self._points(sets - 1)
        x0, y0, w, h = self.box
        shapes.append(d.Label((x0, y0 + h + f.dy("tight") + f.line("value")), self.heading,
                              f.fit(self.heading, "label", w, bold=True), t.text, "left",
                              "bottom", bold=True))
        if errors is not None:
            text = (f"train {errors.train:.3g} · test {errors.test:.3g} · bias\u00b2 "
                    f"{errors.bias2:.2g} · variance {errors.variance:.2g}")
            shapes.append(d.Label((x0, y0 + h + f.dy("tight")), text, f.fit(text, "value", w),
                                  t.muted, "left", "bottom"))
        return shapes

    def _points(self, index: int) -> list[d.Shape]:
        xs, ys = self.s.train_x[index], self.fit.y[index]
        inside = (ys >= self.low) & (ys <= self.high)
        if not inside.any():
            return []
        centers = np.array(self._xy(list(zip(xs[inside], ys[inside], strict=True))))
        hover = tuple(f"training set {index + 1} · x {x:.4g} · y {y:.4g}"
                      for x, y in zip(xs[inside], ys[inside], strict=True))
        return [d.Scatter(centers, 3.2, None, self.t.accent, 1.4, hover=hover)]


def heading_room(story: FitsStory) -> float:
    """Room above a panel for its heading and error line."""
    f = story.frame
    return f.line("label") + f.line("value") + f.dy("gap")


class PanelsPicture:
    """Four (or the spec's number of) panels; the training sets appear one by one."""

    def __init__(self, story: FitsStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        items = self._legend()
        x, y, w, h = self.f.body
        legend_h = self.f.legend_height(items, w)
        area = (x, y + legend_h + self.f.dy("gap"), w, h - legend_h - self.f.dy("gap"))
        self.panels = [FitPanel(story, fit, box, self._heading(k, fit))
                       for k, (fit, box) in enumerate(zip(story.fits, self._grid(area),
                                                          strict=False))]
        self.background = tuple([*self.f.titles(),
                                 *self.f.legend(items, (x + w / 2, y + legend_h), w,
                                                centered=True),
                                 *(s for p in self.panels for s in p.background())])

    def _legend(self) -> list[LegendItem]:
        t = self.t
        return [LegendItem(mix(t.train, t.panel, 0.55), "a fit to one training set", "line"),
                LegendItem(t.train, "mean of the fits", "line"),
                LegendItem(t.text, "true function", "dash"),
                LegendItem(t.accent, "latest training set", "ring")]

    def _heading(self, k: int, fit: Fit) -> str:
        panel = self.s.spec.panels[k]
        noise = "" if panel.noise is None else f", noise {fit.noise:g}"
        return f"degree {fit.degree}{noise}" + (f": {panel.label}" if panel.label else "")

    def _grid(self, area: Box) -> list[Box]:
        count = len(self.s.fits)
        cols = (1 if count <= 3 else 2) if self.s.video.portrait else (
            count if count <= 3 else math.ceil(count / 2))
        rows = math.ceil(count / cols)
        room = heading_room(self.s)
        boxes = []
        for row in self.f.split(area, [1] * rows, vertical=True, gap="section"):
            for bx, by, bw, bh in self.f.split(row, [1] * cols, gap="panels"):
                boxes.append((bx, by, bw, bh - room))
        return boxes

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s = self.s
        sets = s.shown(frame)
        pic = d.Picture(background=self.background)
        pic.add(*self.f.counter(f"set {sets} / {s.sets}"))
        for k, panel in enumerate(self.panels):
            pic.add(*panel.shapes(sets, s.errors[k][sets - 1] if sets > 1 else None))
        pic.add(*self.f.caption(s.caption(frame)))
        return pic


PARTS = (("test", "test error"), ("bias2", "bias\u00b2"), ("variance", "variance"),
         ("train", "training error"))


class SweepPicture:
    """The fits at the current degree beside the error curves over all degrees."""

    def __init__(self, story: FitsStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        x, y, w, h = self.f.body
        left, right = self.f.split((x, y, w, h), [1, 1.1], vertical=story.video.portrait,
                                   gap="halves")
        lx, ly, lw, lh = left
        self.fit_box = (lx, ly, lw, lh - heading_room(story))
        self.panels = [FitPanel(story, fit, self.fit_box, f"degree {fit.degree}")
                       for fit in story.fits]
        # class colours: distinct in every theme (val and negative coincide in some)
        self.colors = {"test": self.t.class_color(1), "bias2": self.t.class_color(3),
                       "variance": self.t.class_color(0), "train": self.t.muted}
        items = [LegendItem(self.colors[key], text, "dash" if key == "train" else "line")
                 for key, text in PARTS] + [LegendItem(self.t.text, "noise (irreducible)",
                                                       "dash")]
        rx, ry, rw, rh = right
        legend_h = self.f.legend_height(items, rw)
        room_x, room_y = axes_room(self.f)
        self.chart = (rx + room_x, ry + room_y + legend_h, rw - room_x,
                      rh - room_y - legend_h - value_row_height(self.f))
        self.degrees = np.array([fit.degree for fit in story.fits], dtype=float)
        self.values = {key: np.array([getattr(e[-1], key) for e in story.errors])
                       for key, _ in PARTS}
        self.bottom, self.top = self._decades()
        self.background = tuple([
            *self.f.titles(), *self.panels[0].background(),
            *self.f.legend(items, (rx, ry + legend_h), rw),
            *chart_axes(self.f, self.chart, "polynomial degree", self.top, False,
                        (float(self.degrees[0]), float(self.degrees[-1])), self.bottom,
                        log=True),
            *self._noise_line()])

    def _decades(self) -> tuple[float, float]:
        values = np.concatenate([*self.values.values(), [self.s.spec.noise ** 2]])
        positive = values[np.isfinite(values) & (values > 0)]
        low = float(np.log10(positive.min())) if positive.size else -3.0
        high = float(np.log10(positive.max())) if positive.size else 0.0
        return float(np.floor(low)), float(np.ceil(high + 1e-9))

    def _noise_line(self) -> list[d.Shape]:
        x0, y0, w, h = self.chart
        noise = self.s.spec.noise ** 2
        if noise <= 0:
            return []
        y = y0 + h * (np.log10(noise) - self.bottom) / ((self.top - self.bottom) or 1.0)
        return [d.Polyline(((x0, y), (x0 + w, y)), self.t.text, 1.0, dashed=True)]

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s = self.s
        index = s.shown(frame)
        position = s.position(frame)
        pic = d.Picture(background=self.background)
        last = int(self.degrees[-1])
        pic.add(*self.f.counter(f"degree {int(self.degrees[index])} / {last}"))
        pic.add(*self.panels[index].shapes(s.sets, s.errors[index][-1]))
        now = float(np.interp(position, np.arange(len(self.degrees)), self.degrees))
        series = [Series(text, self.values[key], self.colors[key], dashed=key == "train")
                  for key, text in PARTS]
        pic.add(*chart_curves(self.f, self.chart, self.degrees, series, now, self.top,
                              "mean squared error on the test points", self.bottom, log=True,
                              values=False))
        if s.timeline.at(frame).phase == "end":
            pic.add(*self._best())
        pic.add(*self.f.caption(s.caption(frame)))
        return pic

    def _best(self) -> list[d.Shape]:
        """The degree of lowest test error, marked on the chart."""
        x0, y0, w, h = self.chart
        best = self.s.best_degree()
        span = float(self.degrees[-1] - self.degrees[0]) or 1.0
        x = x0 + w * (self.degrees[best] - self.degrees[0]) / span
        text = f"best: degree {int(self.degrees[best])}"
        right = x + self.f.dx("small") + self.f.width(text, "value") < x0 + w
        return [d.Polyline(((x, y0), (x, y0 + h)), self.t.accent, 1.2, dashed=True),
                d.Label((x + self.f.dx("small") * (1 if right else -1),
                         y0 + h - self.f.dy("small")),
                        text, self.f.size("value"), self.t.accent,
                        "left" if right else "right", "top")]
