"""The ``qkv`` view: one head's computation on the example, stage by stage: X, the query,
key and value projections, their dot products, the scaling, the softmax row by row, and the
mix of values."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import diverging_pixels, sequential_pixels
from mlanim.draw.theme import rgb
from mlanim.scenes.attention.view import View

QKV_STAGES = ("x", "qkv", "dot", "scale", "softmax", "mix")
QKV_STAGE_WEIGHTS = (1.0, 1.2, 1.0, 1.0, 1.7, 1.2)
PANEL_GAP_PX = 28  # between panels (pixels at 720p)
LARGEST_CELL_PX = 48  # a matrix cell's largest side (pixels at 720p)


class Qkv(View):
    """The focused head of the trained model, computing its attention."""

    def draw(self) -> None:
        """The panels shown by this stage, the current one outlined."""
        self._qkv()

    def caption(self) -> str:
        """What this stage computes, with the recorded numbers."""
        return self._qkv_caption()

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
        title_px = self.u.px(self.u.size("stage")) * 2.2
        gap = PANEL_GAP_PX * self.v.scale
        n = self.s.length
        square = {"scores", "weights"}
        shares = np.array([1.6 if square & set(names) else 0.8 for names in rows])
        heights = shares / shares.sum() * h * self.v.height
        boxes = {}
        top_px = 0.0
        for names, row_px in zip(rows, heights, strict=True):
            cell_h = min((row_px - title_px - label_px * 0.8) / n, LARGEST_CELL_PX * self.v.scale)
            room = w * self.v.width - len(names) * (label_px + gap)
            squares = sum(1 for m in names if m in square)
            columns = sum(shapes[m][1] for m in names if m not in square)
            if squares * n * cell_h >= room:  # the squares alone are wider than the row
                cell_h = room / (squares * n + columns)
            free = room - squares * n * cell_h
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
        lift = self.u.px(self.u.size("stage")) * 0.5 + (self.u.px(self._token_points()) * 1.3
                                         if name in ("scores", "weights") else 0)
        dims = f"  ({values.shape[0]} × {values.shape[1]})" if name in ("x", "q", "k", "v") \
            else ""
        if len(title + dims) * self.u.px(self.u.size("stage")) * 0.6 > w * self.v.width * 1.15:
            dims = ""
        text = title + dims
        self.pic.add(d.Label((x0, y0 + h + self.u.y_px(lift)), text,
                             self.fit(text, w * self.v.width * 1.15, self.u.size("stage"),
                                      bold=current),
                             t.accent if current else t.text, "left", "bottom", bold=current))

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
