"""The files a spec names (data, labels, corpus, trace), treated as written by a stranger:
each must be a regular file within a size cap, and its content (not its name) identifies it
in the trace cache, so a cached trace never stands in for different data.

Content hashes are remembered per file by (device, inode, size, modification time) in
``files.json`` beside the cached traces, so an unchanged large file is not hashed twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from mlanim.errors import DataError, UserError

MAX_INPUT_MB = 4096
"""The largest file a spec may name, in MB; ``$MLANIM_MAX_INPUT_MB`` changes it."""

KeyPath = Sequence[str | int]


def megabytes_setting(variable: str, default: float) -> int:
    """Bytes from an environment variable given in MB (``default`` when unset or empty); a
    value that is not a finite number of MB above 0 is refused in one line."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return int(default * 2**20)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0 or value > 2**40:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UserError(f"{variable}={shown!r} is not a size in MB",
                        hint=f"set it to a number of MB such as {default:g}, or unset it")
    return max(1, int(value * 2**20))


def max_input_bytes() -> int:
    """The size cap for files a spec names, from ``$MLANIM_MAX_INPUT_MB`` (default 4096)."""
    return megabytes_setting("MLANIM_MAX_INPUT_MB", MAX_INPUT_MB)


def megabytes(size: int) -> str:
    """A byte count for messages: ``4,096 MB``, ``0.0098 MB``."""
    mb = size / 2**20
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:.2g} MB"


def check_input_file(path: Path, key: KeyPath = ()) -> os.stat_result:
    """The file's status if ``path`` is a regular file within the cap; otherwise a located
    `DataError` saying what it is instead (missing, a folder, a device, a pipe, a loop)."""
    kind = {"data": "data file", "task": "corpus file", "trace": "trace file"}.get(
        str(key[0]) if key else "", "file")
    try:
        status = path.stat()
    except FileNotFoundError:
        raise DataError(f"{kind} not found: {path}{_named(key)}", key_path=key,
                        hint="check the path (relative to the spec file)") from None
    except OSError as err:  # a symlink loop, a name too long, no permission
        raise DataError(f"cannot read {path}{_named(key)}: {err.strerror}",
                        key_path=key) from None
    if not stat.S_ISREG(status.st_mode):
        what = "a folder" if stat.S_ISDIR(status.st_mode) else \
            "a pipe" if stat.S_ISFIFO(status.st_mode) else "a device or socket"
        raise DataError(f"{path}{_named(key)} is {what}, not a regular file", key_path=key,
                        hint="name a data file")
    cap = max_input_bytes()
    if status.st_size > cap:
        raise DataError(f"{path} is {megabytes(status.st_size)}, over the "
                        f"{megabytes(cap)} limit for files a spec names", key_path=key,
                        hint="raise it with MLANIM_MAX_INPUT_MB if you trust the file")
    return status


def _named(key: KeyPath) -> str:
    """`` (data.path)``: the spec key a path was written at, for messages."""
    return f" ({'.'.join(map(str, key))})" if key else ""


class SpecFiles:
    """A resolver for the paths in one spec: checks each file as it is resolved and keeps
    its content hash for the cache key (`fingerprints`)."""

    def __init__(self, resolve: Callable[[str], Path], index: Path | None = None) -> None:
        self._resolve, self._index = resolve, index
        self._seen: dict[str, str] = {}
        self._named: dict[tuple, Path] = {}

    def __call__(self, relative: str, key: KeyPath = ()) -> Path:
        """The checked path of ``relative`` (as written in the spec at ``key``)."""
        path = self._resolve(relative)
        status = check_input_file(path, key)
        real = os.path.realpath(path)
        named = ".".join(str(part) for part in key) or real
        self._seen[named] = content_hash(Path(real), status, self._index)
        self._named[tuple(key)] = Path(real)
        return path

    def named(self) -> dict[tuple, Path]:
        """Each resolved file by the spec key that names it (for shipping a spec and its
        files to another machine)."""
        return dict(self._named)

    def fingerprints(self) -> dict[str, str]:
        """Each resolved file's content hash by the spec key that names it, for the trace
        cache key: what a file holds decides the trace, not where it lies (a cluster
        worker's copy in a temporary folder finds the trace its client recorded)."""
        return dict(sorted(self._seen.items()))


def content_hash(path: Path, status: os.stat_result, index: Path | None = None) -> str:
    """SHA-256 of the file's bytes, read in blocks; remembered in ``index`` by the file's
    device, inode, size, modification time and change time (``cp -p`` keeps the first four
    of a file it replaces; no user tool sets the change time)."""
    identity = (f"{status.st_dev}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:"
                f"{status.st_ctime_ns}")
    known = _read_index(index)
    if known.get(str(path), {}).get("identity") == identity:
        return str(known[str(path)]["sha256"])
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    if index is not None:
        known[str(path)] = {"identity": identity, "sha256": value}
        _write_index(index, known)
    return value


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _read_index(index: Path | None) -> dict:
    if index is None or not index.is_file():
        return {}
    try:
        known = json.loads(index.read_text())
    except (OSError, ValueError):
        return {}  # a damaged index only costs a re-hash
    return known if _is_index(known) else {}


def _is_index(known: object) -> bool:
    """Whether ``known`` is the file index this module writes (path -> identity, hash)."""
    return isinstance(known, dict) and all(
        isinstance(entry, dict) and set(entry) == {"identity", "sha256"}
        for entry in known.values())


def _write_index(index: Path, known: dict) -> None:
    if index.exists() and not _is_index(_read_json(index)):
        return  # a file of someone else's by that name: never replaced
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp = index.with_name(f".{index.name}.{os.getpid()}")
        tmp.write_text(json.dumps(known))
        os.replace(tmp, index)
    except OSError:
        pass  # the index is an optimisation: an unwritable cache folder must not fail a render
