"""tree_frames: frames/s of tree_growth (the moons tree) and boosting_stages (the moons booster)
drawn with matplotlib and encoded at 720p, against encoding those same frames alone (the
floor); target at least 0.6x the floor each. Then the fitting side on 10,000 rows: 100 boosting
stages and 100 forest trees fitted and recorded, and the grid predictions a 60-frame video of
each needs (the story's, which frames ask for); target under 10 s each.

Run: .venv/bin/python benchmarks/tree_frames.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, against_encode_floor, print_machine

from mlanim import pipeline
from mlanim.progress import SilentProgress

EXAMPLES = ("tree_moons", "boosting_moons")
ROWS = 10_000  # training rows (a quarter more are drawn: the held-out part)


def frames_against_floor() -> None:
    for name in EXAMPLES:
        loaded = pipeline.load(ROOT / "scenes" / f"{name}.yaml")
        spec = pipeline.RenderOptions(overrides={"quality": "medium", "duration": 10}).apply(
            loaded.spec)
        trace = pipeline.obtain_trace(loaded, spec, False, SilentProgress())
        against_encode_floor(spec, trace, f"{name} frames", 0.6)


def fit_and_predict(model: dict, frames: int = 60) -> float:
    """Seconds to fit ``model`` on 10,000 moons rows, record it, and compute the grid
    predictions of every frame of a ``frames``-frame video."""
    from mlanim import scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings

    kind = "boosting_stages" if model["type"] == "boosting" else "tree_growth"
    spec = scenes.get(kind).Spec.model_validate({
        "scene": kind, "data": {"name": "moons", "n_samples": round(ROWS / 0.75), "noise": 0.3},
        "model": model, "render": {"quality": "medium", "duration": frames / 30}})
    start = time.perf_counter()
    _, make = scenes.get(kind).recording(spec, Path)
    trace = make(SilentProgress())
    story = scenes.get(kind).story(spec, trace, VideoSettings.from_spec(spec.render),
                                   load_theme("dark"))
    for frame in range(frames):
        story.picture(frame)
    return time.perf_counter() - start


def main() -> None:
    print_machine()
    frames_against_floor()
    for model in ({"type": "boosting", "stages": 100, "max_depth": 3},
                  {"type": "forest", "trees": 100, "max_depth": 8}):
        seconds = fit_and_predict(model)
        print(f"tree_frames {model['type']} fit + record + 60 frames on {ROWS:,} rows: "
              f"{seconds:.1f} s (target < 10 s)")


if __name__ == "__main__":
    main()
