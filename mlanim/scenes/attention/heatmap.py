"""The ``heatmap`` view: each head's attention matrix, query rows by key columns, with the
task's pattern outlined."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import cell_box, sequential_pixels
from mlanim.scenes.attention.view import View

GRID_GAP_PX = 16  # between matrices (pixels at 720p)


class Heatmap(View):
    """Every head's attention matrix at the snapshot shown."""

    charts = True

    def draw(self) -> None:
        """A matrix a head, a layer's heads to a row."""
        self._heatmaps()

    def caption(self) -> str:
        """How much of the best head's attention lies on the pattern."""
        if self.progress < 0.1 and self.evolving:
            return "Before training, every head spreads its attention almost evenly"
        return self._training_caption()

    def _heatmaps(self) -> None:
        s = self.s
        weights = s.at(s.weights, self.position)  # (L, H, T, T)
        panels = [(layer, head) for layer in range(s.model["layers"]) for head in s.heads]
        boxes, side_px = self._grid_boxes(self.areas.main, len(panels), len(s.heads))
        bottom_left = min(range(len(boxes)), key=lambda k: (boxes[k][1], boxes[k][0]))
        for k, ((layer, head), box) in enumerate(zip(panels, boxes, strict=True)):
            self._attention_matrix(box, layer, head, weights[layer, head], side_px,
                                   hint=k == bottom_left)

    def _grid_boxes(self, area, count: int, per_row: int) -> tuple[list[tuple], float]:
        """Square boxes for ``count`` panels inside ``area``, leaving room for token labels at
        the left and top of each and a title above: ``per_row`` to a row (a layer's heads), or
        all in one row when that makes them larger."""
        x0, y0, w, h = area
        width_px, height_px = w * self.v.width, h * self.v.height
        label_px = self._label_margin_px()
        title_px = self.u.px(self.u.size("heading")) * 1.9
        gap = GRID_GAP_PX * self.v.scale

        def side_for(cols: int) -> float:
            rows = -(-count // cols)
            return min((width_px - cols * (label_px + gap)) / cols,
                       (height_px - rows * (label_px + title_px + gap)) / rows)

        cols = max((per_row, count), key=side_for)
        side = max(side_for(cols), 20.0)
        rows = -(-count // cols)
        used_w = cols * (side + label_px + gap) - gap
        used_h = rows * (side + label_px + title_px + gap) - gap
        left = x0 + (w - self.u.x_px(used_w)) / 2
        below = (h - self.u.y_px(used_h)) / 2
        boxes = []
        for k in range(count):
            r, c = divmod(k, cols)
            top = y0 + h - below - self.u.y_px(r * (side + label_px + title_px + gap) + label_px
                                           + title_px)
            x = left + self.u.x_px(c * (side + label_px + gap) + label_px)
            boxes.append((x, top - self.u.y_px(side), self.u.x_px(side), self.u.y_px(side)))
        return boxes, side + label_px + gap

    def _attention_matrix(self, box, layer: int, head: int, weights: np.ndarray,
                          room_px: float, hint: bool) -> None:
        s, t = self.s, self.t
        n = s.length
        color = s.head_colors[head]
        hidden = np.triu(np.ones((n, n), dtype=bool), 1) if s.task["causal"] else None
        pixels = sequential_pixels(weights, color, t, hidden)
        tokens = s.tokens
        hover = np.array([[f"{tokens[r]} → {tokens[c]}: {weights[r, c]:.3f}" for c in range(n)]
                          for r in range(n)])
        self.pic.add(d.Image(box, pixels, hover=hover), d.Rect(box, None, t.grid, 1.0))
        self._pattern_outline(box, n)
        self._token_labels(box, (n, n), rows=True, cols=True)
        self._cell_numbers(box, weights, pixels, hidden, "{:.2f}")
        x0, y0, _, h = box
        mass = s.pattern_mass(weights[None, None])
        on_pattern = f" · {mass:.2f} on the pattern" if np.isfinite(mass) else ""
        title = f"layer {layer + 1} · head {head + 1}{on_pattern}"
        room_px -= self._label_margin_px() * 0.5  # the title ends before the next panel's
        room_px = min(room_px, (self.u.right - box[0]) * self.v.width)  # and inside the frame
        heading = self.u.size("heading")
        if self.fit(title, room_px, heading, bold=True) < self.u.size("token_mid"):
            title = f"L{layer + 1} H{head + 1}" + (f" · {mass:.2f} on pattern" if on_pattern
                                                    else "")
        if self.u.width(title, "smallest", bold=True) > self.u.x_px(room_px):
            title = f"L{layer + 1} H{head + 1}" + (f" · {mass:.2f}" if on_pattern else "")
        label_px = self._label_margin_px()
        self.pic.add(d.Label((x0, y0 + h + self.u.y_px(label_px + self.u.px(heading) * 0.5)),
                             title, self.fit(title, room_px, heading, bold=True), color, "left",
                             "bottom", bold=True))
        if hint:
            self.pic.add(d.Label((x0, y0 - 0.012), "row: a query token · column: the key "
                                 "token it reads", self.u.size("value"), t.muted, "left", "top"))

    def _pattern_outline(self, box, n: int) -> None:
        for row, col in self.s.pattern:
            self.pic.add(d.Rect(cell_box(box, (n, n), row, col), None, self.t.accent, 1.0))
