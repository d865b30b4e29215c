"""The ``flatten`` view: the last maps laid out in a row, and the class scores they make."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.frame import Box
from mlanim.scenes.cnn_filters.canvas import Canvas


class Flatten(Canvas):
    """The last maps in a row, and the class scores they make."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s = self.s
        last = f"pool{s.layers}"
        maps = s.maps[last][-1]
        flat = s.flat[-1]
        logits = s.logits[-1].astype(float)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        boxes = self._columns([1.1, 0.35, 1.0, 1.0], gap="band")
        self._map_grid(pic, boxes[0], maps, self.scales[f"conv{s.layers}"],
                       f"conv {s.layers} maps, pooled")
        strip_box = self._strip_box(boxes[1])
        revealed = min(len(flat), round(min(1.0, progress / 0.3) * len(flat)))
        shown = np.arange(len(flat)) < revealed
        across = s.video.portrait
        self._matrix(pic, strip_box, flat[None, :] if across else flat[:, None],
                     self.scales[f"conv{s.layers}"], numbers=False,
                     shown=shown[None, :] if across else shown[:, None])
        self._heading(pic, strip_box, f"flat ({len(flat)})")
        if progress >= 0.35:
            self._bars(pic, boxes[2], logits, "logits", signed=True)
        if progress >= 0.65:
            self._bars(pic, boxes[3], probs, "softmax", signed=False, best=int(probs.argmax()))
        channels, h, w = maps.shape
        hidden = s.model.get("hidden") or []
        dense = ("one linear layer turns" if not hidden else
                 f"dense layers of {', '.join(map(str, hidden))} and a linear layer turn")
        caption = (f"Flatten reads the {channels} maps of {h}×{w} in channel, row, column "
                   f"order into {len(flat)} numbers; {dense} them into "
                   f"{len(logits)} logits, and softmax into probabilities.")
        if progress >= 0.65:
            best = int(probs.argmax())
            caption = (f"Softmax: class {s.classes[best]} with probability {probs[best]:.0%} "
                       f"(the image is a {s.classes[s.label]}).")
        return self.final, caption

    def _strip_box(self, box: Box) -> Box:
        x, y, w, h = box
        room = self.f.line("heading") + self.f.dy("gap")
        if self.s.video.portrait:  # the numbers lie in a row across the frame
            height = min(h - room, self.f.dy("block"))
            return x, y + (h - room - height) / 2, w, height
        width = min(w, self.f.dx("block"))
        return x + (w - width) / 2, y, width, h - room

    def _map_grid(self, pic: d.Picture, box: Box, maps: np.ndarray, scale: float,
                  heading: str) -> list[Box]:
        """``maps`` (C, h, w) as a grid of small squares under one heading."""
        f = self.f
        x, y, w, h = box
        room = f.line("heading") + f.dy("gap")
        count = len(maps)
        best = None
        gap = f.px(f.space("gap"))
        for cols in range(1, count + 1):
            rows = -(-count // cols)
            side_px = min((w * self.s.video.width - (cols - 1) * gap) / cols,
                          ((h - room) * self.s.video.height - (rows - 1) * gap) / rows)
            if best is None or side_px > best[0]:
                best = (side_px, cols, rows)
        side_px, cols, rows = best  # type: ignore[misc]
        sw, sh = f.x_px(side_px), f.y_px(side_px)
        grid_w = cols * sw + (cols - 1) * f.dx("gap")
        top = y + h - room
        boxes = []
        for k in range(count):
            r, c = divmod(k, cols)
            square = (x + (w - grid_w) / 2 + c * (sw + f.dx("gap")), top - (r + 1) * sh -
                      r * f.dy("gap"), sw, sh)
            self._matrix(pic, square, maps[k], scale, numbers=False)
            boxes.append(square)
        grid_top = (x + (w - grid_w) / 2, top - rows * sh, grid_w, rows * sh)
        self._heading(pic, (grid_top[0], grid_top[1], grid_top[2], rows * sh),
                      heading, width=w)
        return boxes
