"""The trace cache: train once, render many times.

A trace is stored in the user's cache folder (or ``$MLANIM_CACHE_DIR``) by the hash of
everything that affects training: the data, model and train sections, the seed, the recording
plan, and the versions of mlanim and torch. Changing only ``render:`` therefore re-renders
without retraining.
Data derived from a trace (projections) is cached beside it, keyed by the trace and by how it
was derived, so switching between such analyses never retrains either.

The cache never touches a file it cannot prove it made. Its folder carries a ``CACHEDIR.TAG``
marker; a ``$MLANIM_CACHE_DIR`` that already holds other files and no marker is refused (a
user's home set as the cache must not be cleaned). Inside it, eviction and ``cache clear``
delete only files named as the cache names them (``<20 hex>.mlanim``,
``derived/<hex>-<20 hex>.npz``, ``results/<hex>.json``, the file index), never a user's own
``my_run.mlanim`` kept there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mlanim.errors import OutputError
from mlanim.inputs import megabytes_setting
from mlanim.trace.format import FORMAT_VERSION

CACHE_MB = 4096
"""The cache's size cap in MB (``$MLANIM_CACHE_MB``): past it, the least recently used go."""


MARKER = "CACHEDIR.TAG"
MARKER_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
               "# mlanim's trace cache: backup tools may skip this folder; `mlanim cache "
               "clear` empties it.\n")
"""The marker that says a folder is mlanim's cache (the cache-directory tag convention)."""

OWN_NAMES = {".": re.compile(r"[0-9a-f]{20}\.mlanim|files\.json"),
             "derived": re.compile(r"[0-9a-f]{20,64}-[0-9a-f]{20}\.npz"),
             "results": re.compile(r"[0-9a-f]{16,64}\.json"),
             "unfinished": re.compile(r"[0-9a-f]{20}\.mlanim")}
"""Per subfolder, the names of the files the cache makes: the only ones it ever deletes."""


def cache_dir() -> Path:
    """Where cached traces live: ``$MLANIM_CACHE_DIR``, else the user's cache folder
    (``~/.cache/mlanim`` on Linux). A folder that holds files but no `MARKER` is refused."""
    if os.environ.get("MLANIM_CACHE_DIR"):
        folder = Path(os.environ["MLANIM_CACHE_DIR"])
        _claim(folder, chosen=True)
        return folder
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("mlanim", appauthor=False))
    _claim(folder, chosen=False)
    return folder


def _claim(folder: Path, chosen: bool) -> None:
    """Mark ``folder`` as the cache (making it if needed). A folder the user ``chosen`` that
    already holds something without the marker is not the cache's to fill or clean. Folders
    that cannot be made are left for the first write to report."""
    marker = folder / MARKER
    if _ours(marker):
        return
    with contextlib.suppress(OSError):
        if chosen and folder.is_dir() and any(folder.iterdir()):
            raise OutputError(
                f"MLANIM_CACHE_DIR={folder} holds files mlanim did not make (it has no "
                f"{MARKER}), so mlanim will not store or delete traces there",
                hint="point MLANIM_CACHE_DIR at a new or empty folder of its own")
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(MARKER_TEXT)


def _ours(marker: Path) -> bool:
    """Whether ``marker`` is mlanim's (another tool's cache tag does not make a folder ours)."""
    try:
        return marker.is_file() and "mlanim" in marker.read_text(errors="replace")[:400]
    except OSError:
        return False


def own_files(folder: Path, subfolder: str = ".") -> list[Path]:
    """The files in ``folder``/``subfolder`` named as the cache names what it makes."""
    place = folder / subfolder
    if not place.is_dir():
        return []
    pattern = OWN_NAMES[subfolder]
    return [path for path in place.iterdir()
            if pattern.fullmatch(path.name) and path.is_file() and not path.is_symlink()]


def cache_cap() -> int:
    """The cache's size cap in bytes."""
    return megabytes_setting("MLANIM_CACHE_MB", CACHE_MB)


def touch(path: Path) -> None:
    """Mark a cache entry as just used (eviction goes by least recent use)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def evict(keep: Path | None = None) -> list[Path]:
    """Delete the least recently used traces and derived files until the cache is under its
    cap (never ``keep``); return what was deleted."""
    folder = cache_dir()
    entries = [p for p in (*own_files(folder), *own_files(folder, "derived"),
                           *own_files(folder, "unfinished"))
               if p.suffix != ".json"]
    total, cap, removed = sum(p.stat().st_size for p in entries), cache_cap(), []
    for path in sorted(entries, key=lambda p: p.stat().st_mtime):
        if total <= cap:
            break
        if keep is not None and path == keep:
            continue
        total -= path.stat().st_size
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


RECORDING_VERSION = 3
"""Bumped whenever what a recording keeps changes (3: every trace names its scene; 2:
zero-gradient rows, layer kinds and sizes, where a diverged run stopped), so that a trace
cached by older code never stands in for what the new code would record."""


def cache_key(payload: dict[str, Any]) -> str:
    """A stable hash of ``payload`` (plain JSON-able data) and the library versions."""
    from mlanim import __version__

    full = dict(payload, mlanim=__version__, torch=version("torch"), trace_format=FORMAT_VERSION,
                recording=RECORDING_VERSION)
    text = json.dumps(full, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_trace_path(key: str) -> Path:
    """The cache file for ``key`` (it may not exist yet)."""
    return cache_dir() / f"{key}.mlanim"


def trace_identity(meta: dict[str, Any], digest: str | None) -> str:
    """What identifies a trace: the hash of its content when it was read from a file (never
    its name: a file edited in place is another trace), else its spec hash or metadata."""
    if digest:
        return digest
    if meta.get("spec_hash"):
        return str(meta["spec_hash"])
    return cache_key({"meta": meta})


def derived_path(identity: str, how: dict[str, Any]) -> Path:
    """The cache file for data derived from the trace ``identity`` as ``how`` says."""
    return cache_dir() / "derived" / f"{identity}-{cache_key(how)}.npz"


def cached_traces() -> list[Path]:
    """The cached trace files, newest first."""
    return sorted((p for p in own_files(cache_dir()) if p.suffix == ".mlanim"),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def clear_cache() -> tuple[int, int]:
    """Delete every cached trace, derived file, cluster result and the file-hash index (by
    `own_files`: nothing else in the folder); return how many files and bytes were
    removed."""
    folder = cache_dir()
    removed = freed = 0
    for path in [*own_files(folder), *own_files(folder, "derived"),
                 *own_files(folder, "results")]:
        with contextlib.suppress(OSError):
            size = path.stat().st_size
            path.unlink()
            freed += size
            removed += 1
    return removed, freed
