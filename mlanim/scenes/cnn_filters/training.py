"""The ``training`` view: kernels and maps changing epoch by epoch, beside the confusion matrix."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import cell_center, ink_on
from mlanim.draw.frame import Box
from mlanim.draw.theme import rgb
from mlanim.scenes.cnn_filters.canvas import Canvas


class Training(Canvas):
    """Kernels, maps and the confusion matrix, epoch by epoch."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, f = self.s, self.f
        snapshot = s.snapshot_at(progress)
        portrait = s.video.portrait
        maps_area, confusion_area = self._columns([1.6, 1.0] if not portrait else [1.4, 1.0],
                                                  gap="halves_wide")
        bar_room = self._colorbar_room()
        rows = [("conv 1 kernels", s.weights[0][snapshot][:, 0], self.kernel_scale)]
        for i in range(1, s.layers + 1):
            rows.append((f"conv {i} maps of the image", s.maps[f"conv{i}"][snapshot][:],
                         self.scales[f"conv{i}"]))
        boxes = f.split(maps_area, [1] * len(rows), vertical=True, gap="section")
        for (heading, maps, scale), box in zip(rows, boxes, strict=True):
            x, y, w, h = box
            squares = self._map_strip(pic, (x, y, w - bar_room, h), maps, scale, heading)
            top, bottom = squares[0][1] + squares[0][3], min(b[1] for b in squares)
            right = max(b[0] + b[2] for b in squares)
            self._colorbar(pic, (right + f.dx("pad"), bottom, f.dx("pad"), top - bottom), scale)
        self._confusion(pic, confusion_area, snapshot)
        epoch = s.epochs[snapshot]
        caption = (f"Epoch {epoch:g}: every map on one colour scale per layer, fixed across "
                   "epochs; the confusion matrix counts held-out images by true (row) and "
                   "predicted (column) class.")
        if snapshot == 0:
            caption = (f"Before training: random kernels, and the untrained network gets "
                       f"{s.metric('val_acc', 0):.0%} of the held-out images right.")
        return snapshot, caption

    def _map_strip(self, pic: d.Picture, box: Box, maps: np.ndarray, scale: float,
                   heading: str) -> list[Box]:
        """Maps side by side (two rows when that makes them larger) under a heading at the
        left."""
        f = self.f
        x, y, w, h = box
        room = f.line("label") + f.dy("tight")
        count = len(maps)
        gap = f.px(f.space("small"))
        best = (0.0, 1)
        for rows in (1, 2):
            cols = -(-count // rows)
            side_px = min((w * self.s.video.width - (cols - 1) * gap) / cols,
                          ((h - room) * self.s.video.height - (rows - 1) * gap) / rows)
            if side_px > best[0]:
                best = (side_px, rows)
        side_px, rows = best
        cols = -(-count // rows)
        sw, sh = f.x_px(side_px), f.y_px(side_px)
        top = y + h - room
        boxes = []
        for k in range(count):
            r, c = divmod(k, cols)
            square = (x + c * (sw + f.x_px(gap)), top - (r + 1) * sh - r * f.y_px(gap), sw, sh)
            self._matrix(pic, square, maps[k], scale, numbers=False)
            boxes.append(square)
        size = f.fit(heading, "label", w)
        pic.add(d.Label((x, top + f.dy("thin")), heading, size, self.t.text, "left", "bottom"))
        return boxes

    def _confusion(self, pic: d.Picture, box: Box, snapshot: int) -> None:
        s, f, t = self.s, self.f, self.t
        counts = s.confusion[snapshot]
        classes = len(counts)
        x, y, w, h = box
        label_w = max(f.width(c, "tick") for c in s.classes) + f.dx("small")
        inner = (x + label_w, y, w - label_w, h - f.line("tick"))
        square = self._square_under_heading(inner, lines=2)
        totals = np.maximum(s.confusion[-1].sum(axis=1, keepdims=True), 1)
        share = counts / totals
        color = np.array(rgb(t.positive))
        panel = np.array(rgb(t.panel))
        pixels = panel + (color - panel) * np.clip(share, 0, 1)[..., None]
        wrong = ~np.eye(classes, dtype=bool) & (counts > 0)
        negative = np.array(rgb(t.negative))
        pixels[wrong] = (panel + (negative - panel) * np.clip(share, 0.25, 1)[..., None])[wrong]
        pic.add(d.Image(square, pixels), d.Rect(square, None, t.grid, 1.0))
        size = self._number_size(square, counts.shape, 0)
        tick = f.size("tick")
        for i in range(classes):
            cx, cy = cell_center(square, counts.shape, i, i)
            pic.add(d.Label((square[0] - f.dx("tight"), cy), s.classes[i], tick, t.muted, "right"))
            pic.add(d.Label((cx, square[1] + square[3] + f.dy("thin")), s.classes[i], tick,
                            t.muted, "center", "bottom"))
            if size is None:
                continue
            for j in range(classes):
                if counts[i, j]:
                    pic.add(d.Label(cell_center(square, counts.shape, i, j),
                                    f"{counts[i, j]:.0f}", size, ink_on(pixels[i, j], t)))
        heading = f"held-out confusion, {s.confusion[-1].sum():.0f} images"
        top = square[1] + square[3] + f.line(tick) + f.dy("small")
        pic.add(d.Label((square[0] + square[2] / 2, top), heading,
                        f.fit(heading, "heading", w), t.text, "center", "bottom"))
