"""cnn_frames: frames/s of the cnn_filters example drawn with matplotlib and encoded at 720p,
against encoding those same frames alone (the floor), as render_throughput measures the
quickstart. The video's six views are drawn in their proportions. Target: at least half the
floor's rate.

Run: .venv/bin/python benchmarks/cnn_frames.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, against_encode_floor, print_machine

from mlanim import pipeline
from mlanim.progress import SilentProgress

EXAMPLE = ROOT / "scenes" / "cnn_digits.yaml"


def main() -> None:
    print_machine()
    loaded = pipeline.load(EXAMPLE)
    spec = pipeline.RenderOptions(overrides={"quality": "medium", "duration": 15}).apply(
        loaded.spec)
    trace = pipeline.obtain_trace(loaded, spec, False, SilentProgress())
    against_encode_floor(spec, trace, "cnn_frames", 0.5)


if __name__ == "__main__":
    main()
