"""The forest's views: a few trees, each beside the rows its bootstrap drew (dots sized by how
often a row was drawn, the out-of-bag rows as grey rings) and its own regions; then the
trees' averaged vote as trees are added, with the out-of-bag error."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, axes_room, chart_axes, chart_curves
from mlanim.draw.frame import Box
from mlanim.draw.plane_panel import PlanePanel
from mlanim.scenes.tree_growth.layout import Layout


class ForestViews:
    """Thumbnails of the first trees and the out-of-bag chart, laid out beside the plane."""

    def __init__(self, owner: Layout) -> None:
        self.o, self.story, self.f, self.t = owner, owner.story, owner.f, owner.t
        self.thumbs = self._thumbnails()
        self.chart = self.f.inset(owner.side, left="column", top="row",
                                  bottom=self.f.points_y(axes_room(self.f)[1]))
        self.shares = [float(np.mean(counts > 0)) for counts in self.story.bootstrap]
        self._thumb_images: dict[int, d.Image] = {}

    def _thumbnails(self) -> list[PlanePanel]:
        count = len(self.story.bootstrap)
        columns = 2 if count > 1 else 1
        rows = -(-count // columns)
        room = self.f.inset(self.o.side, top="row")
        lines = self.f.split(room, [1] * rows, vertical=True, gap="panels")
        boxes: list[Box] = []
        for line in lines:
            for cell in self.f.split(line, [1] * columns, gap="panels"):
                boxes.append(self.f.square(self.f.inset(cell, bottom="tight", top="row")))
        return [PlanePanel(self.story.plane, box, self.f, self.t, self.story.features,
                           self.story.classes, self.o.value_range) for box in boxes[:count]]

    def thumb_image(self, member: int) -> d.Image:
        """Tree ``member``'s own regions in its thumbnail (made once)."""
        if member not in self._thumb_images:
            self._thumb_images[member] = self.thumbs[member].regions(
                self.story.tree_regions(member))
        return self._thumb_images[member]

    def compose(self, pic: d.Picture, view: str, p: float) -> str:
        """Add ``view`` at progress ``p``; the counter's text."""
        return self._bootstrap(pic, p) if view == "bootstrap" else self._vote(pic, p)

    def _bootstrap(self, pic: d.Picture, p: float) -> str:
        story, t = self.story, self.t
        member = story.member_at(p)
        counts = story.bootstrap[member]
        pic.add(self.o.tree_image(member))
        out = counts == 0
        pic.add(d.Scatter(self.o.panel.place(story.x_train[out]), self.o.radius, None,
                          t.muted, 1.0))
        sizes = np.sqrt(np.minimum(counts, 4)).astype(float)
        pic.add(*self.o.panel.dots(story.x_train, story.y_train, self.o.radius, ~out, sizes))
        for k, thumb in enumerate(self.thumbs[: member + 1]):
            heading = f"tree {k + 1} · saw {self.shares[k]:.0%} of rows"
            panel, _, title = thumb.frame_shapes(heading)
            pic.add(panel, title, self.thumb_image(k))
            pic.add(*thumb.partition(story.ensemble.trees[k], 99, t.text, 0.6))
            if k == member:
                pic.add(d.Rect(thumb.box, None, t.accent, 2.0))
        return f"tree {member + 1} / {story.ensemble.stages}"

    def _vote(self, pic: d.Picture, p: float) -> str:
        story, f, t = self.story, self.f, self.t
        count = story.trees_at(p)
        pic.add(self.o.regions(trees=count))
        error = story.oob_error
        trees = np.arange(1, len(error) + 1, dtype=float)
        finite = np.isfinite(error)
        top = float(np.nanmax(error) * 1.15) if finite.any() else 1.0
        percent = story.classify
        pic.add(*chart_axes(f, self.chart, "trees", top or 1.0, percent,
                            (1.0, float(len(error)))))
        series = [Series("out of bag", np.where(finite, error, top), t.val, percent=percent)]
        pic.add(*chart_curves(f, self.chart, trees, series, float(count), top or 1.0,
                              "out-of-bag error" if percent else "out-of-bag squared error"))
        return f"tree {count} / {story.ensemble.stages}"
