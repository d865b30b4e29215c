"""Frames of the rnn_memory scene: the two networks unrolled over the example sequence, one
lane each (the LSTM's with its gates and cell state), the gradient reaching each step as a red
strip, and charts of held-out accuracy and of how much gradient reaches the first step."""

from __future__ import annotations

import math

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, axes_room, chart_axes, chart_curves, value_row_height
from mlanim.numbers import scientific
from mlanim.scenes.rnn_memory.lanes import DECADES, Lanes
from mlanim.scenes.rnn_memory.story import MemoryStory


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
        self.lanes = Lanes(story, self.lanes_box)
        self.survival = {k: np.array([story.survival(k, i, mean=True)
                                      for i in range(len(story.steps))]) for k in story.kinds}
        lowest = min(float(v.min()) for v in self.survival.values())
        self.log_bottom = max(-30.0, math.floor(math.log10(max(lowest, 1e-30))))
        self.lane_shapes = tuple(self.lanes.row_names())
        self.background = tuple([*self.f.titles(), *self._axes()])

    def _axes(self) -> list[d.Shape]:
        s, f = self.s, self.f
        steps = (0.0, float(s.steps[-1]))
        return [*chart_axes(f, self.charts[0], "training step", 1.0, True, steps),
                *chart_axes(f, self.charts[1], "training step", 0.0, False, steps,
                            self.log_bottom, log=True)]

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
            self.lanes.lane(pic, kind, snapshot, states_upto, grads_from, pulse)
        if seg.view == "forward":
            x = self.lanes.column_x(states_upto)
            top = self.lanes_box[1] + self.lanes_box[3]
            bottom = self.lanes.rows[("tokens", "tokens")][0]
            pic.add(d.Line((x, bottom), (x, top), self.t.accent, 1.5, 0.8))
        pic.add(*self.f.caption(self._caption(seg.view, snapshot, pulse)))
        return pic

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
                    f"{scientific(rnn)} reaches step 1 in the RNN and {scientific(lstm)} in the "
                    "LSTM "
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
