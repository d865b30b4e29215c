"""The tracks of the attention scene's edges view: the example's tokens at the input, a dot a
position for each layer between, and the predictions at the output, placed across the frame
(down it in portrait frames), sized so that their boxes stand apart."""

from __future__ import annotations

import math
from functools import cached_property

from mlanim.draw import display as d
from mlanim.draw.frame import LegendItem
from mlanim.scenes.attention.view import View


class Tracks(View):
    """Where each layer's tokens stand, and how they are drawn; `Edges` draws between them."""

    def _track_point(self, track: int, i: int) -> tuple[float, float]:
        """Where token ``i`` sits on ``track`` (0 the input, the last the output)."""
        x0, y0, w, h = self._tracks_area
        n, tracks = self.s.length, self.s.model["layers"] + 1
        along = (i + 0.5) / n
        across = 0.12 + 0.72 * track / (tracks - 1)
        if self.v.portrait:
            return x0 + w * across, y0 + h * (1 - along)
        # room for the track titles at the left
        titles = self.u.x_px(self.u.px(self.u.size("token_mid")) * 11)
        return x0 + titles + (w - titles) * along, y0 + h * across

    @cached_property
    def _tracks_area(self) -> tuple[float, float, float, float]:
        """The main area below the head legend (and, in portrait, the track titles)."""
        f = self.s.frame
        x0, y0, w, h = self.areas.main
        used = f.legend_height(self._legend_items(), w) + f.dy("gap")
        if self.v.portrait:
            used += f.line("label") + f.dy("row")
        return x0, y0, w, h - used

    def _track(self, track: int, focus: int | None) -> None:
        s, t = self.s, self.t
        tracks = s.model["layers"] + 1
        size = self._track_points
        texts = self._track_texts(track)
        if track == 0:
            colors = [t.text] * s.length
        elif track == tracks - 1:
            colors = [self._prediction_color(i, p) for i, p in enumerate(texts)]
        else:
            colors = [t.muted] * s.length
        stride = self._track_stride
        for i, (text, color) in enumerate(zip(texts, colors, strict=True)):
            if i % stride and i != focus:
                continue  # too many tokens for the track: every other one (the focus always)
            x, y = self._track_point(track, i)
            pad_w = self._box_width(text)
            pad_h = self.u.y_px(self.u.px(size) * 1.5)
            ring = t.accent if focus == i and track == tracks - 1 else t.grid
            self.pic.add(d.Rect((x - pad_w / 2, y - pad_h / 2, pad_w, pad_h), t.panel, ring,
                                2.0 if ring == t.accent else 1.0),
                         d.Label((x, y), text, size, color, bold=track == tracks - 1))
        self._track_title(track, tracks)

    @cached_property
    def _track_points(self) -> float:
        """The size of the tokens on the tracks: a step above the example's token size, or
        as large as their boxes fit apart along the track (down to the smallest size)."""
        preferred = self._token_points() + 2
        if self.s.length < 2:
            return preferred
        (x0, y0), (x1, y1) = self._track_point(0, 0), self._track_point(0, 1)
        if self.v.portrait:  # boxes stacked: 1.5 lines of text each
            fitting = self.u.points(abs(y1 - y0) * self.v.height) / 1.5
        else:  # boxes side by side, as wide as their longest token
            longest = max(len(text) for text in self._track_texts(0))
            fitting = self.u.points(abs(x1 - x0) * self.v.width) / (0.5 * longest + 0.9)
        return max(min(preferred, fitting), self.u.size("smallest"))

    @cached_property
    def _track_stride(self) -> int:
        """Every how many positions a track writes its token: 1, unless the boxes of the
        smallest text would still overlap."""
        if self.s.length < 2:
            return 1
        (x0, y0), (x1, y1) = self._track_point(0, 0), self._track_point(0, 1)
        if self.v.portrait:
            needed = self.u.y_px(self.u.px(self._track_points) * 1.5)
            return max(1, math.ceil(needed / abs(y1 - y0) - 1e-9))
        longest = max(len(text) for text in self._track_texts(0))
        needed = self._box_width("x" * longest)
        return max(1, math.ceil(needed / abs(x1 - x0) - 1e-9))

    def _track_texts(self, track: int) -> list[str]:
        """What track ``track`` writes at each position: the example's tokens, the
        predictions (the last track), or a dot for a layer between."""
        s = self.s
        if track == 0:
            return list(s.tokens)
        if track == s.model["layers"]:
            return list(s.predictions(self.position))
        return ["•"] * s.length

    def _box_width(self, text: str) -> float:
        """The width (a fraction of the frame's) of the box around a track's token."""
        return self.u.x_px(self.u.px(self._track_points) * (0.5 * len(text) + 0.9))

    def _prediction_color(self, i: int, predicted: str) -> str:
        target = self.s.targets[i]
        if target is None or i < self.s.task["scored_from"]:
            return self.t.text
        return self.t.class_color(2) if predicted == target else self.t.negative

    def _track_title(self, track: int, tracks: int) -> None:
        t = self.t
        name = ("input" if track == 0 else "output (prediction)" if track == tracks - 1
                else f"after layer {track}")
        x, y = self._track_point(track, 0)
        if self.v.portrait:
            self.pic.add(d.Label((x, y + self.u.dy("row_wider")), name, self.u.size("label"),
                                 t.muted, "center", "bottom"))
        else:
            self.pic.add(d.Label((self._tracks_area[0], y), name, self.u.size("label"), t.muted,
                                 "left"))

    def _legend_items(self) -> list[LegendItem]:
        s = self.s
        items = [LegendItem(s.head_colors[head], f"head {head + 1}", "line")
                 for head in s.heads]
        return [*items, LegendItem(self.t.grid, "line width = attention weight", "line")]
