"""Files written whole or not at all: write to a temporary name, then rename (used by traces,
caches and encoders alike; it imports no encoder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlanim.errors import OutputError


def temporary_name(path: Path) -> Path:
    """A hidden sibling of ``path`` with the same extension (encoders pick formats by it)."""
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


def ensure_writable_folder(folder: Path) -> None:
    """Create ``folder`` if needed; an `OutputError` if it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create output folder {folder}: {err.strerror}",
                          hint="choose another folder with --out") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable",
                          hint="choose another folder with --out") from None


def check_writable_folder(folder: Path) -> None:
    """Fail early, before any training, if ``folder`` could not be created or written.

    Creates nothing, so a run that fails later leaves no empty folder behind.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot create output folder {folder}: {existing} is not a folder",
                          hint="choose another folder with --out")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable",
                          hint="choose another folder with --out")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` only if the block succeeds."""
    ensure_writable_folder(path.parent)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
