"""The ``mistake`` view: a held-out image the trained network gets wrong, and why."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.scenes.cnn_filters.canvas import Canvas


class Mistake(Canvas):
    """A held-out image the trained network gets wrong."""

    def draw(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s = self.s
        m = s.mistake
        label, predicted = int(m["label"].ravel()[0]), int(m["predicted"].ravel()[0])
        boxes = self._columns([1, 1, 0.9], gap="columns")
        isq = self._square_under_heading(boxes[0])
        image = m["image"].astype(float)
        self._matrix(pic, isq, image, 1.0, numbers=False, pixels=self._image_pixels(image))
        self._heading(pic, isq, f"labelled {s.classes[label]}")
        sal = m["saliency"].astype(float)
        ssq = self._square_under_heading((boxes[1][0], boxes[1][1],
                                          boxes[1][2] - self._colorbar_room(3), boxes[1][3]))
        scale = float(np.abs(sal).max()) or 1.0
        if progress >= 0.25:
            self._matrix(pic, ssq, sal, scale, numbers=False)
            self._colorbar(pic, (ssq[0] + ssq[2] + self.f.dx("pad"), ssq[1], self.f.dx("pad"),
                                 ssq[3]), scale, 3)
        self._heading(pic, ssq, f"∂ score({s.classes[predicted]}) / ∂ pixel")
        probs = m["probs"].astype(float)
        self._bars(pic, boxes[2], probs, "softmax", signed=False, best=predicted)
        if label == predicted:
            caption = (f"The network gets every held-out image right; its least certain one "
                       f"is this {s.classes[label]} ({probs[predicted]:.0%}).")
        else:
            caption = (f"A mistake: this {s.classes[label]} is read as a "
                       f"{s.classes[predicted]} ({probs[predicted]:.0%}). The saliency shows "
                       f"which pixels would raise the {s.classes[predicted]} score (positive) "
                       "or lower it (negative).")
        return self.final, caption
