"""A run recorded as it goes: an append-only file of records, readable after any crash.

`mlanim.watch(model, path=...)` appends a record at every snapshot: the channel rows recorded
since the last record, the per-step summaries since then (rows appended to static arrays),
and the run's current metadata, metric points and static arrays (only those that changed).
``rec.save()`` turns the file into an ordinary trace (a zip) in place; until then, and after a
crash, a Ctrl-C or a SIGKILL, `read_journal` replays the records that were written whole.

The file is the magic line, then records, each::

    b"REC1" | payload length (8 bytes, little-endian) | SHA-256 of the payload | payload

and a payload is the length of its JSON header (4 bytes), the header, then the arrays'
bytes. A record is read only when all of it is there and its checksum matches, so a record
cut by a crash (the last one) is never read, and nothing after a damaged record is either.
The file is a stranger's like any input: sizes are checked against the input cap before
anything is allocated, and arrays must hold numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mlanim.atomic import remove_stale_partials, temporary_name
from mlanim.errors import DataError

MAGIC = b"MLANIM-RUN 1\n"
"""The first bytes of a run being recorded (a finished trace is a zip: it starts ``PK``)."""
RECORD = b"REC1"
HEAD = len(RECORD) + 8 + 32
HEADER_BYTES = 16 * 2**20
"""The largest JSON header a record may have."""


@dataclass
class Record:
    """One flush of a recording: what changed since the previous record."""

    rows: list[tuple[str, int, float, str, np.ndarray]] = field(default_factory=list)
    """New channel rows: (channel, step, epoch, precision, values)."""
    appends: dict[str, np.ndarray] = field(default_factory=dict)
    """Rows to add (along the first axis) to static arrays that grow step by step."""
    statics: dict[str, np.ndarray] = field(default_factory=dict)
    """Static arrays set (or replaced) now."""
    state: dict[str, Any] | None = None
    """The run's metadata and bookkeeping as of this record (replaces the previous)."""


