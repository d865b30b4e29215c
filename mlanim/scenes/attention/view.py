"""The base of the attention scene's views: one frame's context (story, segment, the snapshot
shown, the areas of the frame) and what several views draw (token labels, numbers in cells,
the training charts)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    cell_center,
    ink_on,
    line_chart,
    value_row_height,
)
from mlanim.draw.timeline import Segment
from mlanim.numbers import minus
from mlanim.scenes.attention.story import AttentionStory

CELL_NUMBERS_PX = 30  # cells narrower than this (pixels at 720p) get no number written in them


@dataclass(frozen=True)
class Areas:
    """Where things go, in figure fractions, for this frame's aspect."""

    main: tuple[float, float, float, float]
    charts: tuple[tuple[float, float, float, float], ...]
    full: tuple[float, float, float, float]


def areas_of(story: AttentionStory) -> Areas:
    f = story.frame
    x, y, w, h = f.body
    room_x, room_y = axes_room(f)
    rows = value_row_height(f, 2)
    if f.video.portrait:
        charts_h = max(h * 0.2, f.dy("strip"))
        charts = f.split((x + room_x, y + room_y, w - room_x, charts_h - room_y - rows),
                         [1, 1], gap=f.space("block") + f.points_x(room_x))
        main = (x, y + charts_h + f.dy("panel"), w, h - charts_h - f.dy("panel"))
        return Areas(main, tuple(charts), f.body)
    side = w * 0.26
    charts = f.split((x + w - side + room_x, y + room_y, side - room_x, h - room_y),
                     [1, 1], vertical=True, gap=f.space("block") + f.points_y(room_y + rows))
    charts = [(cx, cy, cw, ch - rows) for cx, cy, cw, ch in charts]
    return Areas((x, y, w - side - f.dx("column"), h), tuple(charts), f.body)


class View:
    """One frame of one view: subclasses draw (`draw`) and say (`caption`) their view."""

    charts = False  # whether the training charts stand beside the view

    def __init__(self, story: AttentionStory, frame: int) -> None:
        self.s, self.t, self.v = story, story.theme, story.video
        self.frame = frame
        self.seg: Segment = story.segment(frame)
        self.evolving = self.seg.view == story.evolving  # this view sweeps through training
        self.progress = self.seg.progress(frame)
        self.position = self._position()
        self.pic = d.Picture()
        self.u = story.frame  # unit conversions
        self.areas = areas_of(story)

    def _position(self) -> float:
        """The fractional snapshot shown: swept in an evolving segment, the last otherwise."""
        if not self.evolving:
            return float(len(self.s.steps) - 1)
        return self.s.snapshot_at(self.progress)

    def compose(self) -> d.Picture:
        """The frame's picture: header, the view, charts, caption."""
        self._header()
        self.draw()
        if self.charts:
            self._charts()
        self.pic.add(*self.s.frame.caption(self.caption()))
        return self.pic

    def draw(self) -> None:
        """Add the view's shapes to ``self.pic``."""
        raise NotImplementedError

    def caption(self) -> str:
        """The sentence under the view."""
        raise NotImplementedError

    def _header(self) -> None:
        step = round(self.s.step(self.position))
        self.pic.add(*self.s.frame.header(f"step {step} / {self.s.total_steps}",
                                          self._accuracy_line()))

    def fit(self, text: str, width_px: float, points: float, bold: bool = False) -> float:
        """``points``, or less (down to the smallest size) so that ``text`` fits in
        ``width_px``."""
        return self.u.fit(text, points, self.u.x_px(width_px), bold,
                          smallest=min(1.0, self.u.size("smallest") / points))

    def _accuracy_line(self) -> str:
        s = self.s
        if s.task["name"] == "text":
            return f"next-token accuracy {s.metric('val_acc', self.position):.0%}"
        return f"held-out sequences right {s.metric('val_seq_acc', self.position):.0%}"

    def _label_margin_px(self) -> float:
        longest = max(len(t) for t in self.s.tokens)
        return self.u.px(self._token_points()) * (0.7 * longest + 0.8)

    def _token_points(self) -> float:
        length = self.s.length
        return self.u.size("token" if length <= 12 else "token_mid" if length <= 24
                           else "token_small")

    def _token_labels(self, box, shape: tuple[int, int], rows: bool, cols: bool) -> None:
        """Example tokens beside a matrix's rows (queries) and above its columns (keys)."""
        t, n_rows, n_cols = self.t, *shape
        fitting = self.u.points(box[3] * self.v.height / n_rows * 0.7)  # a row's height
        size = min(self._token_points(), fitting)
        smallest = self.u.size("smallest")
        # rows too low for the smallest text are labelled every other one (or fewer)
        step = 1 if size >= smallest else math.ceil(smallest / fitting - 1e-9)
        size = max(size, smallest)
        x0, y0, _, h = box
        for i in range(0, n_rows, step) if rows else ():
            _, y = cell_center(box, shape, i, 0)
            self.pic.add(d.Label((x0 - self.u.dx("snug"), y), self.s.tokens[i], size, t.text,
                                 "right"))
        for j in range(0, n_cols, step) if cols else ():
            x, _ = cell_center(box, shape, 0, j)
            self.pic.add(d.Label((x, y0 + h + self.u.dy("small")), self.s.tokens[j], size, t.text,
                                 "center", "bottom"))

    def _cell_numbers(self, box, values: np.ndarray, pixels: np.ndarray,
                      hidden: np.ndarray | None, fmt: str, rows_shown: int | None = None
                      ) -> None:
        """Each cell's value written in it, when the cells are big enough to read."""
        n_rows, n_cols = values.shape
        cell_px = min(box[2] * self.v.width / n_cols, box[3] * self.v.height / n_rows)
        if cell_px < CELL_NUMBERS_PX * self.v.scale:
            return
        size = min(self.u.size("token"), self.u.points(cell_px * 0.30))
        for i in range(rows_shown if rows_shown is not None else n_rows):
            for j in range(n_cols):
                if hidden is not None and hidden[i, j]:
                    continue
                text = _number(values[i, j], fmt)
                self.pic.add(d.Label(cell_center(box, (n_rows, n_cols), i, j), text, size,
                                     ink_on(pixels[i, j], self.t)))

    def _charts(self) -> None:
        s, t = self.s, self.t
        loss_box, acc_box = self.areas.charts
        now = s.step(self.position)
        loss = [Series("train loss", s.metrics["train_loss"], t.train),
                Series("held-out loss", s.metrics["val_loss"], t.val, dashed=True)]
        accuracy = [Series("held-out tokens", s.metrics["val_acc"], t.train, percent=True)]
        if s.task["name"] != "text":
            accuracy.append(Series("held-out sequences", s.metrics["val_seq_acc"], t.val,
                                   dashed=True, percent=True))
        self.pic.add(*line_chart(s.frame, loss_box, s.steps, loss, now, "step"),
                     *line_chart(s.frame, acc_box, s.steps, accuracy, now, "step", top=1.0))

    def _training_caption(self) -> str:
        s = self.s
        weights = s.at(s.weights, self.position)
        mass = s.pattern_mass(weights)
        if np.isfinite(mass):
            where = {"reverse": "the mirrored position", "copy": "the digit to copy",
                     "induction": "the token after the previous occurrence"}[s.task["name"]]
            return f"The best head puts {mass:.0%} of its attention on {where} (outlined)"
        return "Each row shows where one token looks; brighter cells get more attention"


def _number(value: float, fmt: str) -> str:
    if np.isnan(value):
        return ""
    if np.isinf(value):
        return "−∞"
    return minus(fmt.format(value))
