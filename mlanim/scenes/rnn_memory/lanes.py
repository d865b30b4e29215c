"""The lanes of the rnn_memory scene: each network unrolled over the example sequence, a
column a step, rows for its hidden state (and the LSTM's gates and cell state) and the gradient
reaching each step as a red strip."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import diverging_pixels, sequential_pixels
from mlanim.draw.frame import Box
from mlanim.draw.theme import rgb
from mlanim.numbers import scientific
from mlanim.scenes.rnn_memory.story import NAMES, MemoryStory

DECADES = 8  # the gradient strip spans this many powers of ten below the last step's
GATES = (("input gate", 0), ("forget gate", 1), ("output gate", 3))


class Lanes:
    """The rows of both lanes, laid out once inside ``box``; `lane` draws one at a snapshot."""

    def __init__(self, story: MemoryStory, box: Box) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.lanes_box = box
        self.cell_scale = float(np.abs(story.cell).max()) or 1.0
        self._lay_out_lanes()

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

    def row_box(self, kind: str, name: str) -> Box:
        bottom, height = self.rows[(kind, name)]
        return (self.lanes_box[0] + self.label_w, bottom, self.col_w * self.s.length, height)

    def column_x(self, step: int) -> float:
        return self.lanes_box[0] + self.label_w + (step + 0.5) * self.col_w

    def row_names(self) -> list[d.Shape]:
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
            shapes.append(d.Label((self.column_x(step), bottom + height / 2), token,
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
            cx = self.column_x(step)
            shapes.append(d.Rect((cx - box_w / 2, bottom, box_w, height), None, color, 1.2))
            if step:
                shapes.append(d.Line((cx - self.col_w + box_w / 2, cy), (cx - box_w / 2, cy),
                                     color, 1.2))
        return shapes

    def lane(self, pic: d.Picture, kind: str, snapshot: int, states_upto: int,
              grads_from: int, pulse: int | None) -> None:
        s, f, t = self.s, self.f, self.t
        shown = np.arange(s.length) <= states_upto
        bottom, _ = self.rows[(kind, "title")]
        pic.add(d.Label((self.lanes_box[0], bottom + f.dy("thin")),
                        f"{NAMES[kind]} · {s.hidden} units", f.size("heading"),
                        s.colors[kind], "left", "bottom"))
        states = s.h[kind][snapshot].T  # (H, T)
        self._cells(pic, self.row_box(kind, "h"), diverging_pixels(states, t, 1.0), shown)
        if kind == "lstm":
            gates = s.gates[snapshot].mean(axis=-1)  # (T, 4)
            rows = np.stack([gates[:, index] for _, index in GATES])
            self._cells(pic, self.row_box(kind, "gates"),
                        sequential_pixels(rows, t.accent, t), shown)
            self._cells(pic, self.row_box(kind, "cell"),
                        diverging_pixels(s.cell[snapshot].T, t, self.cell_scale), shown)
        grads = s.grad[kind][snapshot]
        level = np.clip(1 + np.log10(grads / grads[-1]) / DECADES, 0, 1)
        strip = sequential_pixels(level[None, :], t.negative, t)
        self._cells(pic, self.row_box(kind, "grad"), strip, np.arange(s.length) >= grads_from)
        if pulse is not None:
            box = self.row_box(kind, "grad")
            radius = f.points(min(box[3] * s.video.height, self.col_w * s.video.width)) * 0.45
            pic.add(d.Circle((self.column_x(pulse), box[1] + box[3] / 2), radius, None,
                             t.negative, 2.0))
            text = (f"step {pulse + 1}: |∂L/∂h| {scientific(grads[pulse])}, "
                    f"{scientific(grads[pulse] / grads[-1])} of step {s.length}'s")
            width = self.lanes_box[2] * 0.5
            pic.add(d.Label((self.lanes_box[0] + self.lanes_box[2], bottom + f.dy("thin")), text,
                            f.fit(text, "label", width), t.negative, "right", "bottom"))

    def _cells(self, pic: d.Picture, box: Box, pixels: np.ndarray, shown: np.ndarray) -> None:
        pixels = pixels.copy()
        pixels[:, ~shown] = rgb(self.t.panel)
        pic.add(d.Image(box, pixels), d.Rect(box, None, self.t.grid, 0.8))
