"""One moment of a scene as a still (``--at 12.5``, ``--at epoch=20``, ``--at step=300``) and a
range of its frames (``--frames 100:200``): which frame that is, and what the file is called.

Seconds count video time. An epoch or step counts training time: the frame is the first one
showing that much training, found through the snapshots the kind's timeline sweeps through
(`SceneKind.clock`); kinds told as a sequence of views have no such clock and take seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mlanim.draw.timeline import SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.errors import UserError

STILL_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class When:
    """A moment asked for: ``unit`` is ``seconds``, ``epoch`` or ``step``."""

    unit: str
    value: float

    @classmethod
    def parse(cls, text: str) -> When:
        """``12.5``, ``epoch=20`` or ``step=300``; a `UserError` otherwise."""
        found = re.fullmatch(r"\s*(?:(epoch|step)\s*=\s*)?([0-9]*\.?[0-9]+)\s*(s)?\s*", text)
        if not found or (found.group(1) and found.group(3)):
            raise UserError(f"--at {text}: not a moment",
                            hint="write seconds (--at 12.5), --at epoch=20 or --at step=300")
        return cls(found.group(1) or "seconds", float(found.group(2)))

    @property
    def label(self) -> str:
        """How the moment is written into the file name: ``12.5s``, ``epoch20``."""
        if self.unit == "seconds":
            return f"{self.value:g}s"
        return f"{self.unit}{self.value:g}"


def parse_frames(text: str) -> tuple[int, int]:
    """``100:200`` as (100, 200): frames 100 to 199, as a Python slice counts them."""
    found = re.fullmatch(r"\s*(\d*)\s*:\s*(\d*)\s*", text)
    if not found or not (found.group(1) or found.group(2)):
        raise UserError(f"--frames {text}: not a range", hint="write FIRST:END, e.g. 100:200 "
                                                              "(frames 100 to 199)")
    first = int(found.group(1) or 0)
    end = int(found.group(2)) if found.group(2) else -1
    return first, end


def frame_range(span: tuple[int, int], count: int) -> range:
    """The frames of ``span`` (END -1: to the last) in a video of ``count`` frames."""
    first, end = span
    end = count if end < 0 else end
    if not 0 <= first < end <= count:
        raise UserError(f"--frames {first}:{end if span[1] >= 0 else ''} is outside the video's "
                        f"{count} frames", hint=f"use a range within 0:{count}")
    return range(first, end)


def frame_at(when: When, video: VideoSettings,
             clock: tuple[np.ndarray, np.ndarray] | None, scene: str) -> int:
    """The index of the frame that shows ``when``."""
    if when.unit == "seconds":
        if when.value > video.duration:
            raise UserError(f"--at {when.value:g} is past the end of the {video.duration:g} s "
                            "video", hint=f"use 0 to {video.duration:g} seconds")
        return min(round(when.value * video.fps), video.count - 1)
    if clock is None:
        raise UserError(f"{scene} is told as a sequence of views, not a sweep through training",
                        hint="give the moment in seconds, e.g. --at 3.5")
    steps, epochs = clock
    times = np.asarray(epochs if when.unit == "epoch" else steps, dtype=float)
    if np.isnan(times).all():
        raise UserError(f"{scene} counts steps, not epochs",
                        hint=f"give a step, e.g. step={int(steps[len(steps) // 2])}")
    if not times[0] - 1e-9 <= when.value <= times[-1] + 1e-9:
        raise UserError(f"--at {when.unit}={when.value:g} is outside the run: its snapshots "
                        f"go from {when.unit} {times[0]:g} to {times[-1]:g}",
                        hint=f"pick a {when.unit} in that range")
    timeline = SnapshotTimeline(len(times), video.count, video.fps)
    positions = np.array([timeline.at(frame).position for frame in range(video.count)])
    shown = np.interp(positions, np.arange(len(times)), times)
    return int(np.argmax(shown >= when.value - 1e-9))
