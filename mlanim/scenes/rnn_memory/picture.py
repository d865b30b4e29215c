"""Frames of the rnn_memory scene: the two networks unrolled over the example sequence, one
lane each (the LSTM's with its gates and cell state), the gradient reaching each step as a red
strip, and charts of held-out accuracy and of how much gradient reaches the first step."""

from __future__ import annotations

import math

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_axes,
    chart_curves,
    diverging_pixels,
    sequential_pixels,
    value_row_height,
)
from mlanim.draw.frame import Box
from mlanim.draw.theme import rgb
from mlanim.scenes.rnn_memory.story import NAMES, MemoryStory

DECADES = 8  # the gradient strip spans this many powers of ten below the last step's
GATES = (("input gate", 0), ("forget gate", 1), ("output gate", 3))


def _sci(value: float) -> str:
    return f"{value:.1e}".replace("e-0", "e−").replace("e-", "e−").replace("e+0", "e")


class MemoryPicture:
    """Lays the lanes and charts out once; `picture(frame)` composes each frame."""

    def __init__(self, story: MemoryStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        x, y, w, h = self.f.body
        if story.video.portrait:
            lanes_h = h * 0.64
            self.lanes_box = (x, y + h - lanes_h, w, lanes_h)
            charts = self.f.split((x, y, w, h - lanes_h - self.f.dy("column")), [1, 1], gap="band")
        else:
            self.lanes_box = (x, y, w * 0.68, h)
            beside = w * 0.68 + self.f.dx("band")
            charts = self.f.split((x + beside, y, w - beside, h), [1, 1], vertical=True,
                                  gap="panels")
        room_x, room_y = axes_room(self.f)
        self.charts = [(cx + room_x, cy + room_y, cw - room_x,
                        ch - room_y - value_row_height(self.f, 3)) for cx, cy, cw, ch in charts]
        self._lay_out_lanes()
        self.cell_scale = float(np.abs(story.cell).max()) or 1.0
        self.survival = {k: np.array([story.survival(k, i, mean=True)
                                      for i in range(len(story.steps))]) for k in story.kinds}
        lowest = min(float(v.min()) for v in self.survival.values())
        self.log_bottom = max(-30.0, math.floor(math.log10(max(lowest, 1e-30))))
        self.lane_shapes = tuple(self._row_names())
        self.background = tuple([*self.f.titles(), *self._axes()])

    # -- layout ----------------------------------------------------------------------------------
    def _lay_out_lanes(self) -> None:
        s, f = self.s, self.f
        _, y, w, h = self.lanes_box
        self.label_w = f.width("|∂L/∂h| to h_t", "tick") + f.dx("pad")
        self.col_w = (w - self.label_w) / s.length
        head, gap = f.line("heading") + f.dy("thin"), f.dy("wide")
        tokens = f.line("label") * 1.2
        units = {"rnn": s.hidden + 1.4 + 1, "lstm": 4.5 + 2 * s.hidden + 1.4 + 1}
        fixed = head * 2 + gap * 2 + tokens + f.dy("tight") * 8
        row = min((h - fixed) / sum(units.values()), f.y_px(self.col_w * s.video.width))
        self.rows: dict[tuple[str, str], tuple[float, float]] = {}
        cursor = y + h
        for kind in s.kinds:
            cursor -= head
            self.rows[(kind, "title")] = (cursor, head)
            parts = [("chain", 1.0)]
            if kind == "lstm":
                parts += [("gates", 4.5), ("cell", float(s.hidden))]
            parts += [("h", float(s.hidden)), ("grad", 1.4)]
            for name, size in parts:
                cursor -= row * size
                self.rows[(kind, name)] = (cursor, row * size)
                cursor -= f.dy("tight")
            cursor -= gap
        self.rows[("tokens", "tokens")] = (cursor - tokens, tokens)

    def _row_box(self, kind: str, name: str) -> Box:
        bottom, height = self.rows[(kind, name)]
        return (self.lanes_box[0] + self.label_w, bottom, self.col_w * self.s.length, height)

    def _column_x(self, step: int) -> float:
        return self.lanes_box[0] + self.label_w + (step + 0.5) * self.col_w

    def _row_names(self) -> list[d.Shape]:
        s, f, t = self.s, self.f, self.t
        shapes: list[d.Shape] = []
        x = self.lanes_box[0]
        size = f.size("tick")
        for kind in s.kinds:
            names = {"h": "hidden h", "grad": "|∂L/∂h| to h_t"}
            if kind == "lstm":
                names["cell"] = "cell c"
            for name, text in names.items():
                bottom, height = self.rows[(kind, name)]
                fitted = f.fit(text, size, self.label_w - f.dx("small"))
                shapes.append(d.Label((x, bottom + height / 2), text, fitted, t.muted, "left"))
            if kind == "lstm":
                shapes += self._gate_names(x, size)
            shapes += self._chain(kind)
        bottom, height = self.rows[("tokens", "tokens")]
        shapes.append(d.Label((x, bottom + height / 2), "input", f.size("tick"), t.muted,
                              "left"))
        for step, token in enumerate(s.tokens):
            marked = token in ("X", "Y")
            shapes.append(d.Label((self._column_x(step), bottom + height / 2), token,
                                  f.size("label"), t.accent if marked else t.muted,
                                  bold=marked))
        return shapes

    def _gate_names(self, x: float, size: float) -> list[d.Shape]:
        """A name for each gate row, or one for the three when the rows are too low."""
        f, t = self.f, self.t
        bottom, height = self.rows[("lstm", "gates")]
        room = self.label_w - f.dx("small")
        if height < 3 * f.line(size * 0.9):
            text = "gates i, f, o"
            return [d.Label((x, bottom + height / 2), text, f.fit(text, size, room), t.muted,
                            "left")]
        return [d.Label((x, bottom + height * (2.5 - k) / 3), text,
                        f.fit(text, size * 0.9, room), t.muted, "left")
                for k, (text, _) in enumerate(GATES)]

    def _chain(self, kind: str) -> list[d.Shape]:
        """The unrolled cell: one box a step, linked left to right, all one colour because
        they are one set of weights."""
        bottom, height = self.rows[(kind, "chain")]
        color = self.s.colors[kind]
        shapes: list[d.Shape] = []
        box_w = self.col_w * 0.55
        cy = bottom + height / 2
        for step in range(self.s.length):
            cx = self._column_x(step)
            shapes.append(d.Rect((cx - box_w / 2, bottom, box_w, height), None, color, 1.2))
            if step:
                shapes.append(d.Line((cx - self.col_w + box_w / 2, cy), (cx - box_w / 2, cy),
                                     color, 1.2))
        return shapes

    def _axes(self) -> list[d.Shape]:
        s, f = self.s, self.f
        steps = (0.0, float(s.steps[-1]))
        return [*chart_axes(f, self.charts[0], "training step", 1.0, True, steps),
                *chart_axes(f, self.charts[1], "training step", 0.0, False, steps,
                            self.log_bottom, log=True)]

    # -- frames ----------------------------------------------------------------------------------
    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s = self.s
        seg = s.segment(frame)
        progress = seg.progress(frame)
        snapshot = s.snapshot_at(progress) if seg.view == "training" else len(s.steps) - 1
        pic = d.Picture(background=self.background)
        step = int(s.steps[snapshot])
        accuracy = ", ".join(f"{'RNN' if k == 'rnn' else 'LSTM'} {s.val_acc[k][snapshot]:.0%}"
                             for k in s.kinds)
        pic.add(*self.f.counter(f"step {step} / {s.total_steps}", f"held-out: {accuracy}"))
        self._charts(pic, snapshot)
        if seg.view == "lag":
            self._lag_chart(pic)
            pic.add(*self.f.caption(self._lag_caption()))
            return pic
        pic.add(*self.lane_shapes)
        states_upto, grads_from, pulse = s.length - 1, 0, None
        if seg.view == "forward":
            states_upto = min(s.length - 1, int(progress * s.length * 1.1))
            grads_from = s.length
        elif seg.view == "backward":
            pulse = max(0, s.length - 1 - int(progress * s.length * 1.1))
            grads_from = pulse
        for kind in s.kinds:
            self._lane(pic, kind, snapshot, states_upto, grads_from, pulse)
        if seg.view == "forward":
            x = self._column_x(states_upto)
            top = self.lanes_box[1] + self.lanes_box[3]
            bottom = self.rows[("tokens", "tokens")][0]
            pic.add(d.Line((x, bottom), (x, top), self.t.accent, 1.5, 0.8))
        pic.add(*self.f.caption(self._caption(seg.view, snapshot, pulse)))
        return pic

    def _lane(self, pic: d.Picture, kind: str, snapshot: int, states_upto: int,
              grads_from: int, pulse: int | None) -> None:
        s, f, t = self.s, self.f, self.t
        shown = np.arange(s.length) <= states_upto
        bottom, _ = self.rows[(kind, "title")]
        pic.add(d.Label((self.lanes_box[0], bottom + f.dy("thin")),
                        f"{NAMES[kind]} · {s.hidden} units", f.size("heading"),
                        s.colors[kind], "left", "bottom"))
        states = s.h[kind][snapshot].T  # (H, T)
        self._cells(pic, self._row_box(kind, "h"), diverging_pixels(states, t, 1.0), shown)
        if kind == "lstm":
            gates = s.gates[snapshot].mean(axis=-1)  # (T, 4)
            rows = np.stack([gates[:, index] for _, index in GATES])
            self._cells(pic, self._row_box(kind, "gates"),
                        sequential_pixels(rows, t.accent, t), shown)
            self._cells(pic, self._row_box(kind, "cell"),
                        diverging_pixels(s.cell[snapshot].T, t, self.cell_scale), shown)
        grads = s.grad[kind][snapshot]
        level = np.clip(1 + np.log10(grads / grads[-1]) / DECADES, 0, 1)
        strip = sequential_pixels(level[None, :], t.negative, t)
        self._cells(pic, self._row_box(kind, "grad"), strip, np.arange(s.length) >= grads_from)
        if pulse is not None:
            box = self._row_box(kind, "grad")
            radius = f.points(min(box[3] * s.video.height, self.col_w * s.video.width)) * 0.45
            pic.add(d.Circle((self._column_x(pulse), box[1] + box[3] / 2), radius, None,
                             t.negative, 2.0))
            text = (f"step {pulse + 1}: |∂L/∂h| {_sci(grads[pulse])}, "
                    f"{_sci(grads[pulse] / grads[-1])} of step {s.length}'s")
            width = self.lanes_box[2] * 0.5
            pic.add(d.Label((self.lanes_box[0] + self.lanes_box[2], bottom + f.dy("thin")), text,
                            f.fit(text, "label", width), t.negative, "right", "bottom"))

    def _cells(self, pic: d.Picture, box: Box, pixels: np.ndarray, shown: np.ndarray) -> None:
        pixels = pixels.copy()
        pixels[:, ~shown] = rgb(self.t.panel)
        pic.add(d.Image(box, pixels), d.Rect(box, None, self.t.grid, 0.8))

    def _charts(self, pic: d.Picture, snapshot: int) -> None:
        s, f = self.s, self.f
        now = float(s.steps[snapshot])
        short = {"rnn": "RNN", "lstm": "LSTM"}
        accuracy = [Series(short[k], s.val_acc[k], s.colors[k], percent=True) for k in s.kinds]
        pic.add(*chart_curves(f, self.charts[0], s.steps, accuracy, now, 1.0,
                              "held-out accuracy"))
        reach = [Series(short[k], self.survival[k], s.colors[k]) for k in s.kinds]
        pic.add(*chart_curves(f, self.charts[1], s.steps, reach, now, 0.0,
                              "reaching step 1", self.log_bottom, log=True))

    def _caption(self, view: str, snapshot: int, pulse: int | None) -> str:
        s = self.s
        rnn, lstm = (s.survival(k, snapshot) for k in ("rnn", "lstm"))
        if view == "forward":
            return (f"The same cell reads the sequence step by step; the first X or Y of this "
                    f"one must be kept in the state for {s.lag} steps, until the answer "
                    f"({s.label}) is asked at the end.")
        if view == "backward":
            return (f"Backpropagation through time: of the gradient at step {s.length}, "
                    f"{_sci(rnn)} reaches step 1 in the RNN and {_sci(lstm)} in the LSTM "
                    "(this sequence, trained networks).")
        return (f"Step {int(s.steps[snapshot])}: red marks how much of the last step's gradient "
                f"reaches each step (log scale, {DECADES} decades); the chart of it at step 1 "
                f"averages {s.gradient_rows} held-out sequences.")

    def _lag_chart(self, pic: d.Picture) -> None:
        """Held-out accuracy of each trained network by lag, over the lanes' place."""
        s, f = self.s, self.f
        x, y, w, h = self.lanes_box
        room_x, room_y = axes_room(f)
        box = (x + room_x, y + room_y, w - room_x - f.dx("wide"),
               h - room_y - value_row_height(f, 2) - f.dy("wide"))
        edges = s.lag_edges.astype(float)
        centres = (edges[:-1] + edges[1:] - 1) / 2
        filled = np.all([np.isfinite(s.lag_accuracy[k]) for k in s.kinds], axis=0)
        series = [Series("RNN" if k == "rnn" else "LSTM", s.lag_accuracy[k][filled],
                         s.colors[k], percent=True) for k in s.kinds]
        pic.add(*chart_axes(f, box, "lag: steps from the first X or Y to the end", 1.0, True,
                            (float(centres[filled][0]), float(centres[filled][-1]))))
        pic.add(*chart_curves(f, box, centres[filled], series, float(centres[filled][-1]), 1.0,
                              "held-out accuracy by lag (trained)"))
        chance = y + room_y + box[3] * 0.25
        pic.add(d.Polyline(((box[0], chance), (box[0] + box[2], chance)), self.t.muted, 1.0,
                           dashed=True))

    def _lag_caption(self) -> str:
        s = self.s
        parts = []
        for kind in s.kinds:
            acc = s.lag_accuracy[kind]
            parts.append(f"{'RNN' if kind == 'rnn' else 'LSTM'} {np.nanmin(acc):.0%} to "
                         f"{np.nanmax(acc):.0%}")
        return ("Held-out accuracy by lag (steps the first symbol must be remembered): "
                + ", ".join(parts) + "; chance is 25%.")
