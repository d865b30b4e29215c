"""A frame whose picture equals the one before is not painted again: pictures compare by
every field, arrays by value (shapes leave them out of ``==``), and a frame shown again is
the same pixels."""

from __future__ import annotations

import numpy as np
import pytest

from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.scenes.picture_scene import PictureFrames


def picture(centers=((0.3, 0.4), (0.6, 0.5)), pixels_value=0.5, last_point=(0.9, 0.8),
            flat_end=(0.5, 0.5)) -> d.Picture:
    """A picture with a shape of each kind that holds arrays or nested shapes."""
    view = d.View3D((0.1, 0.1, 0.3, 0.3), ((0, 1), (0, 1), (0, 1)), ("x", "y", "z"), 30, 20,
                    flat=(d.Line((0.1, 0.1), flat_end, "#ffffff", 1.0),))
    return d.Picture(
        [d.Polyline(((0.1, 0.1), (0.5, 0.2), last_point), "#4ea8de", 2.0),
         d.Scatter(np.array(centers), 4.0, np.array([[1, 0, 0], [0, 1, 0]], float)),
         d.Image((0.6, 0.1, 0.2, 0.2), np.full((4, 4, 3), pixels_value)),
         view, d.Label((0.5, 0.95), "epoch 3 / 10", 14, "#ffffff")],
        background=(d.Rect((0, 0, 1, 1), "#101010"),))


def test_equal_pictures_are_the_same():
    assert d.same_picture(picture(), picture())


@pytest.mark.parametrize("changed", [
    {"centers": ((0.3, 0.4), (0.6, 0.51))},   # an array field ``==`` ignores
    {"pixels_value": 0.51},                    # an image's pixels
    {"last_point": (0.9, 0.81)},               # a point deep in a tuple
    {"flat_end": (0.5, 0.51)},                 # a shape inside a 3-D view
])
def test_a_change_anywhere_makes_pictures_differ(changed):
    assert not d.same_picture(picture(), picture(**changed))


def test_a_frame_equal_to_the_one_before_is_the_same_pixels_and_a_changed_one_is_painted():
    pictures = [picture(), picture(), picture(centers=((0.3, 0.4), (0.7, 0.5)))]
    frames = PictureFrames(None, lambda _story, index: pictures[index],
                           VideoSettings(320, 180, 10, 1.0), load_theme("dark"), "matplotlib")
    try:
        first, second, third = (frames.frame(k) for k in range(3))
    finally:
        frames.close()
    assert second is first
    assert third is not first and not np.array_equal(third, first)
