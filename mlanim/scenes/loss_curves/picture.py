"""One frame of the loss-curves scene: a loss chart (and an accuracy chart for classifiers),
each run's mean with its band, the early-stopping epoch and the overfitting stretch marked."""

from __future__ import annotations

from mlanim.draw import display as d
from mlanim.draw.charts import (
    Series,
    axes_room,
    chart_band,
    chart_curves,
    scaled_axes,
    value_row_height,
    value_scale,
)
from mlanim.draw.frame import Box, LegendItem
from mlanim.scenes.loss_curves.story import CurvesStory

METRICS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_acc", "val_acc")}


class CurvesPicture:
    """Lays the charts out once; `picture(frame)` composes each frame."""

    def __init__(self, story: CurvesStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        shown = ["loss"] + (["accuracy"] if story.spec.show.accuracy and
                            "train_acc" in story.runs else [])
        items = [LegendItem(self.t.train, "training", "line")] + (
            [LegendItem(self.t.val, "validation", "dash")] if "val_loss" in story.bands else [])
        x, y, w, h = self.f.body
        legend_h = self.f.legend_height(items, w)
        room_x, room_y = axes_room(self.f)
        area = (x, y, w, h - legend_h - self.f.dy("pad"))
        parts = self.f.split(area, [1] * len(shown), vertical=story.video.portrait, gap="band")
        self.charts: dict[str, Box] = {
            name: (bx + room_x, by + room_y, bw - room_x,
                   bh - room_y - value_row_height(self.f) - self.f.dy("small"))
            for name, (bx, by, bw, bh) in zip(shown, parts, strict=True)}
        self.scales = {name: value_scale(
            [Series("", values, "", percent=name == "accuracy")
             for key in METRICS[name] if key in story.bands
             for values in (story.bands[key].low, story.bands[key].high)],
            1.0 if name == "accuracy" else None)
            for name in shown}
        self.background = tuple([*self.f.titles(), *self.f.legend(items, (x, y + h), w),
                                 *(a for name, box in self.charts.items()
                                   for a in scaled_axes(self.f, box, story.unit,
                                                        self.scales[name], name == "accuracy",
                                                        (float(story.epochs[0]),
                                                         float(story.epochs[-1]))))])

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        s = self.s
        epoch = s.epoch_at(frame)
        pic = d.Picture(background=self.background)
        total = f"{s.epochs[-1]:g}"
        pic.add(*self.f.counter(f"{s.unit} {epoch:.0f} / {total}"))
        for name, box in self.charts.items():
            self._markers(pic, name, box, epoch)
            self._chart(pic, name, box, epoch)
        pic.add(*self.f.caption(s.caption(frame)))
        return pic

    def _chart(self, pic: d.Picture, name: str, box: Box, epoch: float) -> None:
        s, t = self.s, self.t
        series = []
        for key, color, label in zip(METRICS[name], (t.train, t.val), ("train", "val"),
                                     strict=True):
            if key not in s.bands:
                continue  # a run recorded elsewhere without held-out numbers
            band = s.bands[key]
            if s.seeds > 1:
                pic.add(*chart_band(self.f, box, s.epochs, band.low, band.high, epoch,
                                    self.scales[name], color))
            series.append(Series(label, band.mean, color, dashed=label == "val",
                                 percent=name == "accuracy"))
        scale = self.scales[name]
        pic.add(*chart_curves(self.f, box, s.epochs, series, epoch, scale.top, name,
                              scale.bottom, scale.log))

    def _markers(self, pic: d.Picture, name: str, box: Box, epoch: float) -> None:
        """The overfitting stretch shaded and the early-stopping epoch as a line, once the
        sweep reaches them."""
        s, t, f = self.s, self.t, self.f
        x0, y0, w, h = box
        first, span = float(s.epochs[0]), float(s.epochs[-1] - s.epochs[0]) or 1.0
        where = lambda e: x0 + w * (e - first) / span  # noqa: E731
        if s.onset is not None and epoch >= s.epochs[s.onset]:
            start = where(float(s.epochs[s.onset]))
            end = where(epoch)
            pic.add(d.Polygon(((start, y0), (end, y0), (end, y0 + h), (start, y0 + h)),
                              t.negative, 0.10))
            if name == "loss":
                pic.add(d.Label((start + f.dx("small"), y0 + h - f.dy("small")), "overfitting",
                                f.size("value"), t.negative, "left", "top"))
        if s.best is not None and epoch >= s.epochs[s.best]:
            x = where(float(s.epochs[s.best]))
            pic.add(d.Polyline(((x, y0), (x, y0 + h)), t.accent, 1.2, dashed=True))
            if name == "loss":
                text = f"early stopping: {s.unit} {s.epochs[s.best]:g}"
                right = x + f.dx("small") + f.width(text, "value") < x0 + w
                pic.add(d.Label((x + f.dx("small") * (1 if right else -1), y0 + h * 0.55), text,
                                f.size("value"), t.accent, "left" if right else "right"))
