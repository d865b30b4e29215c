"""A tree model's plane as a panel: its regions coloured by the predicted class shares (or the
predicted value), the splits on the plane's two features drawn as lines inside their cells,
and the rows as dots."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import sequential_pixels
from mlanim.draw.fields import field_colors
from mlanim.draw.frame import Box, Units
from mlanim.draw.theme import Theme, rgb
from mlanim.trees.plane import Plane
from mlanim.trees.structure import LEAF, TreeNodes

Cell = tuple[float, float, float, float]  # x0, x1, y0, y1 as shares of the plane


class PlanePanel:
    """The plane drawn in ``box``: colours, lines and dots placed once."""

    def __init__(self, plane: Plane, box: Box, units: Units, theme: Theme,
                 features: Sequence[str], classes: Sequence[str],
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        self.plane, self.box, self.u, self.t = plane, box, units, theme
        self.features, self.classes, self.value_range = features, classes, value_range
        # a tree's cells and split lines at a depth, kept: every frame at that depth asks
        self._kept: dict[tuple, tuple[TreeNodes, Any]] = {}

    def place(self, rows: np.ndarray) -> np.ndarray:
        """Rows' positions in the frame."""
        x0, y0, w, h = self.box
        share = self.plane.fractions(rows)
        return np.column_stack([x0 + share[:, 0] * w, y0 + share[:, 1] * h])

    def at(self, sx: float, sy: float) -> tuple[float, float]:
        """A point given as shares of the plane, in the frame."""
        x0, y0, w, h = self.box
        return x0 + sx * w, y0 + sy * h

    def frame_shapes(self, heading: str = "") -> list[d.Shape]:
        """The panel, its axis names with their ranges, and a heading above."""
        u, t = self.u, self.t
        x0, y0, w, h = self.box
        (a0, a1), (b0, b1) = self.plane.x_range, self.plane.y_range
        across = f"{self.features[self.plane.features[0]]} {a0:.3g} … {a1:.3g} →"
        up = f"↑ {self.features[self.plane.features[1]]} {b0:.3g} … {b1:.3g}"
        shapes: list[d.Shape] = [
            d.Rect(self.box, t.panel, t.grid, 1.0),
            d.Label((x0 + w, y0 - u.dy("tight")), across, u.fit(across, "tick", w), t.muted,
                    "right", "top")]
        if heading:
            shapes.append(d.Label((x0, y0 + h + u.dy("tight")), heading,
                                  u.fit(heading, "label", w, bold=True), t.text, "left",
                                  "bottom", bold=True))
        else:
            shapes.append(d.Label((x0, y0 + h + u.dy("tight")), up, u.fit(up, "tick", w),
                                  t.muted, "left", "bottom"))
        return shapes

    def regions(self, values: np.ndarray) -> d.Image:
        """The plane coloured by ``values`` on its grid: class shares (res, res, K) mixed from
        the class colours, or values (res, res) on the accent's sequential scale."""
        if values.ndim == 3:
            pixels = field_colors(values, self.t)
        else:
            low, high = self.value_range
            pixels = sequential_pixels((values - low) / ((high - low) or 1.0), self.t.accent,
                                       self.t)
        return d.Image(self.box, np.asarray(pixels)[::-1], smooth=False)

    def dots(self, rows: np.ndarray, labels: np.ndarray, radius: float,
             mask: np.ndarray | None = None, sizes: np.ndarray | None = None) -> list[d.Shape]:
        """Rows as dots coloured by class (or value); ``sizes`` scales each dot's radius."""
        if mask is not None:
            rows, labels = rows[mask], labels[mask]
            sizes = sizes[mask] if sizes is not None else None
        if not len(rows):
            return []
        colors = self.colors(labels)
        centers = self.place(rows)
        index = np.flatnonzero(mask) if mask is not None else np.arange(len(rows))
        hover = np.array([self.row_text(i, label) for i, label in zip(index, labels,
                                                                       strict=True)])
        if sizes is None:
            return [d.Scatter(centers, radius, colors, self.t.background, 0.6,
                              hover=tuple(hover))]
        shapes: list[d.Shape] = []
        for size in np.unique(sizes):
            keep = sizes == size
            shapes.append(d.Scatter(centers[keep], radius * float(size), colors[keep],
                                    self.t.background, 0.6, hover=tuple(hover[keep])))
        return shapes

    def row_text(self, index: int, label: float) -> str:
        """``row 12 · setosa`` (or the row's target value): what a page shows over a dot."""
        target = self.classes[int(label)] if self.classes else f"{float(label):.4g}"
        return f"row {index} · {target}"

    def colors(self, labels: np.ndarray) -> np.ndarray:
        """Each row's colour: its class's, or its value's on the sequential scale."""
        if self.classes:
            palette = np.array([rgb(self.t.class_color(k)) for k in range(len(self.classes))])
            return palette[np.asarray(labels, np.int64)]
        low, high = self.value_range
        return sequential_pixels((np.asarray(labels, float) - low) / ((high - low) or 1.0),
                                 self.t.text, self.t)

    def cut(self, axis: int, value: float, color: str, width: float,
            cell: Cell = (0.0, 1.0, 0.0, 1.0), dashed: bool = False) -> d.Polyline:
        """A split line at ``value`` of the feature on ``axis`` (0 across), inside ``cell``."""
        share = float(np.clip(self.plane.along(axis, value), 0, 1))
        x0, x1, y0, y1 = cell
        ends = ((share, y0), (share, y1)) if axis == 0 else ((x0, share), (x1, share))
        return d.Polyline((self.at(*ends[0]), self.at(*ends[1])), color, width, dashed)

    def _once(self, tree: TreeNodes, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()`` for ``tree`` and ``key``, made once (the tree is kept with it, so its id
        names it while it is kept)."""
        full = (id(tree), *key)
        kept = self._kept.get(full)
        if kept is None or kept[0] is not tree:
            kept = self._kept[full] = (tree, make())
        return kept[1]

    def cells(self, tree: TreeNodes, depth: int) -> dict[int, Cell]:
        """The part of the plane each node up to ``depth`` covers (splits on features off
        the plane leave a child the whole of its parent's cell)."""
        return self._once(tree, ("cells", depth), lambda: self._cells(tree, depth))

    def _cells(self, tree: TreeNodes, depth: int) -> dict[int, Cell]:
        found: dict[int, Cell] = {0: (0.0, 1.0, 0.0, 1.0)}
        for node in np.argsort(tree.depth, kind="stable"):
            node = int(node)
            if tree.depth[node] >= depth or tree.left[node] == LEAF or node not in found:
                continue
            x0, x1, y0, y1 = found[node]
            axis = self.plane.axis_of(int(tree.feature[node]))
            left, right = found[node], found[node]
            if axis is not None:
                s = float(np.clip(self.plane.along(axis, tree.threshold[node]), 0, 1))
                s = min(max(s, (x0, y0)[axis]), (x1, y1)[axis])
                left = (x0, s, y0, y1) if axis == 0 else (x0, x1, y0, s)
                right = (s, x1, y0, y1) if axis == 0 else (x0, x1, s, y1)
            found[int(tree.left[node])], found[int(tree.right[node])] = left, right
        return found

    def partition(self, tree: TreeNodes, depth: int, color: str, width: float = 1.2
                  ) -> list[d.Shape]:
        """The tree's splits on the plane's features up to ``depth``, each inside its cell."""
        return self._once(tree, ("lines", depth, color, width),
                          lambda: self._partition(tree, depth, color, width))

    def _partition(self, tree: TreeNodes, depth: int, color: str, width: float
                   ) -> list[d.Shape]:
        cells = self.cells(tree, depth)
        lines: list[d.Shape] = []
        for node, cell in cells.items():
            axis = self.plane.axis_of(int(tree.feature[node]))
            if tree.left[node] != LEAF and tree.depth[node] < depth and axis is not None:
                lines.append(self.cut(axis, float(tree.threshold[node]), color, width, cell))
        return lines

    def outline(self, cell: Cell, color: str, width: float = 2.2) -> d.Polyline:
        """A cell's edge."""
        x0, x1, y0, y1 = cell
        corners = [self.at(x0, y0), self.at(x1, y0), self.at(x1, y1), self.at(x0, y1),
                   self.at(x0, y0)]
        return d.Polyline(tuple(corners), color, width)
