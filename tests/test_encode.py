"""Encoders: GIF colours stay true, including small marks, and timing adds up."""

from __future__ import annotations

import numpy as np
from PIL import Image

from mlanim.encode.video import GifWriter


def test_small_saturated_marks_keep_their_colour(tmp_path):
    """A few green pixels on a large blue-grey gradient must stay green in the palette."""
    ramp = np.linspace(0, 1, 320, dtype=np.float32)
    frames = []
    for i in range(30):
        frame = np.zeros((180, 320, 3), dtype=np.uint8)
        frame[..., 0] = 20 + 40 * ramp
        frame[..., 1] = 30 + 60 * ramp
        frame[..., 2] = 60 + 150 * ramp
        frame[90:94, 10 * i:10 * i + 4] = (61, 220, 132)  # a moving green pulse
        frames.append(frame)
    writer = GifWriter(tmp_path / "pulse.gif", 320, 180, 15)
    for frame in frames:
        writer.write(frame)
    writer.close()
    image = Image.open(tmp_path / "pulse.gif")
    image.seek(12)
    pixel = np.asarray(image.convert("RGB"))[91, 121].astype(int)
    assert np.abs(pixel - (61, 220, 132)).sum() < 40
