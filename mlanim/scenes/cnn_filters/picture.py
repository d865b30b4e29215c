"""Frames of the cnn_filters scene as backend-neutral pictures, a view a module.

Maps are drawn as cells on a symmetric diverging scale (zero is the panel colour); numbers are
written in cells only where they are legible. Every value is the recorded one or the story's
arithmetic on recorded weights.
"""

from __future__ import annotations

from mlanim.draw import display as d
from mlanim.scenes.cnn_filters.canvas import Canvas
from mlanim.scenes.cnn_filters.convolution import Convolution
from mlanim.scenes.cnn_filters.flatten import Flatten
from mlanim.scenes.cnn_filters.mistake import Mistake
from mlanim.scenes.cnn_filters.pooling import Pool
from mlanim.scenes.cnn_filters.story import CnnStory
from mlanim.scenes.cnn_filters.summing import Sum
from mlanim.scenes.cnn_filters.training import Training

VIEWS: dict[str, type[Canvas]] = {"convolution": Convolution, "sum": Sum, "pool": Pool,
                                  "flatten": Flatten, "training": Training, "mistake": Mistake}
"""Each view's name in ``views:`` and the class that draws it."""


class CnnPicture:
    """Lays out the frame once; `picture(frame)` composes each frame's view."""

    def __init__(self, story: CnnStory) -> None:
        self.s, self.f = story, story.frame
        self.background = tuple(self.f.titles())
        self.views: dict[str, Canvas] = {}

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        seg = self.s.segment(frame)
        pic = d.Picture(background=self.background)
        if seg.view not in self.views:
            self.views[seg.view] = VIEWS[seg.view](self.s)
        snapshot, caption = self.views[seg.view].draw(pic, seg.progress(frame))
        epoch = f"{self.s.epochs[snapshot]:g}"
        accuracy = self.s.metric("val_acc", snapshot)
        pic.add(*self.f.counter(f"epoch {epoch} / {self.s.epochs[-1]:g}",
                                f"held-out accuracy {accuracy:.0%}"))
        pic.add(*self.f.caption(caption))
        return pic
