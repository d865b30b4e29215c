"""The tree_growth scene's first view: the root's split search. For each feature searched, a
line sweeps the candidate thresholds on the plane while a chart draws the impurity decrease at
each (as scikit-learn computes it); then the threshold scikit-learn chose."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import axes_room, chart_axes, value_row_height
from mlanim.draw.frame import Box
from mlanim.draw.tree_diagram import rule
from mlanim.scenes.tree_growth.layout import Layout


class SplitSearch:
    """The search's charts, stacked beside the plane, laid out once."""

    def __init__(self, owner: Layout) -> None:
        self.o, self.story, self.f, self.t = owner, owner.story, owner.f, owner.t
        self.charts = self._boxes()

    def _boxes(self) -> list[Box]:
        """The split view's charts (one a searched feature), stacked."""
        count = len(self.story.searched())
        room = self.f.inset(self.o.side, left="column", top="small",
                            bottom=self.f.points_y(axes_room(self.f)[1]))
        gap = self.f.space("block") + self.f.points_y(value_row_height(self.f))
        boxes = self.f.split(room, [1] * count, vertical=True, gap=gap)
        return [(x, y, w, h - value_row_height(self.f)) for x, y, w, h in boxes]

    def compose(self, pic: d.Picture, p: float) -> str:
        """The search at progress ``p``: curves drawn up to the sweep, then the split chosen;
        the counter's text."""
        story, f, t = self.story, self.f, self.t
        pic.add(self.o.regions(depth=0))
        searched = story.searched()
        curves = {c.feature: c for c in story.root_curves}
        top = max((float(curves[j].decrease.max(initial=0)) for j in searched), default=1.0)
        top = top * 1.15 or 1.0
        sweep = min(p / 0.8, 1.0) * len(searched)
        for k, (feature, box) in enumerate(zip(searched, self.charts, strict=True)):
            curve = curves[feature]
            low, high = self._range(feature)
            pic.add(*chart_axes(f, box, f"{story.features[feature]} threshold", top,
                                x_range=(low, high)))
            reach = float(np.clip(sweep - k, 0, 1))
            if reach <= 0 or not len(curve.thresholds):
                continue
            share = (curve.thresholds - low) / (high - low)
            shown = share <= reach
            bx, by, bw, bh = box
            points = tuple(zip(bx + bw * share[shown],
                               by + bh * np.clip(curve.decrease[shown] / top, 0, 1),
                               strict=True))
            if len(points) > 1:
                pic.add(d.Polyline(points, t.accent, 1.8))
            heading = f"{story.criterion} decrease · {story.features[feature]}"
            pic.add(d.Label((bx, by + bh + f.dy("tight")), heading,
                            f.fit(heading, "label", bw), t.text, "left", "bottom"))
            if reach < 1:
                at = low + (high - low) * reach
                pic.add(d.Line((bx + bw * reach, by), (bx + bw * reach, by + bh), t.muted, 1.0))
                axis = story.plane.axis_of(feature)
                if axis is not None:
                    pic.add(self.o.panel.cut(axis, at, t.muted, 1.2, dashed=True))
        if p >= 0.8:
            self._chosen_split(pic, searched, curves, top)
        return "depth 0 / " + str(story.tree.max_depth)

    def _range(self, feature: int) -> tuple[float, float]:
        axis = self.story.plane.axis_of(feature)
        if axis is not None:
            return (self.story.plane.x_range, self.story.plane.y_range)[axis]
        values = self.story.x_train[:, feature]
        return float(values.min()), float(values.max()) or 1.0

    def _chosen_split(self, pic: d.Picture, searched: list[int], curves: dict, top: float
                      ) -> None:
        story, f, t = self.story, self.f, self.t
        tree = story.tree
        if tree.left[0] < 0:
            return
        feature, threshold = int(tree.feature[0]), float(tree.threshold[0])
        box = self.charts[searched.index(feature)]
        low, high = self._range(feature)
        share = (threshold - low) / (high - low)
        gain = float(np.interp(threshold, curves[feature].thresholds, curves[feature].decrease))
        bx, by, bw, bh = box
        at = (bx + bw * share, by + bh * min(gain / top, 1.0))
        pic.add(d.Circle(at, self.o.radius * 1.6, t.text, t.background))
        text = f"{rule(tree, 0, story.features)}"
        pic.add(d.Label((at[0], at[1] + f.dy("tight")), text, f.fit(text, "label", bw),
                        t.text, "center" if 0.2 < share < 0.8 else
                        ("left" if share <= 0.2 else "right"), "bottom", bold=True))
        axis = story.plane.axis_of(feature)
        if axis is not None:
            pic.add(self.o.panel.cut(axis, threshold, t.text, 2.2))

