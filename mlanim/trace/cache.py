"""The trace cache: train once, render many times.

A trace is stored in the user's cache folder (or ``$MLANIM_CACHE_DIR``) by the hash of
everything that affects training: the data, model and train sections, the seed, the recording
plan, and the versions of mlanim and torch. Changing only ``render:`` therefore re-renders
without retraining.
Data derived from a trace (projections) is cached beside it, keyed by the trace and by how it
was derived, so switching between such analyses never retrains either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mlanim.inputs import megabytes_setting
from mlanim.trace.format import FORMAT_VERSION

CACHE_MB = 4096
"""The cache's size cap in MB (``$MLANIM_CACHE_MB``): past it, the least recently used go."""


def cache_dir() -> Path:
    """Where cached traces live: ``$MLANIM_CACHE_DIR``, else the user's cache folder
    (``~/.cache/mlanim`` on Linux)."""
    if os.environ.get("MLANIM_CACHE_DIR"):
        return Path(os.environ["MLANIM_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mlanim", appauthor=False))


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
    entries = [p for p in (*folder.glob("*.mlanim"), *(folder / "derived").glob("*.npz"))
               if p.is_file()]
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


RECORDING_VERSION = 2
"""Bumped whenever what a recording keeps changes (2: zero-gradient rows, layer kinds and
sizes, where a diverged run stopped), so that a trace cached by older code never stands in
for what the new code would record."""


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
    folder = cache_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.mlanim"), key=lambda p: p.stat().st_mtime, reverse=True)


def clear_cache() -> tuple[int, int]:
    """Delete every cached trace, derived file and the file-hash index; return how many
    files and bytes were removed."""
    folder = cache_dir()
    if not folder.is_dir():
        return 0, 0
    removed = freed = 0
    for path in [*folder.glob("*.mlanim"), *(folder / "derived").glob("*.npz"),
                 folder / "files.json"]:
        if path.is_file():
            freed += path.stat().st_size
            path.unlink()
            removed += 1
    return removed, freed
