"""Every example spec in scenes/ renders (at low quality, briefly), as a user would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlanim import pipeline
from mlanim.progress import SilentProgress

pytestmark = pytest.mark.slow  # renders every example

EXAMPLES = sorted((Path(__file__).parent.parent / "scenes").glob("*.yaml"))


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_renders(spec, tmp_path):
    options = pipeline.RenderOptions(out_dir=tmp_path, quality="low", formats=("mp4", "gif"),
                                     overrides={"duration": 1.5})
    files = pipeline.render(spec, options, SilentProgress())
    assert all(f.stat().st_size > 1000 for f in files)


def test_there_are_examples():
    assert any(p.stem == "quickstart" for p in EXAMPLES)
