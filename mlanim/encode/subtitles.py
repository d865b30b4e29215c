"""Captions as subtitle files: the on-screen captions of a render, timed to its frames, as
WebVTT (the web's, HTML5 video) or SubRip (.srt, what lecture platforms and editors take)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

Cue = tuple[float, float, str]


SHORTEST = 1.0
"""Seconds a cue lasts at the least."""
READING_SPEED = 17.0
"""Characters a second a viewer reads (the usual ceiling for subtitles): a cue lasts at least
its length over this."""


def cues(captions: Sequence[str], fps: int) -> list[Cue]:
    """(start, end, text) for each run of frames showing the same caption (frames without
    one are gaps), made readable: each cue lasts at least `SHORTEST` and its reading time at
    `READING_SPEED`, starting when the one before it ends if that is later, and none runs
    past the video's end. When that cannot hold for all of them, the captions shown the
    shortest time on screen are left out first."""
    total = len(captions) / fps
    kept = shown(captions, fps)
    while kept:
        laid = _laid_out(kept, total)
        if laid is not None:
            return laid
        if len(kept) == 1:
            start, _, text = kept[0]
            return [(start, total, text)]
        flashed = min(range(len(kept)), key=lambda i: (kept[i][1] - kept[i][0], -i))
        kept = kept[:flashed] + kept[flashed + 1:]
    return []


def _laid_out(found: Sequence[Cue], total: float) -> list[Cue] | None:
    """The cues, each as long as it needs and one after another; None if they overrun."""
    laid: list[Cue] = []
    for start, end, text in found:
        begin = max(start, laid[-1][1] if laid else 0.0)
        finish = max(end, begin + max(SHORTEST, len(text) / READING_SPEED))
        if finish > total + 1e-9:
            return None
        laid.append((begin, finish, text))
    if laid:
        begin, _, text = laid[-1]
        laid[-1] = (begin, total if found[-1][1] >= total - 1e-9 else laid[-1][1], text)
    return laid


def shown(captions: Sequence[str], fps: int) -> list[Cue]:
    """(start, end, text) for each run of frames showing the same caption, exactly as on
    screen."""
    found: list[Cue] = []
    start = 0
    for index in range(1, len(captions) + 1):
        if index == len(captions) or captions[index] != captions[start]:
            if captions[start]:
                found.append((start / fps, index / fps, captions[start]))
            start = index
    return found


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def subtitle_text(found: Sequence[Cue], fmt: str) -> str:
    """The cues as a ``vtt`` or ``srt`` document."""
    separator = "." if fmt == "vtt" else ","
    blocks = [f"{k}\n{_stamp(a, separator)} --> {_stamp(b, separator)}\n{text}\n"
              for k, (a, b, text) in enumerate(found, start=1)]
    head = "WEBVTT\n\n" if fmt == "vtt" else ""
    return head + "\n".join(blocks)


def write_subtitles(path: Path, fmt: str, captions: Sequence[str], fps: int) -> None:
    """Write the captions of every frame as a subtitle file (UTF-8)."""
    path.write_text(subtitle_text(cues(captions, fps), fmt), encoding="utf-8")
