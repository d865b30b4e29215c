"""Every example spec in scenes/ renders (at low quality, briefly), as a user would run it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlanim import pipeline
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from tests.conftest import video_frames

pytestmark = pytest.mark.slow  # renders every example

EXAMPLES = sorted((Path(__file__).parent.parent / "scenes").glob("*.yaml"))


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_renders(spec, tmp_path):
    options = pipeline.RenderOptions(out_dir=tmp_path, quality="low", formats=("mp4", "gif"),
                                     overrides={"duration": 1.5})
    progress = SilentProgress()
    files = pipeline.render(spec, options, progress)
    mp4, gif = (next(f for f in files if f.suffix == suffix) for suffix in (".mp4", ".gif"))
    video = VideoSettings.from_spec(pipeline.load(spec).spec.render.model_copy(
        update={"quality": "low", "duration": 1.5}))
    frames = video_frames(mp4)
    assert len(frames) == video.count and frames[0].shape == (video.height, video.width, 3)
    assert np.ptp(frames[-1]) > 50  # something drawn, not a blank frame
    with Image.open(gif) as image:
        assert image.n_frames > 1 and image.size[0] > 0
    assert not [w for w in progress.warnings if w.startswith("layout:")], progress.warnings


def test_there_are_examples():
    assert any(p.stem == "quickstart" for p in EXAMPLES)
