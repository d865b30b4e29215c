"""Maps video time to training time: which snapshot a frame shows, and how far towards the next."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moment:
    """What one frame shows.

    ``position`` is a fractional snapshot index: 3.25 is a quarter of the way from snapshot 3 to 4.
    """

    frame: int
    time: float
    position: float
    phase: str

    @property
    def index(self) -> int:
        """The snapshot at or before this moment."""
        return int(np.floor(self.position))

    @property
    def fraction(self) -> float:
        """How far from snapshot ``index`` towards the next (0..1)."""
        return self.position - self.index


@dataclass(frozen=True)
class SnapshotTimeline:
    """Holds the first snapshot, sweeps through the rest at a constant pace, holds the last."""

    snapshots: int
    frames: int
    fps: int
    hold_start: float = 0.8
    hold_end: float = 1.6

    def at(self, frame: int) -> Moment:
        """The moment shown by ``frame``."""
        time = frame / self.fps
        total = self.frames / self.fps
        start = min(self.hold_start, total * 0.15)
        end = min(self.hold_end, total * 0.2)
        sweep = max(total - start - end, 1e-9)
        progress = float(np.clip((time - start) / sweep, 0.0, 1.0))
        if frame == self.frames - 1:
            progress = 1.0
        phase = "start" if time < start else ("end" if progress >= 1.0 else "train")
        return Moment(frame, time, progress * (self.snapshots - 1), phase)


@dataclass(frozen=True)
class SnapshotSteps:
    """A page's clock in place of a video's: its step ``i`` shows snapshot ``shown[i]``
    itself, never a blend of two, so what a page draws is what was recorded."""

    shown: tuple[int, ...]

    @classmethod
    def over(cls, snapshots: int, most: int) -> SnapshotSteps:
        """Every snapshot, or ``most`` of them spread evenly (the first and last kept)."""
        if snapshots <= most:
            return cls(tuple(range(snapshots)))
        return cls(tuple(sorted({round(k * (snapshots - 1) / (most - 1))
                                 for k in range(most)})))

    def at(self, frame: int) -> Moment:
        """The moment of step ``frame``: the start, the end, or training between."""
        last = len(self.shown) - 1
        phase = "start" if frame == 0 else ("end" if frame >= last else "train")
        return Moment(frame, float(frame), float(self.shown[min(frame, last)]), phase)


@dataclass(frozen=True)
class HeldSweep:
    """A sweep through snapshots over a view's progress (0 to 1), held on the first snapshot
    for the ``start`` share of it and on the last for the ``end`` share (the views that show
    training inside a longer story: attention, cnn_filters, rnn_memory)."""

    start: float
    end: float

    def inner(self, progress: float) -> float:
        """How far through the snapshots (0 to 1) the sweep is at ``progress``."""
        return float(np.clip((progress - self.start) / (1 - self.start - self.end), 0, 1))

    def index(self, progress: float, count: int) -> int:
        """The snapshot (of ``count``) shown at ``progress``, each held for an equal share."""
        return min(count - 1, int(self.inner(progress) * count))


def interpolate(values: np.ndarray, moment: Moment) -> np.ndarray:
    """Linear blend between snapshot ``index`` and the next, along the first axis."""
    return blend(values, moment.position)


def blend(values: np.ndarray, position: float) -> np.ndarray:
    """``values`` at a fractional snapshot ``position`` (first axis), blended linearly."""
    i = int(np.floor(position))
    if i >= len(values) - 1:
        return np.asarray(values[-1], dtype=np.float32)
    a, b = np.asarray(values[i], np.float32), np.asarray(values[i + 1], np.float32)
    return a + (b - a) * np.float32(position - i)


@dataclass(frozen=True)
class Segment:
    """One view of a video over a range of frames (scenes told as a sequence of views)."""

    view: str
    first: int
    last: int

    def progress(self, frame: int) -> float:
        """0 at the segment's first frame, 1 at its last."""
        return (frame - self.first) / max(self.last - self.first, 1)


def split_frames(views: list[str], weights: dict[str, float], frames: int) -> list[Segment]:
    """``frames`` shared between ``views`` (each once, in order) by their ``weights``."""
    names = list(dict.fromkeys(views))
    shares = np.array([weights[n] for n in names])
    bounds = np.round(np.concatenate([[0], np.cumsum(shares)]) / shares.sum() * frames)
    return [Segment(name, int(bounds[i]), max(int(bounds[i]), int(bounds[i + 1]) - 1))
            for i, name in enumerate(names)]


def segment_at(segments: list[Segment], frame: int) -> Segment:
    """The segment ``frame`` belongs to (the last one past the end)."""
    return next((seg for seg in segments if frame <= seg.last), segments[-1])
