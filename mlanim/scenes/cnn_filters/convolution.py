"""The ``convolution`` view: a kernel slides over the image, a window's products summed into
the feature map, stop by stop."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import cell_box
from mlanim.draw.frame import Box
from mlanim.scenes.cnn_filters.canvas import Canvas, plain
from mlanim.scenes.cnn_filters.story import Window

TRAVEL = 0.3  # share of a window stop spent sliding to it


class Convolution(Canvas):
    """A first-layer kernel sliding over the probe image, stop by stop."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, t = self.s, self.t
        side, k = s.model["sides"][0], s.kernel
        index, held = self._stop(progress)
        row, col = divmod(index, side)
        window = s.window(row, col)
        image_box, kernel_box, product_box, map_box = self._columns([1.4, 0.8, 0.9, 1.1],
                                                                     gap="gutter")
        pad = k // 2
        padded = np.pad(s.image, pad)
        square = self._square_under_heading(image_box)
        under = np.zeros(padded.shape, bool)
        under[row:row + k, col:col + k] = True
        self._matrix(pic, square, padded, 1.0, numbers=under,
                     pixels=self._image_pixels(padded))
        if pad:
            inner = cell_box(square, padded.shape, pad, pad)
            cell_w, cell_h = inner[2], inner[3]
            pic.add(d.Rect((inner[0], square[1] + cell_h * pad, cell_w * side, cell_h * side),
                           None, t.muted, 1.0))
        self._outline(pic, square, padded.shape, row, col, k, k)
        self._heading(pic, square, f"image (class {s.classes[s.label]})"
                      + (", zero padding" if pad else ""))
        kernel = s.weights[0][-1][s.channel, 0]
        ksq = self._square_under_heading(kernel_box)
        self._matrix(pic, ksq, kernel, self.kernel_scale)
        self._heading(pic, ksq, f"kernel, bias {plain(window.bias)}")
        px, py, pw, ph = product_box
        sum_room = self.f.line("label") * 3 + self.f.dy("gap")
        psq = self._square_under_heading((px, py + sum_room, pw, ph - sum_room))
        self._matrix(pic, psq, window.products, max(np.abs(window.products).max(), 1e-9))
        self._heading(pic, psq, "pixel × weight")
        self._sum_line(pic, psq, window)
        msq = self._square_under_heading(map_box)
        shown = (np.arange(side * side) <= index).reshape(side, side)
        final = s.maps["conv1"][-1][s.channel]
        self._matrix(pic, msq, final, self.scales["conv1"], numbers=False, shown=shown)
        self._outline(pic, msq, final.shape, row, col)
        self._heading(pic, msq, f"map {s.channel + 1} of conv 1")
        where = f"row {row + 1}, column {col + 1}"
        caption = (f"At {where} the {k * k} products sum to {plain(window.total - window.bias)};"
                   f" plus the bias that is {plain(window.total)}, the map's value. "
                   "PyTorch's conv2d is cross-correlation: the kernel is not flipped.")
        if held is None:
            caption = ("The same kernel slides over every position of the zero-padded image: "
                       "one map per kernel, its weights shared across the image.")
        return self.final, caption

    def _stop(self, progress: float) -> tuple[int, int | None]:
        """The window's raster index at ``progress``, and which stop it holds (None while
        sliding)."""
        s = self.s
        side = s.model["sides"][0]
        stops = [w.row * side + w.col for w in s.windows]
        tail = 0.15
        per_stop = (1 - tail) / len(stops)
        if progress >= 1 - tail:
            travelled = (progress - (1 - tail)) / tail
            return round(stops[-1] + (side * side - 1 - stops[-1]) * travelled), None
        k = min(int(progress / per_stop), len(stops) - 1)
        within = (progress - k * per_stop) / per_stop
        start = stops[k - 1] if k else 0
        if within < TRAVEL:
            return round(start + (stops[k] - start) * within / TRAVEL), None
        return stops[k], k

    def _sum_line(self, pic: d.Picture, square: Box, window: Window) -> None:
        x, y, w, _ = square
        lines = [f"Σ {plain(window.total - window.bias)}",
                 f"+ bias {plain(window.bias)}",
                 f"= {plain(window.total)}"]
        size = self.f.size("label")
        for i, text in enumerate(lines):
            color = self.t.accent if i == 2 else self.t.text
            pic.add(d.Label((x + w / 2, y - self.f.dy("small") - i * self.f.line(size)), text,
                            self.f.fit(text, size, w), color, "center", "top", bold=i == 2))
