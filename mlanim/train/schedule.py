"""How long a run trains and when it takes snapshots: one answer for every scene kind.

A `Schedule` is computed from the spec's ``train:`` section and the number of training rows,
before training: kinds use it to plan (which steps to animate, how many snapshots fit a
budget) and the training loop uses the same numbers, so plan and run cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mlanim.spec.sections import TrainSpec


@dataclass(frozen=True)
class Schedule:
    """Batch size, steps per epoch and total optimizer steps of one run."""

    rows: int
    batch: int
    steps_per_epoch: int
    total_steps: int

    @classmethod
    def of(cls, train: TrainSpec, rows: int) -> Schedule:
        """The schedule ``train`` gives a training set of ``rows`` rows."""
        batch = rows if train.batch_size == "full" else min(train.batch_size, rows)
        per_epoch = math.ceil(rows / max(batch, 1))
        total = train.steps or per_epoch * (train.total_epochs or 0)
        return cls(rows, batch, per_epoch, total)

    def epoch(self, step: int) -> float:
        """The (fractional) epoch reached after ``step`` optimizer steps."""
        return step / self.steps_per_epoch

    def every(self, train: TrainSpec) -> int:
        """The snapshot interval in steps that ``train.record_every(_steps)`` asks for."""
        return train.record_every_steps or train.record_every * self.steps_per_epoch

    def regular(self, every: int, extra: Iterable[int] = ()) -> set[int]:
        """Snapshot steps every ``every`` steps, at the end, and at ``extra`` steps."""
        regular = set(range(every, self.total_steps + 1, every)) if every > 0 else set()
        return {*regular, self.total_steps, *extra} - {0}

    def dense_early(self, count: int) -> set[int]:
        """About ``count`` snapshot steps, half evenly spaced and half geometrically (dense
        early, where learning is fastest), and the end."""
        total = self.total_steps
        even = np.linspace(0, total, count // 2 + 1)
        early = np.geomspace(1, max(total, 1), count // 2)
        return {round(float(s)) for s in (*even, *early) if s >= 1} | {total}

    def within_first_epoch(self, count: int) -> tuple[int, ...]:
        """``count`` steps spread inside the first epoch (neither its start nor its end)."""
        per_epoch = self.steps_per_epoch
        inside = {round(per_epoch * k / (count + 1)) for k in range(1, count + 1)}
        return tuple(sorted(inside - {0, per_epoch}))
