"""One small progress interface for long work; the CLI shows it with rich, tests silence it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, carriage returns, newlines) written as
    escapes, so what a spec contains cannot clear the screen or forge lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Task(Protocol):
    """A unit of long work whose progress can be advanced."""

    def advance(self, n: float = 1) -> None:
        """Mark ``n`` more units as done."""

    def note(self, text: str) -> None:
        """Replace the task's short status text (e.g. the current loss)."""


class Progress(Protocol):
    """Creates tasks and reports messages; the only way pipeline code talks to the user."""

    def task(self, description: str, total: float | None) -> Iterator[Task]:
        """A context manager yielding a task that is shown until the block ends."""

    def message(self, text: str) -> None:
        """A one-line message (cache hits, notes)."""

    def warn(self, text: str) -> None:
        """A one-line finding the user must see (a diagnosis), even when progress is quiet."""


class _SilentTask:
    def advance(self, n: float = 1) -> None:
        pass

    def note(self, text: str) -> None:
        pass


class SilentProgress:
    """Shows no progress: for tests, notebooks and ``--quiet``. Warnings are kept in
    ``warnings`` and, with ``stderr``, also printed there."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self.warnings: list[str] = []

    @contextmanager
    def task(self, description: str, total: float | None) -> Iterator[Task]:
        """Yield a task that does nothing."""
        yield _SilentTask()

    def message(self, text: str) -> None:
        """Drop the message."""

    def warn(self, text: str) -> None:
        """Keep the warning (and print it on stderr if asked to)."""
        self.warnings.append(text)
        if self.stderr:
            print(printable(text), file=sys.stderr)


class _RichTask:
    def __init__(self, bar, task_id) -> None:
        self._bar, self._id = bar, task_id

    def advance(self, n: float = 1) -> None:
        self._bar.advance(self._id, n)

    def note(self, text: str) -> None:
        self._bar.update(self._id, status=text)


class RichProgress:
    """Progress bars and messages on stderr, so stdout stays clean for the paths written."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console(stderr=True, file=sys.stderr)

    @contextmanager
    def task(self, description: str, total: float | None) -> Iterator[Task]:
        """Show a bar for the duration of the block."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        columns = [
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
        ]
        with Bar(*columns, console=self._console, transient=False) as bar:
            yield _RichTask(bar, bar.add_task(description, total=total, status=""))

    def message(self, text: str) -> None:
        """Print a dim one-line message."""
        self._console.print(printable(text), style="dim", highlight=False, markup=False)

    def warn(self, text: str) -> None:
        """Print a one-line finding in bold."""
        self._console.print(printable(text), style="bold yellow", highlight=False,
                            markup=False)
