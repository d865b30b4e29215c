"""The boosting_stages scene's main panel: what the ensemble predicts after a stage. A
probability map (or value map) with each row's residual as its fill and its class as a ring,
or, for a one-feature regression, the prediction curve with a stem from it to every target."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import diverging_pixels
from mlanim.draw.frame import Box
from mlanim.draw.plane_panel import PlanePanel
from mlanim.draw.theme import rgb
from mlanim.scenes.boosting_stages.story import BoostingStory


class Prediction:
    """The panel in ``main``, laid out once; `shapes(stage)` draws a stage."""

    def __init__(self, story: BoostingStory, main: Box, value_range: tuple[float, float],
                 radius: float) -> None:
        self.story, self.f, self.t = story, story.frame, story.theme
        self.main, self.value_range, self.radius = main, value_range, radius
        self.panel = None if story.curve_mode else PlanePanel(
            story.plane, main, self.f, self.t, story.features, story.classes, value_range)
        if self.panel is not None:
            self.rows = self.panel.place(story.x_train)
            # residuals on one scale for the whole video: classes' y - p, else the prior's
            self.residual_scale = 1.0 if story.classify else float(
                np.abs(story.residuals(0)).max()) or 1.0

    def frame_shapes(self) -> list[d.Shape]:
        """The panel and its axis names (the same in every frame)."""
        return self.panel.frame_shapes() if self.panel is not None else self._curve_axes()

    def shapes(self, stage: int) -> list[d.Shape]:
        """What the ensemble predicts after ``stage`` stages."""
        pic = d.Picture()
        if self.panel is None:
            self._curve(pic, stage)
        else:
            self._plane(pic, stage)
        return pic.shapes

    def _curve_axes(self) -> list[d.Shape]:
        """A regression curve's panel and axis names."""
        f, t, story = self.f, self.t, self.story
        x0, y0, w, h = self.main
        xs = story.curve_x[:, 0]
        across = f"{story.features[0]} {xs[0]:.3g} … {xs[-1]:.3g} →"
        low, high = self.value_range
        up = f"↑ target {low:.4g} … {high:.4g}"
        return [d.Rect(self.main, t.panel, t.grid, 1.0),
                d.Label((x0 + w, y0 - f.dy("tight")), across, f.fit(across, "tick", w),
                        t.muted, "right", "top"),
                d.Label((x0, y0 + h + f.dy("tight")), up, f.fit(up, "tick", w), t.muted,
                        "left", "bottom")]

    def _plane(self, pic: d.Picture, stage: int) -> None:
        """The probability (or value) map, each row's residual as its fill, the probe."""
        story, t = self.story, self.t
        res = story.plane.resolution
        values = story.prediction(stage)
        shaped = values.reshape(res, res, -1) if story.classify else values.reshape(res, res)
        pic.add(self.panel.regions(shaped))
        fill = diverging_pixels(story.residuals(stage), t, self.residual_scale)
        pic.add(d.Scatter(self.rows, self.radius * 0.8, fill, None, 0.0))
        pic.add(d.Circle(tuple(self.rows[story.probe]), self.radius * 2.6, None, t.accent, 2.2))

    def rings(self) -> list[d.Shape]:
        """Each row's class as a ring around its residual (the same in every frame)."""
        story = self.story
        if self.panel is None or not story.classify:
            return []
        labels = story.y_train.astype(int)
        return [d.Scatter(self.rows[labels == k], self.radius * 1.1, None,
                          self.t.class_color(k), 1.6) for k in np.unique(labels)]

    def _curve(self, pic: d.Picture, stage: int) -> None:
        """The prediction curve (the last stage's dashed), residual stems, the probe."""
        story, t = self.story, self.t
        x0, y0, w, h = self.main
        low, high = self.value_range
        xs = story.curve_x[:, 0]
        x_low, x_high = float(xs[0]), float(xs[-1])

        def at(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.column_stack([x0 + w * (x - x_low) / (x_high - x_low),
                                    y0 + h * np.clip((y - low) / ((high - low) or 1), 0, 1)])
        predicted = story.prediction(stage, "rows")
        rows = at(story.x_train[:, 0], story.y_train)
        heads = at(story.x_train[:, 0], predicted)
        for a, b in zip(rows, heads, strict=True):
            pic.add(d.Line(tuple(a), tuple(b), t.muted, 0.7))
        pic.add(d.Scatter(rows, self.radius, np.tile(rgb(t.text), (len(rows), 1)), None, 0.0))
        if stage > 0:
            before = at(xs, story.prediction(stage - 1))
            pic.add(d.Polyline(tuple(map(tuple, before)), t.muted, 1.4, dashed=True))
        pic.add(d.Polyline(tuple(map(tuple, at(xs, story.prediction(stage)))), t.accent, 2.4))
        pic.add(d.Circle(tuple(rows[story.probe]), self.radius * 2.6, None, t.accent, 2.2))

