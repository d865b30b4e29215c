"""The errors a user can cause. The CLI maps every `UserError` to one line and exit code 2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class UserError(Exception):
    """A mistake in the user's input: spec, data file, output folder or training settings.

    Parameters
    ----------
    message
        What is wrong, in the user's words.
    file, line, column
        Where it is, when known (1-based line and column).
    key_path
        The spec keys leading to the problem, e.g. ``("train", "optimizer", "lr")``.
    hint
        How to fix it.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    key_path: Sequence[str | int] = field(default_factory=tuple)
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def where(self) -> str:
        """``file:line:col`` as far as it is known, or the empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}; {self.hint}" if self.hint else text


class SpecError(UserError):
    """The scene spec is malformed, has unknown keys, or has values out of range."""


class DataError(UserError):
    """A data file is missing, unreadable, or does not fit what the spec asks of it."""


class OutputError(UserError):
    """An output file or folder cannot be written."""


class TrainingDivergedError(UserError):
    """The loss became NaN or infinite during training."""


def format_key_path(path: Sequence[str | int]) -> str:
    """``("train", "optimizer", 0)`` -> ``"train.optimizer[0]"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class UsageError(UserError):
    """The Python API was called with something it cannot use (a model on the meta device, a
    scene the run did not record enough for); the message names the argument that fixes it."""


def did_you_mean(name: str, choices: Sequence[str]) -> str:
    """``"did you mean 'species'? "`` when one of ``choices`` is close to ``name`` (the same
    but for case first, else by `difflib`), else ``""``."""
    import difflib

    same = [c for c in choices if c.lower() == name.lower()]
    close = same or difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""
