"""The ``pool`` view: max pooling, a window's largest value kept."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.scenes.cnn_filters.canvas import Canvas


class Pool(Canvas):
    """Max pooling of a map, window by window."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, t = self.s, self.t
        c = s.channel
        before, after = s.maps["conv1"][-1][c], s.maps["act1"][-1][c]
        pooled = s.maps["pool1"][-1][c]
        winners = s.winners(c)
        boxes = self._columns([1, 1, 0.8], gap="columns")
        scale = self.scales["conv1"]
        bsq = self._square_under_heading(boxes[0])
        self._matrix(pic, bsq, before, scale)
        self._heading(pic, bsq, "conv 1 map")
        asq = self._square_under_heading(boxes[1])
        reveal_act = min(1.0, progress / 0.3)
        side = before.shape[0]
        shown = (np.arange(side * side) < round(reveal_act * side * side)).reshape(side, side)
        self._matrix(pic, asq, after, scale, shown=shown)
        self._heading(pic, asq, f"after {s.model['activation']}")
        windows = pooled.shape[0] * pooled.shape[1]
        visited = 0 if progress < 0.3 else min(windows, int((progress - 0.3) / 0.6 * windows)
                                                + 1)
        p = s.pool
        for k in range(visited):
            r, q = divmod(k, pooled.shape[1])
            wr, wc = winners[r, q]
            self._outline(pic, asq, after.shape, r * p, q * p, p, p, t.muted, 1.0)
            self._outline(pic, asq, after.shape, int(wr), int(wc), color=t.accent, width=2.0)
        psq = self._square_under_heading(boxes[2])
        shown_pool = (np.arange(windows) < visited).reshape(pooled.shape)
        self._matrix(pic, psq, pooled, scale, shown=shown_pool)
        self._heading(pic, psq, f"max-pool {p}×{p}")
        if progress < 0.3:
            caption = (f"{s.model['activation']} keeps positive values and sets negative "
                       "ones to zero." if s.model["activation"] == "relu" else
                       f"{s.model['activation']} is applied to every cell.")
        else:
            caption = (f"Max-pooling keeps the largest value of each {p}×{p} window (ringed):"
                       f" the map shrinks from {side}×{side} to {pooled.shape[0]}×"
                       f"{pooled.shape[1]}.")
        return self.final, caption
