"""Frames in, files out: every format written to a temporary name and renamed when all succeed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from pathlib import Path

import numpy as np

from mlanim.atomic import (
    commit_all,
    ensure_writable_folder,
    remove_stale_partials,
    temporary_name,
)
from mlanim.draw.video import VideoSettings
from mlanim.encode.subtitles import write_subtitles
from mlanim.encode.video import AvWriter, GifWriter, PngWriter
from mlanim.executor import settled_heap
from mlanim.inputs import megabytes
from mlanim.progress import Progress, SilentProgress
from mlanim.spec.sections import GifSpec

VIDEO_FORMATS = ("mp4", "webm", "gif", "png")
FIGURE_FORMATS = ("svg", "pdf")
SUBTITLE_FORMATS = ("vtt", "srt")
PAGE_FORMATS = ("html",)
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
    redraw: Callable[[], Iterable[np.ndarray]] | None = None,
    captions: Callable[[], Sequence[str]] | None = None,
    figure_formats: Sequence[str] = FIGURE_FORMATS,
    draw_page: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Encode ``frames`` once into every video format of ``targets``; draw figure formats.
    ``samples`` (frames spread over the video) choose the GIF's palette before it streams;
    ``redraw`` gives the frames again when a GIF over ``render.gif.max_mb`` must be re-made;
    ``captions`` gives each frame's caption for subtitle formats; ``figure_formats`` are
    drawn by ``draw_figure`` (paper figures draw their PNG that way too); ``draw_page`` writes
    the interactive page.

    Returns the paths written. On any failure no target is created or replaced.
    """
    progress = progress or SilentProgress()
    temps = {fmt: temporary_name(path) for fmt, path in targets.items()}
    for path in targets.values():
        ensure_writable_folder(path.parent)
        remove_stale_partials(path.parent)
    writers = {fmt: _writer(fmt, temps[fmt], video, samples)
               for fmt in targets if fmt in VIDEO_FORMATS and fmt not in figure_formats}
    try:
        if writers:
            _encode(frames or [], writers, video, progress)
        if "gif" in writers and video.gif.max_mb and redraw is not None:
            _fit_gif(temps["gif"], video, samples, redraw, progress)
        for fmt in targets:
            if fmt in figure_formats and draw_figure is not None:
                draw_figure(temps[fmt])
        for fmt in targets:
            if fmt in PAGE_FORMATS and draw_page is not None:
                draw_page(temps[fmt])
        if any(fmt in SUBTITLE_FORMATS for fmt in targets) and captions is not None:
            texts = captions()
            for fmt in targets:
                if fmt in SUBTITLE_FORMATS:
                    write_subtitles(temps[fmt], fmt, texts, video.fps)
        commit_all([(temps[fmt], path) for fmt, path in targets.items()])
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(targets.values())


def _writer(fmt: str, path: Path, video: VideoSettings, samples: Sequence[np.ndarray]):
    if fmt in ("mp4", "webm"):
        return AvWriter(path, fmt, video.width, video.height, video.fps)
    if fmt == "gif":
        return GifWriter(path, video.width, video.height, video.fps, samples, video.gif)
    return PngWriter(path)


def _fit_gif(path: Path, video: VideoSettings, samples: Sequence[np.ndarray],
             redraw: Callable[[], Iterable[np.ndarray]], progress: Progress) -> None:
    """Make the GIF at ``path`` again, with a lower frame rate, then width, then palette, until
    it is under ``render.gif.max_mb``; say what was chosen."""
    settings = video.gif
    limit = (settings.max_mb or 0) * 2**20
    while path.stat().st_size > limit:
        smaller = shrink_gif(settings, video.width, path.stat().st_size / limit)
        if smaller is None:
            progress.warn(f"the GIF is {megabytes(path.stat().st_size)}, over max_mb "
                          f"{settings.max_mb:g}, even at {settings.width} px, {settings.fps} fps "
                          f"and {settings.colors} colours; shorten the duration")
            return
        settings = smaller
        writer = GifWriter(path, video.width, video.height, video.fps, samples, settings)
        for frame in redraw():
            writer.write(frame)
        writer.close()
    progress.message(f"GIF at {min(settings.width, video.width)} px, "
                     f"{min(settings.fps, video.fps)} fps, {settings.colors} colours: "
                     f"{path.stat().st_size / 2**20:.1f} MB (max_mb {settings.max_mb:g})")


GIF_FLOOR = {"fps": 6, "width": 240, "colors": 16}  # below these a GIF stops being worth it


def shrink_gif(settings: GifSpec, width: int, ratio: float) -> GifSpec | None:
    """Settings for a GIF ``ratio`` times smaller (size scales about with frames, pixels and
    bits per colour): the frame rate first, then the width, then the palette; None when
    all are at their floor."""
    fps, wide = settings.fps, min(settings.width, width)
    if fps > GIF_FLOOR["fps"]:
        return settings.model_copy(update={"fps": max(GIF_FLOOR["fps"], int(fps / ratio))})
    if wide > GIF_FLOOR["width"]:
        target = int(wide / ratio ** 0.5 * 0.95)
        return settings.model_copy(update={"width": max(GIF_FLOOR["width"], target)})
    if settings.colors > GIF_FLOOR["colors"]:
        return settings.model_copy(update={"colors": max(GIF_FLOOR["colors"],
                                                         settings.colors // 2)})
    return None


def _encode(frames: Iterable[np.ndarray], writers: dict, video: VideoSettings,
            progress: Progress) -> None:
    finished = False
    try:
        total = len(frames) if isinstance(frames, Sized) else video.count  # a still: one
        with progress.task("drawing + encoding", total=total) as bar, settled_heap():
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
