"""The ``edges`` view: token-to-token lines, one colour a head, layers stacked from the input
to the output; after the sweep through training, the focus walks from token to token."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.scenes.attention.tracks import Tracks

EDGES_SWEEP = 0.55  # share of an evolving edges segment spent sweeping training
MIN_WEIGHT_DRAWN = 0.03  # thinner lines are invisible anyway, and cost time in manim
FOCUS_LABEL_WEIGHT = 0.15  # weights written beside the keys in the focus walk


class Edges(Tracks):
    """Lines from each query token to the keys it reads, as wide as the weight."""

    charts = True

    def _position(self) -> float:
        if not self.evolving:
            return float(len(self.s.steps) - 1)
        return self.s.snapshot_at(min(self.progress / EDGES_SWEEP, 1.0))

    @property
    def walking(self) -> bool:
        """Whether the focus is walking from token to token."""
        return not self.evolving or self.progress > EDGES_SWEEP

    def draw(self) -> None:
        """Every head's lines, the tracks of tokens, and the focus's weights."""
        self._edges()

    def caption(self) -> str:
        """The focus's strongest read while walking; the pattern's share before."""
        if self.walking:
            return self._walk_caption()
        if self.progress < 0.1 and self.evolving:
            return "Before training, every head spreads its attention almost evenly"
        return self._training_caption()

    def _edges(self) -> None:
        s = self.s
        weights = s.at(s.weights, self.position)
        layers = s.model["layers"]
        focus = self._walk_focus() if self.walking else None
        for layer in range(layers):
            for h in s.heads:
                self._edge_lines(layer, h, weights[layer, h], focus)
        for track in range(layers + 1):
            self._track(track, focus)
        if focus is not None:
            self._focus_weights(weights[layers - 1], focus)
        self._head_legend()

    def _walk_focus(self) -> int:
        start = EDGES_SWEEP if self.evolving else 0.0
        walk = (self.progress - start) / (1 - start)
        return min(int(walk * self.s.length), self.s.length - 1)

    def _edge_lines(self, layer: int, head: int, weights: np.ndarray, focus: int | None
                    ) -> None:
        s = self.s
        offset = (head - (s.model["heads"] - 1) / 2) * 0.0035
        shift = (0.0, offset) if self.v.portrait else (offset, 0.0)
        rows, cols = np.nonzero(weights >= MIN_WEIGHT_DRAWN)
        for i, j in zip(rows, cols, strict=True):
            w = float(weights[i, j])
            dim = focus is not None and i != focus
            qx, qy = self._track_point(layer + 1, int(i))
            kx, ky = self._track_point(layer, int(j))
            self.pic.add(d.Line((qx + shift[0], qy + shift[1]), (kx + shift[0], ky + shift[1]),
                                s.head_colors[head], 0.6 + 5.5 * w,
                                (0.08 + 0.25 * w) if dim else min(1.0, 0.15 + 0.85 * w)))

    def _focus_weights(self, weights: np.ndarray, focus: int) -> None:
        """The focused query's weights (last layer) written beside the keys it reads."""
        s = self.s
        layers = s.model["layers"]
        f = s.frame
        if self.v.portrait:
            spacing = abs(self._track_point(0, 1)[1] - self._track_point(0, 0)[1])
            narrow = spacing < f.line("label") * 1.05
        else:
            spacing = abs(self._track_point(0, 1)[0] - self._track_point(0, 0)[0])
            narrow = spacing < f.width("0.00", "label", bold=True) * 1.15
        stack = len(s.heads) + 1
        keys = self._track_texts(layers - 1)
        for rank, h in enumerate(s.heads):
            for j in np.nonzero(weights[h, focus] >= FOCUS_LABEL_WEIGHT)[0]:
                kx, ky = self._track_point(layers - 1, int(j))
                row = rank + (stack * (int(j) % 2) if narrow else 0)
                text = f"{weights[h, focus, j]:.2f}"
                if self.v.portrait:  # right of the key's box, clear of it
                    beside = kx + self._box_width(keys[j]) / 2 + f.dx("gap")
                    label = d.Label((beside + row * f.width("0.00 ", "label", bold=True), ky),
                                    text, f.size("label"), s.head_colors[h], "left", bold=True)
                else:
                    label = d.Label((kx, ky + f.dy("row_wide") + row * f.line("label")), text,
                                    f.size("label"), s.head_colors[h], "center", "bottom",
                                    bold=True)
                self.pic.add(label)

    def _head_legend(self) -> None:
        x0, y0, w, h = self.areas.main
        self.pic.add(*self.s.frame.legend(self._legend_items(), (x0, y0 + h), w))

    def _walk_caption(self) -> str:
        s = self.s
        i = self._walk_focus()
        weights = s.weights[-1, s.model["layers"] - 1]
        head = max(s.heads, key=lambda h: float(weights[h, i].max()))
        j = int(np.argmax(weights[head, i]))
        return (f"Position {i} ('{s.tokens[i]}') reads position {j} ('{s.tokens[j]}') most: "
                f"weight {weights[head, i, j]:.2f} in head {head + 1}")
