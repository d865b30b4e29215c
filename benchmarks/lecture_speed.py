"""lecture_speed: every kind's main example at lecture quality (`-qh`: 1080p60), with each
backend, drawn and encoded from the cached trace as `mlanim render` does (a drawing thread beside
the encoder): wall seconds per second of video, beside the encode-only floor (the same frames,
drawn beforehand, encoded alone). Targets: within 2.0 s a video second with matplotlib and 2.5 s
with manim, and within 2.5x the floor.

Three one-second windows of each video (at a sixth, a half and five sixths of it) stand for the
whole: every phase of a scene is in the sample, and the encoder sees runs of consecutive frames
as it does in a render. The drawing's set-up is counted once, spread over the three seconds.

With ``--presets KIND``, the encoder alone instead: the kind's frames at 1080p60 encoded with
each x264 preset, the time, the file's size and how close the decoded frames come to the drawn
ones (PSNR), which is how the encoder's settings by frame size were chosen (`mlanim.encode`).

Run: .venv/bin/python benchmarks/lecture_speed.py [KIND ...] [--backend matplotlib|manim]
     .venv/bin/python benchmarks/lecture_speed.py --presets KIND
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MAIN_EXAMPLES, prepared_example, print_machine, stopwatch

from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.encode import write_outputs
from mlanim.executor import prefetch

QUALITY = "high"  # -qh: 1080p60
BACKENDS = ("matplotlib", "manim")
TARGETS = {"matplotlib": 2.0, "manim": 2.5}  # wall seconds per video second
FLOOR_TARGET = 2.5  # times the encode-only floor
WINDOWS = (1 / 6, 1 / 2, 5 / 6)  # where the one-second windows start, as parts of the video


def window_frames(video: VideoSettings) -> list[int]:
    """The frame indices of the three one-second windows."""
    starts = [round(part * (video.count - video.fps)) for part in WINDOWS]
    return [i for start in starts for i in range(start, start + video.fps)]


def seconds_per_video_second(example: str, backend: str) -> tuple[float, float]:
    """(drawn and encoded, encode-only floor) in wall seconds per second of video."""
    kind, spec, trace, derived, video = prepared_example(example, QUALITY)
    theme, shown = load_theme(spec.render.theme), window_frames(video)
    part = replace(video, duration=len(shown) / video.fps)
    out = Path(tempfile.mkdtemp())
    with stopwatch() as t:
        drawing = kind.frames(spec, trace, video, theme, backend, derived)
        write_outputs(prefetch(drawing.frame(i) for i in shown), part, {"mp4": out / "a.mp4"})
    frames = [drawing.frame(i) for i in shown]
    drawing.close()
    with stopwatch() as floor:
        write_outputs(frames, part, {"mp4": out / "floor.mp4"})
    return t[0] / part.duration, floor[0] / part.duration


PRESETS = (("medium", ""), ("faster", ""), ("veryfast", ""), ("veryfast", "animation"),
           ("superfast", ""))  # x264 preset and tune


def compare_presets(kind: str) -> None:
    """Encode one kind's frames with each x264 preset: seconds a video second, MB, PSNR."""
    import av
    import numpy as np

    from mlanim.encode import video as encoder

    scene, spec, trace, derived, video = prepared_example(MAIN_EXAMPLES[kind], QUALITY)
    drawing = scene.frames(spec, trace, video, load_theme(spec.render.theme), "matplotlib",
                           derived)
    frames = [drawing.frame(i) for i in window_frames(video)]
    drawing.close()
    part = replace(video, duration=len(frames) / video.fps)
    chosen = encoder.LECTURE_OPTIONS
    print(f"{len(frames)} frames of {kind} at {video.width}x{video.height}, {video.fps} fps; "
          f"chosen: {chosen['mp4']}")
    for preset, tune in PRESETS:
        encoder.LECTURE_OPTIONS = {"mp4": {"preset": preset, **({"tune": tune} if tune else {})}}
        path = Path(tempfile.mkdtemp()) / f"{preset}.mp4"
        with stopwatch() as t:
            write_outputs(frames, part, {"mp4": path})
        with av.open(str(path)) as box:
            decoded = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
        error = np.mean([np.mean((a.astype(np.float32) - b) ** 2)
                         for a, b in zip(frames, decoded, strict=True)])
        psnr = 10 * np.log10(255 ** 2 / max(error, 1e-9))
        print(f"{preset:10}{tune:10} {t[0] / part.duration:6.2f} s a video second  "
              f"{path.stat().st_size / 1e6:6.2f} MB  PSNR {psnr:5.1f} dB", flush=True)
    encoder.LECTURE_OPTIONS = chosen


def main() -> None:
    print_machine()
    args = sys.argv[1:]
    if args[:1] == ["--presets"]:
        compare_presets(args[1] if len(args) > 1 else "decision_boundary")
        return
    backends = BACKENDS
    if "--backend" in args:
        at = args.index("--backend")
        backends, args = (args[at + 1],), args[:at] + args[at + 2:]
    kinds = args or list(MAIN_EXAMPLES)
    for kind in kinds:  # warm caches: traces, derived data, fonts, imports
        prepared_example(MAIN_EXAMPLES[kind], QUALITY)
    print(f"{'kind':20} {'backend':10} {'s/video s':>9} {'floor':>6} {'x floor':>7}")
    worst: dict[str, tuple[float, str]] = {}
    worst_share = (0.0, "")
    for kind in kinds:
        for backend in backends:
            rate, floor = seconds_per_video_second(MAIN_EXAMPLES[kind], backend)
            print(f"{kind:20} {backend:10} {rate:9.2f} {floor:6.2f} {rate / floor:6.2f}x",
                  flush=True)
            worst[backend] = max(worst.get(backend, (0.0, "")), (rate, kind))
            worst_share = max(worst_share, (rate / floor, f"{kind}, {backend}"))
    figures = "; ".join(f"{b} worst {r:.2f} s a video second ({k}, target {TARGETS[b]})"
                        for b, (r, k) in worst.items())
    print(f"lecture_speed: {figures}; worst {worst_share[0]:.2f}x the encode floor "
          f"({worst_share[1]}, target {FLOOR_TARGET}x)")


if __name__ == "__main__":
    main()
