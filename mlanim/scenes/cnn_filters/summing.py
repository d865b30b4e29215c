"""The ``sum`` view: a second layer's map as the sum of the first layer's maps, each convolved
with its own kernel."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.frame import Box
from mlanim.scenes.cnn_filters.canvas import Canvas, plain, signed


class Sum(Canvas):
    """A second-layer map built as the sum of kernel-convolved first-layer maps."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, f, t = self.s, self.f, self.t
        out_map = s.maps["conv2"][-1][0]
        partials = s.partial_maps(0)
        row, col = divmod(int(np.argmax(np.abs(out_map))), out_map.shape[1])
        inputs = s.maps["pool1"][-1]
        kernels = s.weights[1][-1][0]
        channels = len(inputs)
        drawn = min(channels, 6)
        left, right = self._columns([2.4, 1.0], gap="halves_wide")
        rows = f.split(left, [1] * drawn, vertical=True, gap="wide")
        revealed = min(drawn, int(progress / 0.6 * drawn) + 1)
        scale = max(float(np.abs(partials).max()), 1e-9)
        for i, box in enumerate(rows[:revealed]):
            self._partial_row(pic, box, i, inputs[i], kernels[i], partials[i], (row, col),
                              scale)
        bias = float(s.biases[1][-1][0])
        head = "map 1 of conv 2: the partial maps summed, plus the bias"
        lines = f.wrap(head, "heading", right[2])
        below = f.line("label") + f.dy("small")  # the sum written under the map
        msq = self._square_under_heading((right[0], right[1] + below, right[2],
                                          right[3] - below), lines=len(lines) + 1)
        top = msq[1] + msq[3] + f.dy("snug")
        for k, line in enumerate(reversed(lines)):
            pic.add(d.Label((msq[0] + msq[2] / 2, top + k * f.line("heading")), line,
                            f.fit(line, "heading", right[2]), t.text, "center", "bottom"))
        pic.add(d.Rect(msq, t.panel, t.grid, 1.0))
        if progress >= 0.6:
            self._matrix(pic, msq, out_map, self.scales["conv2"], numbers=False)
            self._outline(pic, msq, out_map.shape, row, col)
            total = float(partials[:, row, col].sum())
            text = f"Σ {plain(total)} + bias {plain(bias)} = {plain(total + bias)}"
            pic.add(d.Label((msq[0] + msq[2] / 2, msq[1] - f.dy("small")), text,
                            f.fit(text, "label", right[2]), t.accent, "center", "top",
                            bold=True))
        more = f" (the first {drawn} of {channels} drawn)" if drawn < channels else ""
        caption = (f"A second-layer kernel has one {s.kernel}×{s.kernel} slice per input map "
                   f"({channels}){more}: each slice makes a partial map, and the partial maps "
                   "add up, with one bias, to one output map.")
        return self.final, caption

    def _partial_row(self, pic: d.Picture, box: Box, i: int, source: np.ndarray,
                     kernel: np.ndarray, partial: np.ndarray, cell: tuple[int, int],
                     scale: float) -> None:
        f, t = self.f, self.t
        x, y, w, h = box
        label_w = f.width("input 16 ", "label")
        sign_w = f.dx("gutter")
        side = min(h, (w - label_w - sign_w * 2 - f.dx("strip")) / 3 * self.s.video.width /
                   self.s.video.height)
        side_w = side * self.s.video.height / self.s.video.width
        cy = y + h / 2
        pic.add(d.Label((x, cy), f"input {i + 1}", f.size("label"), t.muted, "left"))
        cursor = x + label_w
        kernel_scale = max(float(np.abs(kernel).max()), 1e-9)
        for values, sc, sign in ((source, self.scales["conv1"], "∗"),
                                 (kernel, kernel_scale, "="), (partial, scale, "")):
            square = (cursor, cy - side / 2, side_w, side)
            self._matrix(pic, square, values, sc, numbers=False)
            if values is partial:
                self._outline(pic, square, partial.shape, *cell, width=1.5)
            cursor += side_w
            if sign:
                pic.add(d.Label((cursor + sign_w / 2, cy), sign, f.size("heading"), t.text))
                cursor += sign_w
        value = signed(float(partial[cell]))
        pic.add(d.Label((cursor + f.dx("gap"), cy), value, f.size("label"), t.text, "left"))
