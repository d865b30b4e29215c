"""Frames in, files out: every format written to a temporary name and renamed when all succeed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from mlanim.atomic import (
    commit_all,
    ensure_writable_folder,
    remove_stale_partials,
    temporary_name,
)
from mlanim.encode.video import AvWriter, GifWriter, PngWriter
from mlanim.progress import Progress, SilentProgress
from mlanim.render.video import VideoSettings

VIDEO_FORMATS = ("mp4", "webm", "gif", "png")
FIGURE_FORMATS = ("svg", "pdf")
PALETTE_SAMPLES = 12  # frames drawn ahead of the encode to fit a GIF's palette


def sample_indices(count: int) -> list[int]:
    """Frames spread over a video of ``count`` frames, first and last included."""
    return sorted({round(k * (count - 1) / (PALETTE_SAMPLES - 1))
                   for k in range(PALETTE_SAMPLES)}) if count > 0 else []


def write_outputs(
    frames: Iterable[np.ndarray] | None,
    video: VideoSettings,
    targets: Mapping[str, Path],
    draw_figure: Callable[[Path], None] | None = None,
    progress: Progress | None = None,
    samples: Sequence[np.ndarray] = (),
) -> list[Path]:
    """Encode ``frames`` once into every video format of ``targets``; draw figure formats.
    ``samples`` (frames spread over the video) choose the GIF's palette before it streams.

    Returns the paths written. On any failure no target is created or replaced.
    """
    progress = progress or SilentProgress()
    temps = {fmt: temporary_name(path) for fmt, path in targets.items()}
    for path in targets.values():
        ensure_writable_folder(path.parent)
        remove_stale_partials(path.parent)
    writers = {fmt: _writer(fmt, temps[fmt], video, samples)
               for fmt in targets if fmt in VIDEO_FORMATS}
    try:
        if writers:
            _encode(frames or [], writers, video, progress)
        for fmt in targets:
            if fmt in FIGURE_FORMATS and draw_figure is not None:
                draw_figure(temps[fmt])
        commit_all([(temps[fmt], path) for fmt, path in targets.items()])
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(targets.values())


def _writer(fmt: str, path: Path, video: VideoSettings, samples: Sequence[np.ndarray]):
    if fmt in ("mp4", "webm"):
        return AvWriter(path, fmt, video.width, video.height, video.fps)
    if fmt == "gif":
        return GifWriter(path, video.width, video.height, video.fps, samples)
    return PngWriter(path)


def _encode(frames: Iterable[np.ndarray], writers: dict, video: VideoSettings,
            progress: Progress) -> None:
    finished = False
    try:
        with progress.task("drawing + encoding", total=video.count) as bar:
            for frame in frames:
                for writer in writers.values():
                    writer.write(frame)
                bar.advance()
        for writer in writers.values():
            writer.close()
        finished = True
    finally:
        if not finished:
            for writer in writers.values():
                writer.abort()
