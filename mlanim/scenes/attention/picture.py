"""Frames of the attention scene as backend-neutral pictures.

Views: ``heatmap`` (each head's attention matrix), ``edges`` (token-to-token lines, one colour
per head, layers stacked from input to output), ``qkv`` (one head's computation, stage by
stage), and a first look at the sinusoidal positions. Every number and colour is the recorded
one; captions quote recorded values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    cell_box,
    cell_center,
    diverging_pixels,
    ink_on,
    line_chart,
    sequential_pixels,
    value_row_height,
)
from mlanim.draw.frame import LegendItem
from mlanim.draw.theme import rgb
from mlanim.draw.timeline import Segment
from mlanim.numbers import minus
from mlanim.scenes.attention.story import AttentionStory

EDGES_SWEEP = 0.55  # share of an evolving edges segment spent sweeping training
MIN_WEIGHT_DRAWN = 0.03  # thinner lines are invisible anyway, and cost time in manim
FOCUS_LABEL_WEIGHT = 0.15  # weights written beside the keys in the focus walk
QKV_STAGES = ("x", "qkv", "dot", "scale", "softmax", "mix")
QKV_STAGE_WEIGHTS = (1.0, 1.2, 1.0, 1.0, 1.7, 1.2)
def attention_picture(story: AttentionStory, frame: int) -> d.Picture:
    """One frame of the attention scene."""
    return _Frame(story, frame).compose()


@dataclass(frozen=True)
class _Areas:
    """Where things go, in figure fractions, for this frame's aspect."""

    main: tuple[float, float, float, float]
    charts: tuple[tuple[float, float, float, float], ...]
    full: tuple[float, float, float, float]


def _areas(story: AttentionStory) -> _Areas:
    f = story.frame
    x, y, w, h = f.body
    room_x, room_y = axes_room(f)
    rows = value_row_height(f, 2)
    if f.video.portrait:
        charts_h = max(h * 0.2, f.dy(90))
        charts = f.split((x + room_x, y + room_y, w - room_x, charts_h - room_y - rows),
                         [1, 1], gap=16 + room_x / f.dx(1))
        main = (x, y + charts_h + f.dy(12), w, h - charts_h - f.dy(12))
        return _Areas(main, tuple(charts), f.body)
    side = w * 0.26
    charts = f.split((x + w - side + room_x, y + room_y, side - room_x, h - room_y),
                     [1, 1], vertical=True, gap=16 + (room_y + rows) / f.dy(1))
    charts = [(cx, cy, cw, ch - rows) for cx, cy, cw, ch in charts]
    return _Areas((x, y, w - side - f.dx(24), h), tuple(charts), f.body)


