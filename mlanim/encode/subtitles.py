"""Captions as subtitle files: the on-screen captions of a render, timed to its frames, as
WebVTT (the web's, HTML5 video) or SubRip (.srt, what lecture platforms and editors take)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

Cue = tuple[float, float, str]


def cues(captions: Sequence[str], fps: int) -> list[Cue]:
    """(start, end, text) for each run of frames showing the same caption; frames without
    one are gaps."""
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
