"""A recording written to its run's file as it goes (`mlanim.trace.journal`), for
``mlanim.watch`` and for a spec's own training under ``mlanim render --live``.

`RunFile` appends, at each call, what a `Recorder` gained since the previous one: its channel
rows, its gradient log's per-step summaries, the static arrays that changed, and the run's
metadata as of now. A built-in recording is asked to write as it goes through
`written_as_it_goes` (the render pipeline's side) and `claim` (the recording's side): the
first recording made inside the block takes the file; the scene kinds' recording functions
need no new argument, and a kind whose recording does not claim it is simply not live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mlanim.trace import TraceWriter
from mlanim.trace.journal import JournalWriter, Record
from mlanim.train.gradients import GradientLog


class Recording(Protocol):
    """What a run file reads of a recording (a `mlanim.train.recorder.Recorder`)."""

    writer: TraceWriter
    gradients: GradientLog | None
    losses: list[float]


class RunFile:
    """Appends ``recorder``'s new rows to the run's file at ``path`` (created at the first
    append), and tells ``heard`` the steps recorded after each."""

    def __init__(self, path: Path, recorder: Recording,
                 heard: Callable[[int], None] | None = None) -> None:
        self.path, self.recorder, self.heard = path, recorder, heard
        self._journal: JournalWriter | None = None
        self._marks: dict[str, int] = {}  # rows already written, per channel
        self._sent: dict[str, np.ndarray] = {}  # static arrays already written
        self._chunks = 0  # gradient summaries already written

    @property
    def started(self) -> bool:
        """Whether the file has been created."""
        return self._journal is not None

    def append(self, statics: dict[str, np.ndarray], state: dict[str, Any], steps: int) -> None:
        """Write what was recorded since the last append; ``statics`` are written when they
        changed, ``state`` (metadata, metric points, epoch length) replaces the last."""
        if self._journal is None:
            self._journal = JournalWriter(self.path)
        appends: dict[str, np.ndarray] = {}
        gradients = self.recorder.gradients
        if gradients is not None:
            appends = gradients.rows_since(self._chunks, self.recorder.losses)
            self._chunks = gradients.chunks
        changed = {name: value for name, value in statics.items()
                   if name not in self._sent or not np.array_equal(self._sent[name], value)}
        self._sent.update(changed)
        self._journal.append(Record(self.recorder.writer.rows_since(self._marks), appends,
                                    changed, state))
        if self.heard is not None:
            self.heard(steps)

    def close(self) -> None:
        """Stop appending; the file keeps what was written."""
        if self._journal is not None:
            self._journal.close()


@dataclass
class Wanted:
    """A run file asked for by the code around a recording: where, and who hears of it."""

    path: Path
    heard: Callable[[int], None] | None
    taken: RunFile | None = None


_WANTED: ContextVar[Wanted | None] = ContextVar("mlanim_run_file", default=None)


@contextmanager
def written_as_it_goes(path: Path, heard: Callable[[int], None] | None = None
                       ) -> Iterator[Wanted]:
    """Inside the block, the first recording that `claim`s writes itself to ``path`` as it
    goes; ``wanted.taken`` says whether one did."""
    wanted = Wanted(path, heard)
    token = _WANTED.set(wanted)
    try:
        yield wanted
    finally:
        _WANTED.reset(token)
        if wanted.taken is not None:
            wanted.taken.close()


def claim(recorder: Recording) -> RunFile | None:
    """The run file asked for around this recording, if one is and no recording took it."""
    wanted = _WANTED.get()
    if wanted is None or wanted.taken is not None:
        return None
    wanted.taken = RunFile(wanted.path, recorder, wanted.heard)
    return wanted.taken
