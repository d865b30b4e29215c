"""Files written whole or not at all: write to a temporary name, then rename (used by traces,
caches and encoders alike; it imports no encoder)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlanim.errors import OutputError

PARTIAL = ".partial-"
NAME_BYTES = 255  # the longest file name most file systems take


def temporary_name(path: Path) -> Path:
    """A hidden sibling of ``path`` with the same extension (encoders pick formats by it),
    marked with this process's id so a later run can tell a dead run's leftovers. A stem too
    long to carry the marker is replaced by its hash."""
    name = f".{path.stem}{PARTIAL}{os.getpid()}{path.suffix}"
    if len(name.encode()) > NAME_BYTES:
        digest = hashlib.sha256(path.name.encode()).hexdigest()[:16]
        name = f".{digest}{PARTIAL}{os.getpid()}{path.suffix}"
    return path.with_name(name)


def remove_stale_partials(folder: Path) -> None:
    """Delete temporary files in ``folder`` left by runs that were killed (their process no
    longer exists); files of live runs are left alone."""
    try:
        candidates = list(folder.glob(f".*{PARTIAL}*"))
    except OSError:
        return
    for candidate in candidates:
        pid = candidate.name.split(PARTIAL, 1)[1].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def commit_all(moves: list[tuple[Path, Path]]) -> None:
    """Move every finished temporary file onto its target, or none: targets that exist are set
    aside first and put back if any move fails, so a failed render never replaces one file of
    an earlier render and leaves another."""
    for _, target in moves:
        if target.is_dir():
            raise OutputError(f"cannot write {target}: it is a folder",
                              hint="set output: to a file name, or use another --out")
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for _, target in moves:
            if target.exists() or target.is_symlink():
                backup = temporary_name(target.with_name(target.name + ".previous"))
                os.replace(target, backup)
                aside.append((backup, target))
        for temp, target in moves:
            os.replace(temp, target)
            placed.append(target)
    except OSError as err:
        for target in placed:
            target.unlink(missing_ok=True)
        for backup, target in aside:
            os.replace(backup, target)
        raise OutputError(f"cannot write {err.filename or 'an output'}: {err.strerror}; "
                          "nothing was replaced", hint="choose another folder with --out") \
            from None
    for backup, _ in aside:
        backup.unlink(missing_ok=True)


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
    if not os.access(existing, os.W_OK | os.X_OK) or not _can_create_in(existing):
        raise OutputError(f"output folder {folder} is not writable",
                          hint="choose another folder with --out")


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (permissions alone do not tell for
    /proc, read-only mounts or full disks); the probe is removed at once."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` only if the block succeeds."""
    ensure_writable_folder(path.parent)
    remove_stale_partials(path.parent)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
