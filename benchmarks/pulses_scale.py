"""pulses_scale: how network_pulses render time grows with the model's size (1k, 100k, 1M, 10M
parameters on digits). Target: the 1M model within 3x the 1k model's render time.

Render time = building the scene from its trace (loading weights, choosing neurons) and drawing
60 frames at 720p with matplotlib, the same frame indices for every model. Training and
recording are reported beside it but are not part of the ratio.

Run: .venv/bin/python benchmarks/pulses_scale.py
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_machine, stopwatch

from mlanim import pipeline, scenes
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress

SIZES = {"1k": [12], "100k": [512, 128], "1M": [1024, 896], "10M": [3000, 3200]}
FRAMES = 60


def spec_for(hidden: list[int], folder: Path) -> Path:
    path = folder / f"pulses_{'_'.join(map(str, hidden))}.yaml"
    path.write_text(textwrap.dedent(f"""\
        scene: network_pulses
        data: {{name: digits}}
        model: {{hidden: {hidden}, activation: relu}}
        train: {{epochs: 1, batch_size: 256, optimizer: {{name: sgd, lr: 0.05}}}}
        render: {{quality: medium, duration: 20}}
        """))
    return path


def measure(hidden: list[int], folder: Path) -> tuple[int, float, float]:
    loaded = pipeline.load(spec_for(hidden, folder))
    with stopwatch() as train_time:
        trace = pipeline.obtain_trace(loaded, loaded.spec, True, SilentProgress())
    video = VideoSettings.from_spec(loaded.spec.render)
    picks = [round(i * (video.count - 1) / (FRAMES - 1)) for i in range(FRAMES)]
    with stopwatch() as render_time:
        drawing = scenes.get("network_pulses").frames(loaded.spec, trace, video,
                                                       load_theme("dark"), "matplotlib")
        for index in picks:
            drawing.frame(index)
        drawing.close()
    return trace.meta["model"]["parameters"], train_time[0], render_time[0]


def main() -> None:
    print_machine()
    folder = Path(tempfile.mkdtemp())
    measure(SIZES["1k"], folder)  # warm-up: font caches, first imports
    results = {}
    for label, hidden in SIZES.items():
        params, train, render = measure(hidden, folder)
        results[label] = render
        print(f"{label:>5} {params:>11,} params   train+record {train:6.1f} s   "
              f"render {render:6.2f} s ({FRAMES / render:5.1f} frames/s)")
    ratio = results["1M"] / results["1k"]
    print(f"10M / 1k render time: {results['10M'] / results['1k']:.2f}x")
    print(f"pulses_scale: {ratio:.2f}x 1M vs 1k render time (target 3.00x)")


if __name__ == "__main__":
    main()
