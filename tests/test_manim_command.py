"""A user's scene with a board in it, rendered by the ``manim`` command itself: the video
decodes with manim's frame count, and its frames at epochs 0 and 6 are the pictures that
``mlanim render --at`` draws with the manim backend, within a stated tolerance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mlanim
from tests.conftest import SMALL_SCENE

pytest.importorskip("manim")
av = pytest.importorskip("av")

pytestmark = pytest.mark.slow

SCENE = Path(__file__).parent / "scenes_for_manim" / "board.py"
LAST_EPOCH = 6
COMPARED = (160, 90)
"""Frames and stills are compared at this size, where the encoder's blur and a glyph's
rasterising no longer count and a moved boundary, point or curve still does."""
TOLERANCE = 4.0
"""Largest mean difference (0-255 per channel) between a frame and the still of its epoch:
measured 1.7 for either epoch, against 11.6-12.3 between a frame and the other epoch's
still."""


def small(image: Image.Image) -> np.ndarray:
    """``image`` at `COMPARED` size, as float RGB."""
    return np.asarray(image.convert("RGB").resize(COMPARED, Image.Resampling.BOX), float)


def test_the_manim_command_draws_the_same_pictures_as_mlanim_render(write_spec, tmp_path):
    spec = write_spec(SMALL_SCENE)
    stills = {epoch: small(Image.open(mlanim.render(
        spec, out=tmp_path / f"at{epoch}", at=f"epoch={epoch}", backend="manim",
        formats=["png"])[0])) for epoch in (0, LAST_EPOCH)}
    media = tmp_path / "media"
    done = subprocess.run(
        [sys.executable, "-m", "manim", "-ql", "--media_dir", str(media), str(SCENE), "Board"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "MLANIM_TEST_SPEC": str(spec),
             "MLANIM_TEST_EPOCH": str(LAST_EPOCH)})
    assert done.returncode == 0, done.stderr[-2000:]
    with av.open(str(next(media.rglob("Board.mp4")))) as video:
        frames = [frame.to_image() for frame in video.decode(video=0)]
    assert len(frames) == 3 * 15 and frames[0].size == (854, 480)  # -ql: 480p15, 3 s
    for frame, epoch in ((frames[7], 0), (frames[-8], LAST_EPOCH)):
        difference = np.abs(small(frame) - stills[epoch]).mean()
        other = np.abs(small(frame) - stills[LAST_EPOCH - epoch]).mean()
        assert difference < TOLERANCE, (epoch, difference)
        assert other > 2 * difference, (epoch, other, difference)  # the tolerance tells them apart