def is_journal(path: Path) -> bool:
    """Whether ``path`` is a run still being recorded (or one that never finished)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class JournalWriter:
    """Appends `Record`s to a run's file, each flushed to the operating system as written
    (so a killed process loses nothing it wrote; only a power cut can lose the last ones)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file appears with its first bytes whole: created empty at its name, a run killed
        # before they were written left a file that read as no run at all.
        remove_stale_partials(path.parent)
        partial = temporary_name(path)
        partial.write_bytes(MAGIC)
        os.replace(partial, path)
        self._file: BinaryIO | None = open(path, "ab")  # noqa: SIM115 (kept open for appends)

    def append(self, record: Record) -> None:
        """Write ``record`` whole, after the ones before it."""
        if self._file is None:
            raise ValueError("this journal is closed")
        payload = encode_record(record)
        self._file.write(RECORD + len(payload).to_bytes(8, "little")
                         + hashlib.sha256(payload).digest())
        self._file.write(payload)
        self._file.flush()

    def close(self) -> None:
        """Stop appending (the file stays as written)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def encode_record(record: Record) -> bytes:
    """A record's payload: its JSON header, then its arrays' bytes in header order."""
    arrays: list[np.ndarray] = []
    entries = []

    def place(value: np.ndarray, **about: Any) -> None:
        value = np.asarray(value, order="C")  # ascontiguousarray would make a scalar 1-D
        entries.append({**about, "dtype": value.dtype.str, "shape": list(value.shape)})
        arrays.append(value)

    for channel, step, epoch, precision, values in record.rows:
        place(values, role="row", name=channel, step=step, epoch=epoch, precision=precision)
    for name, value in record.appends.items():
        place(value, role="append", name=name)
    for name, value in record.statics.items():
        place(value, role="static", name=name)
    header = json.dumps({"arrays": entries, "state": record.state}, default=_plain).encode()
    return b"".join([len(header).to_bytes(4, "little"), header,
                     *(a.tobytes() for a in arrays)])


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass
class Replayed:
    """What a journal holds: every whole record, merged, and how much of the file they span."""

    rows: list[tuple[str, int, float, str, np.ndarray]]
    statics: dict[str, np.ndarray]
    state: dict[str, Any]
    records: int
    digest: str


def read_journal(path: Path) -> Replayed:
    """Every record written whole, merged: a half-written last record is left out.

    Read again in the same process (a live page's builder reads its run at every change),
    only the records added since are read, when the file is still the one read before
    (`_Reading.goes_on`); otherwise it is read from its start."""
    from mlanim.inputs import max_input_bytes

    key = os.path.abspath(path)
    with open(path, "rb") as handle:
        reading = _READINGS.pop(key, None)
        if reading is None or not reading.goes_on(handle):
            handle.seek(0)
            if handle.read(len(MAGIC)) != MAGIC:
                raise DataError(f"{path} is not a run being recorded")
            reading = _Reading(os.fstat(handle.fileno()))
        reading.read(handle, path, max_input_bytes())
    _READINGS[key] = reading
    while len(_READINGS) > KEPT_READINGS:
        del _READINGS[next(iter(_READINGS))]
    return reading.replayed(path)


KEPT_READINGS = 2
"""Runs whose readings this process keeps (oldest dropped first): each holds its run's rows."""


class _Reading:
    """What has been read of one journal: its records merged, and where reading stopped."""

    def __init__(self, info: os.stat_result) -> None:
        self.file = (info.st_dev, info.st_ino)
        self.offset = len(MAGIC)
        self.last_record, self.last_head = 0, b""  # where the last whole record read starts
        self.stamp = (info.st_size, info.st_mtime_ns)  # the file when reading stopped
        self.rows: list[tuple[str, int, float, str, np.ndarray]] = []
        self.appended: dict[str, list[np.ndarray]] = {}
        self.statics: dict[str, np.ndarray] = {}
        self.state: dict[str, Any] | None = None
        self.count = self.total = 0
        self.digest = hashlib.sha256()

    def goes_on(self, handle: BinaryIO) -> bool:
        """Whether the open file is the one read, grown or as it was: the same file, no
        shorter, unchanged if no longer, and the last record read still where it was. (A
        journal is only appended to; a file written anew at the path is read anew.) Leaves
        the handle where reading goes on."""
        info = os.fstat(handle.fileno())
        if (info.st_dev, info.st_ino) != self.file or info.st_size < self.offset:
            return False
        if info.st_size == self.stamp[0] and info.st_mtime_ns != self.stamp[1]:
            return False
        if self.last_head:
            handle.seek(self.last_record)
            if handle.read(HEAD) != self.last_head:
                return False
        handle.seek(self.offset)
        return True

    def read(self, handle: BinaryIO, path: Path, cap: int) -> None:
        """Read the whole records from the handle's position on."""
        for start, head, payload in _payloads(handle, cap, path, self.offset, self.total):
            record = decode_record(path, payload)
            self.digest.update(payload)
            self.count += 1
            self.total += len(payload)
            self.rows.extend(record.rows)
            for name, value in record.appends.items():
                self.appended.setdefault(name, []).append(value)
            self.statics.update(record.statics)
            self.state = record.state if record.state is not None else self.state
            self.last_record, self.last_head = start, head
            self.offset = start + HEAD + len(payload)
        info = os.fstat(handle.fileno())
        self.stamp = (info.st_size, info.st_mtime_ns)

    def replayed(self, path: Path) -> Replayed:
        """The records read so far, merged (new lists: the reading goes on)."""
        if self.state is None:
            raise DataError(f"{path} holds no snapshot yet: the run stopped (or is still) "
                            "before its first one", hint="let the run reach its first snapshot "
                                                         "(watch's every= steps, or rec.epoch())")
        statics = dict(self.statics)
        for name, parts in self.appended.items():
            if len(parts) > 1:  # joined once; later reads add to the joined array
                parts[:] = [np.concatenate(parts)]
            statics[name] = parts[0]
        return Replayed(list(self.rows), statics, self.state, self.count,
                        self.digest.hexdigest()[:20])


_READINGS: dict[str, _Reading] = {}


def _payloads(handle: BinaryIO, cap: int, path: Path, start: int = len(MAGIC),
              total: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
    """Each whole record from ``start`` on, in order, as (where it starts, its head, its
    payload); stops at the end or at a cut or damaged one. A `DataError` before reading past
    ``cap`` bytes of records (``total`` of them read before ``start``)."""
    if total > cap:  # read before, and the cap lowered since
        raise _over_cap(path, cap)
    handle.seek(start)
    while True:
        head = handle.read(HEAD)
        if len(head) < HEAD or head[:4] != RECORD:
            return
        size, checksum = int.from_bytes(head[4:12], "little"), head[12:]
        here = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        if size > end - here:
            return  # cut short: the writer was stopped while writing it
        total += size
        if total > cap:
            raise _over_cap(path, cap)
        handle.seek(here)
        payload = handle.read(size)
        if hashlib.sha256(payload).digest() != checksum:
            return
        yield here - HEAD, head, payload


def _over_cap(path: Path, cap: int) -> DataError:
    from mlanim.inputs import megabytes

    return DataError(f"{path} holds over {megabytes(cap)} of recording",
                     hint="raise the limit with MLANIM_MAX_INPUT_MB if you trust the file")


def decode_record(path: Path, payload: bytes) -> Record:
    """The inverse of `encode_record`, checking every declared size against the bytes there."""
    bad = DataError(f"{path}: a record of this run is malformed",
                    hint="the file was not written by mlanim.watch; record the run again")
    size = int.from_bytes(payload[:4], "little")
    if size > min(HEADER_BYTES, len(payload) - 4):
        raise bad
    try:
        header = json.loads(payload[4: 4 + size])
    except (ValueError, RecursionError):
        raise bad from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list) or \
            not isinstance(header.get("state"), dict | None):
        raise bad
    record, offset = Record(state=header["state"]), 4 + size
    for entry in header["arrays"]:
        value, offset = _array(entry, payload, offset, bad)
        role, name = entry.get("role"), entry.get("name")
        if role == "row" and _number(entry.get("step")) and _number(entry.get("epoch")) \
                and entry.get("precision") in ("half", "full"):
            record.rows.append((name, int(entry["step"]), float(entry["epoch"]),
                                entry["precision"], value))
        elif role == "append" and value.ndim >= 1:
            record.appends[name] = value
        elif role == "static":
            record.statics[name] = value
        else:
            raise bad
    if offset != len(payload):
        raise bad
    return record


def _array(entry: Any, payload: bytes, offset: int, bad: DataError) -> tuple[np.ndarray, int]:
    """The array ``entry`` declares at ``offset`` of ``payload``, and the offset after it."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise bad
    try:
        dtype = np.dtype(entry.get("dtype"))
    except (TypeError, ValueError):
        raise bad from None
    shape = entry.get("shape")
    if dtype.hasobject or dtype.kind not in "biuf" or not isinstance(shape, list) or \
            not all(isinstance(side, int) and side >= 0 for side in shape):
        raise bad
    size = math.prod(shape) * dtype.itemsize
    if size > len(payload) - offset:
        raise bad
    value = np.frombuffer(payload, dtype, math.prod(shape), offset).reshape(shape)
    return value, offset + size


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)

