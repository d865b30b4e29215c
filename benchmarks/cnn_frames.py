"""cnn_frames: frames/s of the cnn_filters example drawn with matplotlib and encoded at 720p,
against encoding those same frames alone (the floor), as render_throughput measures the
quickstart. The video's six views are drawn in their proportions. Target: at least half the
floor's rate.

Run: .venv/bin/python benchmarks/cnn_frames.py
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine, stopwatch

from mlanim import pipeline, scenes
from mlanim.encode import write_outputs
from mlanim.executor import draw_in_order, prefetch, worker_count
from mlanim.progress import SilentProgress
from mlanim.render.theme import load_theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.base import iterate

EXAMPLE = ROOT / "scenes" / "cnn_digits.yaml"


def main() -> None:
    print_machine()
    loaded = pipeline.load(EXAMPLE)
    spec = pipeline.RenderOptions(overrides={"quality": "medium", "duration": 15}).apply(
        loaded.spec)
    trace = pipeline.obtain_trace(loaded, spec, False, SilentProgress())
    video, theme = VideoSettings.from_spec(spec.render), load_theme(spec.render.theme)
    drawing = scenes.get(spec.scene).frames(spec, trace, video, theme, "matplotlib")
    out = Path(tempfile.mkdtemp())
    n = video.count
    print(f"{n} frames at {video.width}x{video.height}, {video.fps} fps, {worker_count()} cores")

    with stopwatch() as t:
        frames = list(iterate(drawing))
    draw_fps = n / t[0]
    with stopwatch() as t:
        write_outputs(frames, video, {"mp4": out / "floor.mp4"})
    floor = n / t[0]
    del frames

    with stopwatch() as t:
        write_outputs(prefetch(iterate(drawing)), video, {"mp4": out / "thread.mp4"})
    threaded = n / t[0]
    factory = partial(pipeline.draw_scene, spec.scene, spec, trace.path, video, theme,
                      "matplotlib")
    workers = max(2, worker_count())
    with stopwatch() as t:
        write_outputs(draw_in_order(factory, n, workers), video, {"mp4": out / "pool.mp4"})
    pooled = n / t[0]
    drawing.close()

    best = max(threaded, pooled)
    print(f"draw only            {draw_fps:7.1f} frames/s")
    print(f"encode only (floor)  {floor:7.1f} frames/s")
    print(f"draw+encode threaded {threaded:7.1f} frames/s  ({threaded / floor:.2f} of floor)")
    print(f"draw+encode {workers} procs  {pooled:7.1f} frames/s  ({pooled / floor:.2f} of floor,"
          " worker start-up included)")
    print(f"cnn_frames: {best / floor:.2f}x floor (target 0.50x)")


if __name__ == "__main__":
    main()