class _Frame:
    """Builds one frame's picture."""

    def __init__(self, story: AttentionStory, frame: int) -> None:
        self.s, self.t, self.v = story, story.theme, story.video
        self.frame = frame
        self.seg: Segment = story.segment(frame)
        self.evolving = self.seg.view == story.evolving  # this view sweeps through training
        self.progress = self.seg.progress(frame)
        self.position = self._position()
        self.pic = d.Picture()
        self.u = story.frame  # unit conversions
        self.areas = _areas(story)

    def _position(self) -> float:
        """The fractional snapshot shown: swept in evolving segments, the last otherwise."""
        last = float(len(self.s.steps) - 1)
        if self.seg.view == "positions":  # the model before training: positions are fixed
            return 0.0
        if not self.evolving:
            return last
        if self.seg.view == "edges":
            return self.s.snapshot_at(min(self.progress / EDGES_SWEEP, 1.0))
        return self.s.snapshot_at(self.progress)

    @property
    def walking(self) -> bool:
        """Whether the edges view is walking the focus from token to token."""
        return self.seg.view == "edges" and (not self.evolving or
                                             self.progress > EDGES_SWEEP)

    # composition ---------------------------------------------------------------------------
    def compose(self) -> d.Picture:
        self._header()
        {"positions": self._positions, "heatmap": self._heatmaps, "edges": self._edges,
         "qkv": self._qkv}[self.seg.view]()
        if self.seg.view in ("heatmap", "edges"):
            self._charts()
        self.pic.add(*self.s.frame.caption(self._caption()))
        return self.pic

    def _header(self) -> None:
        step = round(self.s.step(self.position))
        self.pic.add(*self.s.frame.header(f"step {step} / {self.s.total_steps}",
                                          self._accuracy_line()))

    def fit(self, text: str, width_px: float, points: float, bold: bool = False) -> float:
        """``points``, or less (down to 7) so that ``text`` fits in ``width_px``."""
        return self.u.fit(text, points, self.u.x_px(width_px), bold,
                          smallest=min(1.0, 7.0 / points))

    def _accuracy_line(self) -> str:
        s = self.s
        if s.task["name"] == "text":
            return f"next-token accuracy {s.metric('val_acc', self.position):.0%}"
        return f"held-out sequences right {s.metric('val_seq_acc', self.position):.0%}"

    # heatmaps ------------------------------------------------------------------------------
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
        title_px = self.u.px(12) * 1.9
        gap = 16 * self.v.scale

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

    def _label_margin_px(self) -> float:
        longest = max(len(t) for t in self.s.tokens)
        return self.u.px(self._token_points()) * (0.7 * longest + 0.8)

    def _token_points(self) -> float:
        return 12.0 if self.s.length <= 12 else (10.0 if self.s.length <= 24 else 8.0)

    def _attention_matrix(self, box, layer: int, head: int, weights: np.ndarray,
                          room_px: float, hint: bool) -> None:
        s, t = self.s, self.t
        n = s.length
        color = s.head_colors[head]
        hidden = np.triu(np.ones((n, n), dtype=bool), 1) if s.task["causal"] else None
        pixels = sequential_pixels(weights, color, t, hidden)
        self.pic.add(d.Image(box, pixels), d.Rect(box, None, t.grid, 1.0))
        self._pattern_outline(box, n)
        self._token_labels(box, (n, n), rows=True, cols=True)
        self._cell_numbers(box, weights, pixels, hidden, "{:.2f}")
        x0, y0, _, h = box
        mass = s.pattern_mass(weights[None, None])
        on_pattern = f" · {mass:.2f} on the pattern" if np.isfinite(mass) else ""
        title = f"layer {layer + 1} · head {head + 1}{on_pattern}"
        room_px -= self._label_margin_px() * 0.5  # the title ends before the next panel's
        room_px = min(room_px, (self.u.right - box[0]) * self.v.width)  # and inside the frame
        if self.fit(title, room_px, 12, bold=True) < 10:
            title = f"L{layer + 1} H{head + 1}" + (f" · {mass:.2f} on pattern" if on_pattern
                                                    else "")
        if self.u.width(title, 7.0, bold=True) > self.u.x_px(room_px):
            title = f"L{layer + 1} H{head + 1}" + (f" · {mass:.2f}" if on_pattern else "")
        label_px = self._label_margin_px()
        self.pic.add(d.Label((x0, y0 + h + self.u.y_px(label_px + self.u.px(12) * 0.5)), title,
                             self.fit(title, room_px, 12, bold=True), color, "left", "bottom",
                             bold=True))
        if hint:
            self.pic.add(d.Label((x0, y0 - 0.012), "row: a query token · column: the key "
                                 "token it reads", self.u.size("value"), t.muted, "left", "top"))

    def _pattern_outline(self, box, n: int) -> None:
        for row, col in self.s.pattern:
            self.pic.add(d.Rect(cell_box(box, (n, n), row, col), None, self.t.accent, 1.0))

    def _token_labels(self, box, shape: tuple[int, int], rows: bool, cols: bool) -> None:
        """Example tokens beside a matrix's rows (queries) and above its columns (keys)."""
        t, n_rows, n_cols = self.t, *shape
        size = min(self._token_points(), self.u.points(box[3] * self.v.height / n_rows * 0.7))
        step = 1 if size >= 7 else 2
        size = max(size, 7)
        x0, y0, _, h = box
        for i in range(0, n_rows, step) if rows else ():
            _, y = cell_center(box, shape, i, 0)
            self.pic.add(d.Label((x0 - self.u.x_px(5), y), self.s.tokens[i], size, t.text, "right"))
        for j in range(0, n_cols, step) if cols else ():
            x, _ = cell_center(box, shape, 0, j)
            self.pic.add(d.Label((x, y0 + h + self.u.y_px(4)), self.s.tokens[j], size, t.text,
                                 "center", "bottom"))

    def _cell_numbers(self, box, values: np.ndarray, pixels: np.ndarray,
                      hidden: np.ndarray | None, fmt: str, rows_shown: int | None = None
                      ) -> None:
        """Each cell's value written in it, when the cells are big enough to read."""
        n_rows, n_cols = values.shape
        cell_px = min(box[2] * self.v.width / n_cols, box[3] * self.v.height / n_rows)
        if cell_px < 30 * self.v.scale:
            return
        size = min(12.0, self.u.points(cell_px * 0.30))
        for i in range(rows_shown if rows_shown is not None else n_rows):
            for j in range(n_cols):
                if hidden is not None and hidden[i, j]:
                    continue
                text = _number(values[i, j], fmt)
                self.pic.add(d.Label(cell_center(box, (n_rows, n_cols), i, j), text, size,
                                     ink_on(pixels[i, j], self.t)))

    # edges ---------------------------------------------------------------------------------
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

    def _track_point(self, track: int, i: int) -> tuple[float, float]:
        """Where token ``i`` sits on ``track`` (0 the input, the last the output)."""
        x0, y0, w, h = self._tracks_area()
        n, tracks = self.s.length, self.s.model["layers"] + 1
        along = (i + 0.5) / n
        across = 0.12 + 0.72 * track / (tracks - 1)
        if self.v.portrait:
            return x0 + w * across, y0 + h * (1 - along)
        titles = self.u.x_px(self.u.px(10) * 11)  # room for the track titles at the left
        return x0 + titles + (w - titles) * along, y0 + h * across

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

    def _track(self, track: int, focus: int | None) -> None:
        s, t = self.s, self.t
        tracks = s.model["layers"] + 1
        size = self._token_points() + 2
        if track == 0:
            texts, colors = s.tokens, [t.text] * s.length
        elif track == tracks - 1:
            texts = s.predictions(self.position)
            colors = [self._prediction_color(i, p) for i, p in enumerate(texts)]
        else:
            texts, colors = ["•"] * s.length, [t.muted] * s.length
        for i, (text, color) in enumerate(zip(texts, colors, strict=True)):
            x, y = self._track_point(track, i)
            pad_w = self.u.x_px(self.u.px(size) * (0.5 * len(text) + 0.9))
            pad_h = self.u.y_px(self.u.px(size) * 1.5)
            ring = t.accent if focus == i and track == tracks - 1 else t.grid
            self.pic.add(d.Rect((x - pad_w / 2, y - pad_h / 2, pad_w, pad_h), t.panel, ring,
                                2.0 if ring == t.accent else 1.0),
                         d.Label((x, y), text, size, color, bold=track == tracks - 1))
        self._track_title(track, tracks)

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
            self.pic.add(d.Label((x, y + self.u.dy(14 * 1.6)), name, self.u.size("label"), t.muted,
                                 "center", "bottom"))
        else:
            self.pic.add(d.Label((self._tracks_area()[0], y), name, self.u.size("label"), t.muted,
                                 "left"))

    def _focus_weights(self, weights: np.ndarray, focus: int) -> None:
        """The focused query's weights (last layer) written beside the keys it reads."""
        s = self.s
        layers = s.model["layers"]
        f = s.frame
        if self.v.portrait:
            spacing = abs(self._track_point(0, 1)[1] - self._track_point(0, 0)[1])
            narrow = spacing < f.line(10.5) * 1.05
        else:
            spacing = abs(self._track_point(0, 1)[0] - self._track_point(0, 0)[0])
            narrow = spacing < f.width("0.00", 10.5, bold=True) * 1.15
        stack = len(s.heads) + 1
        for rank, h in enumerate(s.heads):
            for j in np.nonzero(weights[h, focus] >= FOCUS_LABEL_WEIGHT)[0]:
                kx, ky = self._track_point(layers - 1, int(j))
                row = rank + (stack * (int(j) % 2) if narrow else 0)
                if self.v.portrait:
                    at = (kx + f.dx(24) + row * f.width("0.00 ", 10.5, bold=True), ky)
                else:
                    at = (kx, ky + f.dy(12 * 1.8) + row * f.line(10.5))
                self.pic.add(d.Label(at, f"{weights[h, focus, j]:.2f}", 10.5,
                                     s.head_colors[h], "center", "bottom", bold=True))

    def _legend_items(self) -> list[LegendItem]:
        s = self.s
        items = [LegendItem(s.head_colors[head], f"head {head + 1}", "line")
                 for head in s.heads]
        return [*items, LegendItem(self.t.grid, "line width = attention weight", "line")]

    def _head_legend(self) -> None:
        x0, y0, w, h = self.areas.main
        self.pic.add(*self.s.frame.legend(self._legend_items(), (x0, y0 + h), w))

    def _tracks_area(self) -> tuple[float, float, float, float]:
        """The main area below the head legend (and, in portrait, the track titles)."""
        f = self.s.frame
        x0, y0, w, h = self.areas.main
        used = f.legend_height(self._legend_items(), w) + f.dy(6)
        if self.v.portrait:
            used += f.line(10) + f.dy(12 * 1.6)
        return x0, y0, w, h - used

    # positions -----------------------------------------------------------------------------
    def _positions(self) -> None:
        s, t, f = self.s, self.t, self.s.frame
        table = s.positions  # (T, C)
        x0, y0, w, h = self.areas.full
        size = self._token_points() - 1
        labels = [f"position {i} · {s.tokens[i]}" for i in range(s.length)]
        margin = max(f.width(label, size) for label in labels) + f.dx(8)
        heading = "sinusoidal position encoding added to each token's embedding (−1 to 1)"
        heading_size = f.fit(heading, "heading", w)
        room = f.line(heading_size) + f.line("tick") + f.dy(8)
        cell_h = min((h - room) / s.length, f.dy(30))
        box_h = cell_h * s.length
        box = (x0 + margin, y0 + (h - box_h) / 2, w - margin, box_h)
        self.pic.add(d.Image(box, diverging_pixels(table, t, 1.0)),
                     d.Rect(box, None, t.grid, 1.0))
        for i, label in enumerate(labels):
            _, y = cell_center(box, table.shape, i, 0)
            self.pic.add(d.Label((box[0] - f.dx(6), y), label, size, t.text, "right"))
        bx, by, bw, bh = box
        self.pic.add(d.Label((x0, by + bh + f.dy(4)), heading, heading_size, t.text, "left",
                             "bottom"),
                     d.Label((bx + bw, by - f.dy(3)), f"dimension 0 … {table.shape[1] - 1}",
                             f.size("tick"), t.muted, "right", "top"))

    # qkv -----------------------------------------------------------------------------------
    def _qkv_stage(self) -> tuple[int, float]:
        edges = np.concatenate([[0], np.cumsum(QKV_STAGE_WEIGHTS)]) / sum(QKV_STAGE_WEIGHTS)
        index = min(int(np.searchsorted(edges, self.progress, side="right")) - 1,
                    len(QKV_STAGES) - 1)
        within = (self.progress - edges[index]) / (edges[index + 1] - edges[index])
        return index, float(np.clip(within, 0, 1))

    def _qkv(self) -> None:
        s = self.s
        layer, head = s.focus
        stage, within = self._qkv_stage()
        last = len(s.steps) - 1
        q, k, v = s.q[last, layer, head], s.k[last, layer, head], s.v[last, layer, head]
        width = q.shape[-1]
        scores = s.scores[last, layer, head]
        hidden = ~np.isfinite(scores)
        panels = {
            "x": ("X", s.x[last, layer], 0),
            "q": ("Q = X · W_Q", q, 1), "k": ("K = X · W_K", k, 1), "v": ("V = X · W_V", v, 1),
            "scores": ("Q · Kᵀ" if stage < 3 else f"Q · Kᵀ / √{width}",
                       np.where(hidden, np.nan, q @ k.T) if stage < 3 else scores, 2),
            "weights": ("softmax, row by row", s.weights[last, layer, head], 4),
            "mix": ("weights · V", s.mix[last, layer, head], 5)}
        rows = ([["x"], ["q", "k", "v"], ["scores", "weights"], ["mix"]] if self.v.portrait
                else [["x", "q", "k", "v"], ["scores", "weights", "mix"]])
        boxes = self._qkv_boxes(rows, {n: p[1].shape for n, p in panels.items()})
        for name, (title, values, shown_from) in panels.items():
            if stage < shown_from:
                continue
            current = shown_from == stage or (name == "scores" and stage == 3)
            self._qkv_panel(boxes[name], name, title, values, current, hidden, stage, within)
        heading = (f"layer {layer + 1} · head {head + 1}, trained (step {s.total_steps}), "
                   f"example {' '.join(s.tokens)}")
        f = s.frame
        x0, y0, w, h = self.areas.full
        self.pic.add(d.Label((x0, y0 + h), heading, f.fit(heading, "heading", w, bold=True),
                             s.head_colors[head], "left", "top", bold=True))

    def _qkv_boxes(self, rows: list[list[str]], shapes: dict[str, tuple[int, int]]
                   ) -> dict[str, tuple]:
        """Panels row by row: rows of token-by-token matrices (T x T, square, numbers written
        in them) get more height than rows of feature matrices, which are as wide as their
        columns allow."""
        x0, y0, w, h = self.areas.full
        h -= self.s.frame.line("heading") * 1.2  # the heading naming layer, head and example
        label_px = self._label_margin_px()
        title_px = self.u.px(11) * 2.2
        gap = 28 * self.v.scale
        n = self.s.length
        square = {"scores", "weights"}
        shares = np.array([1.6 if square & set(names) else 0.8 for names in rows])
        heights = shares / shares.sum() * h * self.v.height
        boxes = {}
        top_px = 0.0
        for names, row_px in zip(rows, heights, strict=True):
            cell_h = min((row_px - title_px - label_px * 0.8) / n, 48 * self.v.scale)
            free = w * self.v.width - len(names) * (label_px + gap)
            free -= sum(n * cell_h for m in names if m in square)
            columns = sum(shapes[m][1] for m in names if m not in square)
            cell_w = min(cell_h, free / columns) if columns else cell_h
            widths = [n * cell_h if m in square else shapes[m][1] * cell_w for m in names]
            used = sum(widths) + len(names) * (label_px + gap) - gap
            x = x0 + (w - self.u.x_px(used)) / 2
            top = y0 + h - self.u.y_px(top_px + title_px + (label_px * 0.8 if square & set(names)
                                                        else 0))
            for name, width in zip(names, widths, strict=True):
                x += self.u.x_px(label_px)
                height = self.u.y_px(n * cell_h)
                boxes[name] = (x, top - height, self.u.x_px(width), height)
                x += self.u.x_px(width + gap)
            top_px += row_px
        return boxes

    def _qkv_panel(self, box, name: str, title: str, values: np.ndarray, current: bool,
                   hidden: np.ndarray, stage: int, within: float) -> None:
        t, s = self.t, self.s
        n = s.length
        rows_shown = n
        if name == "weights":
            pixels = sequential_pixels(values, s.head_colors[s.focus[1]], t,
                                       hidden if s.task["causal"] else None)
            if stage == 4:
                rows_shown = min(n, int(within * 1.15 * n) + 1)
                pixels[rows_shown:] = np.array(rgb(t.panel))
        else:
            pixels = diverging_pixels(values, t)
        self.pic.add(d.Image(box, pixels),
                     d.Rect(box, None, t.accent if current else t.grid, 2.0 if current else 1.0))
        self._token_labels(box, values.shape, rows=True, cols=values.shape[1] == n and
                           name in ("scores", "weights"))
        if name in ("scores", "weights"):
            fmt = "{:.2f}" if name == "weights" else "{:.1f}"
            self._cell_numbers(box, values, pixels, hidden if s.task["causal"] else None, fmt,
                               rows_shown)
        x0, y0, w, h = box
        lift = self.u.px(11) * 0.5 + (self.u.px(self._token_points()) * 1.3
                                         if name in ("scores", "weights") else 0)
        dims = f"  ({values.shape[0]} × {values.shape[1]})" if name in ("x", "q", "k", "v") \
            else ""
        if len(title + dims) * self.u.px(11) * 0.6 > w * self.v.width * 1.15:
            dims = ""
        text = title + dims
        self.pic.add(d.Label((x0, y0 + h + self.u.y_px(lift)), text,
                             self.fit(text, w * self.v.width * 1.15, 11, bold=current),
                             t.accent if current else t.text, "left", "bottom", bold=current))

    # charts and captions -------------------------------------------------------------------
    def _charts(self) -> None:
        s, t = self.s, self.t
        loss_box, acc_box = self.areas.charts
        now = s.step(self.position)
        loss = [Series("train loss", s.metrics["train_loss"], t.train),
                Series("held-out loss", s.metrics["val_loss"], t.val, dashed=True)]
        accuracy = [Series("held-out tokens", s.metrics["val_acc"], t.train, percent=True)]
        if s.task["name"] != "text":
            accuracy.append(Series("held-out sequences", s.metrics["val_seq_acc"], t.val,
                                   dashed=True, percent=True))
        self.pic.add(*line_chart(s.frame, loss_box, s.steps, loss, now, "step"),
                     *line_chart(s.frame, acc_box, s.steps, accuracy, now, "step", top=1.0))

    def _caption(self) -> str:
        view = self.seg.view
        if view == "positions":
            return ("Attention itself ignores order: each position adds its own pattern of "
                    "sines and cosines to the token")
        if view == "qkv":
            return self._qkv_caption()
        if self.walking:
            return self._walk_caption()
        if self.progress < 0.1 and self.evolving:
            return "Before training, every head spreads its attention almost evenly"
        return self._training_caption()

    def _training_caption(self) -> str:
        s = self.s
        weights = s.at(s.weights, self.position)
        mass = s.pattern_mass(weights)
        if np.isfinite(mass):
            where = {"reverse": "the mirrored position", "copy": "the digit to copy",
                     "induction": "the token after the previous occurrence"}[s.task["name"]]
            return f"The best head puts {mass:.0%} of its attention on {where} (outlined)"
        return "Each row shows where one token looks; brighter cells get more attention"

    def _walk_caption(self) -> str:
        s = self.s
        i = self._walk_focus()
        weights = s.weights[-1, s.model["layers"] - 1]
        head = max(s.heads, key=lambda h: float(weights[h, i].max()))
        j = int(np.argmax(weights[head, i]))
        return (f"Position {i} ('{s.tokens[i]}') reads position {j} ('{s.tokens[j]}') most: "
                f"weight {weights[head, i, j]:.2f} in head {head + 1}")

    def _qkv_caption(self) -> str:
        s = self.s
        stage, within = self._qkv_stage()
        layer, head = s.focus
        last = len(s.steps) - 1
        width = s.q.shape[-1]
        name = QKV_STAGES[stage]
        if name == "x":
            return (f"X: each of the {s.length} tokens as {s.x.shape[-1]} numbers (embedding "
                    "plus position, layer-normed)")
        if name == "qkv":
            return (f"Head {head + 1} projects X into a query, a key and a value of {width} "
                    "numbers per token")
        if name == "dot":
            return "Q · Kᵀ: how well each token's query matches every token's key"
        if name == "scale":
            masked = "; later tokens are masked out (causal)" if s.task["causal"] else ""
            return f"Divided by √{width} = {np.sqrt(width):.1f} so softmax is not saturated" + \
                masked
        if name == "softmax":
            i = min(s.length - 1, int(within * 1.15 * s.length))
            row = s.weights[last, layer, head, i]
            j = int(np.argmax(row))
            return (f"Softmax makes each row sum to 1: '{s.tokens[i]}' (position {i}) gives "
                    f"{row[j]:.2f} to '{s.tokens[j]}' (position {j})")
        return "The head's output: for each token, the values V mixed by its weights"


def _number(value: float, fmt: str) -> str:
    if np.isnan(value):
        return ""
    if np.isinf(value):
        return "−∞"
    return minus(fmt.format(value))
