"""Frames of the boosting_stages scene: the prediction (a probability map, a value map, or a
curve with residual stems) beside the stage's trees, the probe's running sum and the loss
chart, laid out once."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_axes,
    chart_curves,
    value_row_height,
)
from mlanim.draw.frame import Box, LegendItem
from mlanim.draw.tree_diagram import TreeDiagram, Words, clip
from mlanim.scenes.boosting_stages.prediction import Prediction
from mlanim.scenes.boosting_stages.story import BoostingStory

TREES_DRAWN = 3
"""Trees of one stage drawn side by side (more classes: the rest are said)."""


class BoostingPicture:
    """The layout of one render; `picture(frame)` composes a frame."""

    def __init__(self, story: BoostingStory) -> None:
        self.story, self.f, self.t = story, story.frame, story.theme
        self.legend_items = [LegendItem(self.t.class_color(k), name, "ring")
                             for k, name in enumerate(story.classes)]
        if not story.curve_mode:  # the dots' fill: what the next tree fits
            what = "y − p" if story.classify else "y − ŷ"
            self.legend_items += [LegendItem(self.t.positive, f"{what} > 0"),
                                  LegendItem(self.t.negative, f"{what} < 0")]
        self.main, self.side = self._layout()
        trees_box, self.equation_box, self.chart = self._side_boxes()
        y = story.y_train
        self.value_range = ((0.0, 1.0) if story.classify
                            else (float(y.min()), float(y.max())))
        self.prediction = Prediction(story, self.main, self.value_range,
                                     3.0 * (300 / max(300, len(y))) ** 0.5)
        self.diagrams = self._diagrams(trees_box)
        self.background = tuple(self._background())
        self.overlay = tuple(self.prediction.rings())

    # -- layout, once ----------------------------------------------------------------------
    def _layout(self) -> tuple[Box, Box]:
        f = self.f
        legend_h = f.legend_height(self.legend_items, f.body[2]) if self.legend_items else 0.0
        room = f.points_y(legend_h) + f.space("panel")
        if f.video.width >= f.video.height:
            left, right = f.split(f.body, [0.45, 0.55], gap="halves")
            main = f.inset(left, bottom=room, top="row", left="column")
            return (f.square(main, align="left", widest=1.4) if self.story.curve_mode
                    else f.square(main, align="left")), right
        top, bottom = f.split(f.body, [0.45, 0.55], vertical=True, gap="section")
        main = f.inset(top, bottom=room, top="row", left="column")
        return f.square(main, widest=1.6 if self.story.curve_mode else 1.0), bottom

    def _side_boxes(self) -> tuple[Box, Box, Box]:
        f = self.f
        trees, rest = f.split(self.side, [0.5, 0.5], vertical=True, gap="section")
        equation_h = 2 * f.line("label") + f.dy("small")
        x, y, w, h = rest
        equation = (x, y + h - equation_h, w, equation_h)
        chart = f.inset((x, y, w, h - equation_h), left="column",
                        bottom=f.points_y(axes_room(f)[1]),
                        top=f.points_y(value_row_height(f)) + f.space("small"))
        return f.inset(trees, top="row"), equation, chart

    def _diagrams(self, box: Box) -> list[list[TreeDiagram]]:
        """Each stage's trees placed side by side (one a class, up to `TREES_DRAWN`)."""
        story = self.story
        e = story.ensemble
        drawn = min(e.per_stage, TREES_DRAWN)
        boxes = self.f.split(box, [1] * drawn, gap="panels")
        leaves = np.concatenate([t.value[t.left < 0, 0] for t in e.trees])
        words = Words(story.features, (), "mse", (float(leaves.min()), float(leaves.max())),
                      rate=e.learning_rate)
        return [[TreeDiagram(e.trees[s * e.per_stage + k], boxes[k], self.f, self.t, words)
                 for k in range(drawn)] for s in range(e.stages)]

    def _background(self) -> list[d.Shape]:
        f, _t = self.f, self.t
        shapes: list[d.Shape] = [*f.titles()]
        shapes += self.prediction.frame_shapes()
        if self.legend_items:
            x0, y0, _, _ = self.main
            wide = f.video.width >= f.video.height
            at = (x0 - f.dx("column"), y0 - f.dy("section")) if wide else (0.5, y0 -
                                                                            f.dy("section"))
            width = self.side[0] - at[0] if wide else f.body[2]
            shapes += f.legend(self.legend_items, at, width, centered=not wide)
        chart = self.chart
        stages = float(self.story.ensemble.stages)
        top = self._loss_top()
        shapes += chart_axes(f, chart, "stage", top, False, (0.0, stages))
        return shapes

    def _loss_top(self) -> float:
        losses = [self.story.train_loss] + ([self.story.val_loss]
                                            if self.story.val_loss is not None else [])
        return float(max(np.nanmax(loss) for loss in losses) * 1.1) or 1.0

    # -- one frame -------------------------------------------------------------------------
    def picture(self, index: int) -> d.Picture:
        """The picture shown by frame ``index``."""
        story = self.story
        segment = story.segment(index)
        p = segment.progress(index)
        stage = story.stage_at(segment.view, p)
        pic = d.Picture(background=self.background, overlay=self.overlay)
        pic.add(*self.prediction.shapes(stage))
        self._trees(pic, stage)
        self._equation(pic, stage, segment.view == "sum")
        self._losses(pic, stage, segment.view == "loss")
        pic.add(*self.f.counter(f"stage {stage} / {story.ensemble.stages}"))
        pic.add(*self.f.caption(story.caption(segment.view, p)))
        return pic

    def _trees(self, pic: d.Picture, stage: int) -> None:
        story, f, t = self.story, self.f, self.t
        x, y, w, h = self.side
        e = story.ensemble
        if stage == 0:
            text = "no tree yet: the prior alone"
        else:
            more = e.per_stage - TREES_DRAWN
            trees = ("this stage's tree" if e.per_stage == 1 else
                     f"this stage's {e.per_stage} trees, one a class"
                     + (f" ({more} more not drawn)" if more > 0 else ""))
            text = trees + " · leaf values before × learning rate"
            if f.width(text, f.size("label") * 0.7) > w:  # a narrow side: the short form
                text = trees
            for diagram in self.diagrams[stage - 1]:
                pic.add(*diagram.shapes(diagram.tree.max_depth))
        size = f.fit(text, "label", w)
        pic.add(d.Label((x, y + h), clip(f, text, size, w), size, t.muted, "left", "top"))

    def _equation(self, pic: d.Picture, stage: int, large: bool) -> None:
        story, f, t = self.story, self.f, self.t
        x, y, w, h = self.equation_box
        role = "heading" if large else "label"
        text = story.equation(stage)
        for most in (2, 1, 0):
            if f.width(text, f.size(role) * 0.75, bold=large) <= w:
                break
            text = story.equation(stage, most)
        size = f.fit(text, role, w, bold=large, smallest=0.6)
        heading = " · ".join(part for part in (f"row {story.probe}'s running sum",
                                                story.probability(stage)) if part)
        pic.add(d.Label((x, y + h), heading, f.size("tick"), t.muted, "left", "top"),
                d.Label((x, y), text, size, t.accent if large else t.text, "left", "bottom",
                        bold=large))

    def _losses(self, pic: d.Picture, stage: int, marked: bool) -> None:
        story, f, t = self.story, self.f, self.t
        stages = np.arange(len(story.train_loss), dtype=float)
        series = [Series("train", story.train_loss, t.train)]
        if story.val_loss is not None:
            series.append(Series("held out", story.val_loss, t.val, dashed=True))
        name = "log loss" if story.classify else "squared error"
        top = self._loss_top()
        pic.add(*chart_curves(f, self.chart, stages, series, float(stage), top, name))
        if marked:
            bx, by, bw, bh = self.chart
            for best in story.best_stages():
                share = best / max(stages[-1], 1)
                pic.add(d.Line((bx + bw * share, by), (bx + bw * share, by + bh), t.accent,
                               1.4))
