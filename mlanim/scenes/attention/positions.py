"""The ``positions`` view: the sinusoidal position encoding each token gets, before training."""

from __future__ import annotations

from mlanim.draw import display as d
from mlanim.draw.charts import cell_center, diverging_pixels
from mlanim.scenes.attention.view import View


class Positions(View):
    """The position table, a row a position, of the model before training."""

    def _position(self) -> float:
        return 0.0  # the model before training: positions are fixed

    def draw(self) -> None:
        """The table with a label a row."""
        self._positions()

    def caption(self) -> str:
        """Why positions are added."""
        return ("Attention itself ignores order: each position adds its own pattern of "
                "sines and cosines to the token")

    def _positions(self) -> None:
        s, t, f = self.s, self.t, self.s.frame
        table = s.positions  # (T, C)
        x0, y0, w, h = self.areas.full
        size = self._token_points() - 1
        labels = [f"position {i} · {s.tokens[i]}" for i in range(s.length)]
        margin = max(f.width(label, size) for label in labels) + f.dx("pad")
        heading = "sinusoidal position encoding added to each token's embedding (−1 to 1)"
        heading_size = f.fit(heading, "heading", w)
        room = f.line(heading_size) + f.line("tick") + f.dy("pad")
        cell_h = min((h - room) / s.length, f.dy("band"))
        box_h = cell_h * s.length
        box = (x0 + margin, y0 + (h - box_h) / 2, w - margin, box_h)
        self.pic.add(d.Image(box, diverging_pixels(table, t, 1.0)),
                     d.Rect(box, None, t.grid, 1.0))
        for i, label in enumerate(labels):
            _, y = cell_center(box, table.shape, i, 0)
            self.pic.add(d.Label((box[0] - f.dx("gap"), y), label, size, t.text, "right"))
        bx, by, bw, bh = box
        self.pic.add(d.Label((x0, by + bh + f.dy("small")), heading, heading_size, t.text, "left",
                             "bottom"),
                     d.Label((bx + bw, by - f.dy("tight")), f"dimension 0 … {table.shape[1] - 1}",
                             f.size("tick"), t.muted, "right", "top"))
