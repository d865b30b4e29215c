"""backend_speed: for each scene kind's main example at 720p, frames/s drawn with manim over
frames/s drawn with matplotlib, from the same cached trace, in one run. Target: >= 0.8x for
every kind, and at least 25 frames/s for network_pulses with manim. Each kind's ratio is the
median over three back-to-back pairs (frames/s: the medians of each side).

Drawing only (no encoding): the encoder is the same for both backends. Frames are spread evenly
over the whole video, so every phase of each scene is in the sample.

Run: .venv/bin/python benchmarks/backend_speed.py [KIND ...]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MAIN_EXAMPLES, prepared_example, print_machine, stopwatch

from mlanim.draw.theme import load_theme

SAMPLES = 90
PAIRS = 3  # each kind's ratio: the median over this many back-to-back pairs
TARGET, PULSES_FPS = 0.8, 25.0


def frames_per_second(example: str, backend: str) -> float:
    """Frames/s drawing `SAMPLES` evenly spaced frames of ``example`` at 720p with ``backend``
    (the trace and derived data come from the cache; the drawing's set-up is counted)."""
    kind, spec, trace, derived, video = prepared_example(example, "medium")
    theme = load_theme(spec.render.theme)
    indices = [round(k * (video.count - 1) / (SAMPLES - 1)) for k in range(SAMPLES)]
    with stopwatch() as elapsed:
        drawing = kind.frames(spec, trace, video, theme, backend, derived)
        for index in indices:
            drawing.frame(index)
        drawing.close()
    return SAMPLES / elapsed[0]


def main() -> None:
    print_machine()
    kinds = sys.argv[1:] or list(MAIN_EXAMPLES)
    for example in {MAIN_EXAMPLES[k] for k in kinds}:  # warm caches: fonts, imports, traces
        frames_per_second(example, "matplotlib")
    with stopwatch() as manim_start:  # manim's imports and fonts: once a process, not a kind
        frames_per_second(MAIN_EXAMPLES[kinds[0]], "manim")
    print(f"manim's first drawing in this process (imports, fonts): {manim_start[0]:.2f} s")
    print(f"{'kind':20} {'example':22} {'matplotlib':>10} {'manim':>8} {'ratio':>6}")
    ratios = {}
    for kind in kinds:
        example = MAIN_EXAMPLES[kind]
        pairs = [tuple(frames_per_second(example, b) for b in ("matplotlib", "manim"))
                 for _ in range(PAIRS)]  # back to back, so machine noise hits both alike
        mpl, manim = (statistics.median(side) for side in zip(*pairs, strict=True))
        ratios[kind] = statistics.median(b / a for a, b in pairs)
        print(f"{kind:20} {example:22} {mpl:10.1f} {manim:8.1f} {ratios[kind]:5.2f}x",
              flush=True)
        if kind == "network_pulses":
            pulses_fps = manim
    worst = min(ratios, key=ratios.__getitem__)
    extra = f"; network_pulses {pulses_fps:.1f} frames/s with manim (target {PULSES_FPS:.0f})" \
        if "network_pulses" in ratios else ""
    print(f"backend_speed: worst {ratios[worst]:.2f}x ({worst}) (target {TARGET}x){extra}")


if __name__ == "__main__":
    main()
