"""Frames of the tree_growth scene: the plane beside the tree's cards (or a chart), laid out
once; each view composes its frame from the story."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_axes,
    chart_curves,
)
from mlanim.draw.frame import Box, LegendItem
from mlanim.draw.plane_panel import PlanePanel
from mlanim.draw.tree_diagram import TreeDiagram, Words
from mlanim.scenes.tree_growth.forest import ForestViews
from mlanim.scenes.tree_growth.search import SplitSearch
from mlanim.scenes.tree_growth.sentences import TreeSentences
from mlanim.scenes.tree_growth.story import TreeStory

IMAGES_KEPT = 16
"""Plane images a render keeps for the frames after (a forest's vote makes one per count)."""


class TreePicture:
    """The layout of one render; `picture(frame)` composes a frame."""

    def __init__(self, story: TreeStory) -> None:
        self.story, self.f, self.t = story, story.frame, story.theme
        self.sentences = TreeSentences(story)
        self.legend_items = [LegendItem(self.t.class_color(k), name)
                             for k, name in enumerate(story.classes)]
        self.plane_box, self.side, self.legend_at = self._layout()
        values = story.y_train
        self.value_range = ((0.0, 1.0) if story.classify
                            else (float(values.min()), float(values.max())))
        self.panel = PlanePanel(story.plane, self.plane_box, self.f, self.t, story.features,
                                story.classes, self.value_range)
        self.radius = 3.0 * (300 / max(300, len(story.x_train))) ** 0.5
        self.forest = ForestViews(self) if story.forest else None
        if not story.forest:
            words = Words(story.features, story.classes, story.criterion, self.value_range)
            self.diagram = TreeDiagram(story.tree, self.f.inset(self.side, top="row"), self.f,
                                       self.t, words)
            self.search = SplitSearch(self)
        self.background = tuple(self._background())
        self.overlay = tuple(self.points())  # the rows lie over the changing regions
        self._images: OrderedDict[tuple, d.Image] = OrderedDict()

    # -- layout, once ----------------------------------------------------------------------
    @property
    def wide(self) -> bool:
        """Plane and side panel side by side (else stacked)."""
        return self.f.video.width >= self.f.video.height

    def _layout(self) -> tuple[Box, Box, tuple[float, float]]:
        """The plane (with its axis name, the held features' note and the legend under it)
        and the side panel; where the legend's top sits."""
        f = self.f
        body = f.body
        width = body[2] * (0.45 if self.wide else 1.0)
        legend_h = f.legend_height(self.legend_items, width) if self.legend_items else 0.0
        under = f.points_y(legend_h + 2 * f.line("tick")) + f.space("panel")
        if self.wide:
            left, right = f.split(body, [0.45, 0.55], gap="halves")
            plane = f.square(f.inset(left, bottom=under, top="row", left="small"), align="left")
            return plane, right, (left[0], left[1] + legend_h)
        top, bottom = f.split(body, [0.5, 0.5], vertical=True, gap="section")
        plane = f.square(f.inset(top, bottom=under, top="row"))
        return plane, bottom, (0.5, top[1] + legend_h)

    def _background(self) -> list[d.Shape]:
        f, t = self.f, self.t
        shapes: list[d.Shape] = [*f.titles(), *self.panel.frame_shapes()]
        if self.legend_items:
            width = self.side[0] - self.legend_at[0] if self.wide else f.body[2]
            shapes += f.legend(self.legend_items, self.legend_at, width,
                               centered=not self.wide)
        if self.story.held_note:
            x0, y0, w, _ = self.plane_box
            note = self.story.held_note
            if f.width(note, f.size("tick") * 0.7) > w:
                note = self.story.held_short
            shapes.append(d.Label((x0, y0 - f.dy("tight") - f.line("tick")), note,
                                  f.fit(note, "tick", w), t.muted, "left", "top"))
        return shapes

    # -- one frame -------------------------------------------------------------------------
    def picture(self, index: int) -> d.Picture:
        """The picture shown by frame ``index``."""
        story = self.story
        segment = story.segment(index)
        p = segment.progress(index)
        own_dots = segment.view == "bootstrap"
        pic = d.Picture(background=self.background, overlay=() if own_dots else self.overlay)
        if self.forest is not None:
            counter = self.forest.compose(pic, segment.view, p)
        else:
            counter = getattr(self, f"_{segment.view}")(pic, p)
        pic.add(*self.f.counter(counter))
        pic.add(*self.f.caption(self.sentences.caption(segment.view, p)))
        return pic

    def points(self, mask: np.ndarray | None = None) -> list[d.Shape]:
        """The training rows as dots."""
        return self.panel.dots(self.story.x_train, self.story.y_train, self.radius, mask)

    def tree_image(self, member: int) -> d.Image:
        """Tree ``member`` of a forest alone on the plane."""
        return self._kept(("member", member),
                          lambda: self.panel.regions(self.story.tree_regions(member)))

    def regions(self, depth: int | None = None, trees: int | None = None) -> d.Image:
        """The plane's colours for the tree cut at ``depth`` or the first ``trees`` trees."""
        return self._kept((depth, trees),
                          lambda: self.panel.regions(self.story.regions(depth, trees)))

    def _kept(self, key: tuple, make) -> d.Image:
        """The image ``make`` draws, kept for the next frames (the latest `IMAGES_KEPT`):
        frames showing the same state hand the painter the same image, resized once."""
        if key not in self._images:
            self._images[key] = make()
            if len(self._images) > IMAGES_KEPT:
                self._images.popitem(last=False)
        self._images.move_to_end(key)
        return self._images[key]

    def _split(self, pic: d.Picture, p: float) -> str:
        return self.search.compose(pic, p)

    def _grow(self, pic: d.Picture, p: float) -> str:
        story = self.story
        depth = story.depth_at(p)
        pic.add(self.regions(depth=depth))
        pic.add(*self.panel.partition(story.tree, depth, self.t.text))
        pic.add(*self._diagram_heading())
        pic.add(*self.diagram.shapes(depth))
        return f"depth {depth} / {story.tree.max_depth}"

    def _diagram_heading(self) -> list[d.Shape]:
        x, y, w, h = self.side
        text = "the tree · a row goes left when the rule holds"
        return [d.Label((x, y + h), text, self.f.fit(text, "label", w), self.t.muted, "left",
                        "top")]

    def _path(self, pic: d.Picture, p: float) -> str:
        story, t = self.story, self.t
        tree, path = story.tree, story.path()
        reached = story.reached(p)
        pic.add(self.regions())
        pic.add(*self.panel.partition(tree, tree.max_depth, t.text, 0.8))
        cells = self.panel.cells(tree, tree.max_depth)
        pic.add(self.panel.outline(cells[reached[-1]], t.accent))
        row = story.x_train[story.sample: story.sample + 1]
        pic.add(d.Circle(tuple(self.panel.place(row)[0]), self.radius * 2.4, None,
                         t.accent, 2.4))
        notes = {node: self._answer(node, after, row[0])
                 for node, after in zip(reached[:-1], path[1:], strict=False)}
        pic.add(*self._diagram_heading())
        pic.add(*self.diagram.shapes(tree.max_depth, reached, notes))
        return f"row {story.sample}"

    def _answer(self, node: int, after: int, row: np.ndarray) -> str:
        """``5.1: yes``: the row's own value at ``node``'s rule, and where it went."""
        tree = self.story.tree
        value = float(row[tree.feature[node]])
        return f"{value:.3g}: {'yes' if after == tree.left[node] else 'no'}"

    def _depth(self, pic: d.Picture, p: float) -> str:
        story, f, t = self.story, self.f, self.t
        curve = story.depth_curve
        pic.add(self.regions())
        pic.add(*self.panel.partition(story.tree, story.tree.max_depth, t.text, 0.8))
        box = self.f.inset(self.side, left="column", top="row",
                           bottom=self.f.points_y(axes_room(self.f)[1]))
        percent = story.classify
        series = [Series("train", curve.train, t.train, percent=percent),
                  Series("held out", curve.held_out, t.val, dashed=True, percent=percent)]
        top = float(max(curve.train.max(), curve.held_out.max()) * 1.15) or 1.0
        depths = curve.depths.astype(float)
        pic.add(*chart_axes(f, box, "tree depth", top, percent,
                            (float(depths[0]), float(depths[-1]))))
        now = float(depths[0] + p * (depths[-1] - depths[0]))
        pic.add(*chart_curves(f, box, depths, series, now, top,
                              "error" if percent else "squared error"))
        if p >= 0.7:
            for best in story.best_depths():
                share = (best - depths[0]) / max(depths[-1] - depths[0], 1)
                bx, by, bw, bh = box
                pic.add(d.Line((bx + bw * share, by), (bx + bw * share, by + bh), t.accent,
                               1.4))
        return f"depth {story.tree.max_depth} / {story.tree.max_depth}"
