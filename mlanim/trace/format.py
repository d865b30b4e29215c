"""The trace file: named channels of snapshots, static arrays, and JSON metadata, in one zip.

A channel's values have the snapshot index as first axis, with the training step and epoch of
each snapshot beside them. Channels marked ``half`` are stored as float16 (pictures, projections);
``full`` ones as float32 (values that tests compare with torch to 1e-5). Reading is lazy: an array
is decompressed when first asked for.

float16 channels are stored losslessly as the difference of each snapshot's bit patterns from the
previous snapshot's, high bytes apart from low bytes, then deflated: successive snapshots differ
little, so this takes 0.56 of the raw size where plain deflate takes 0.87 (benchmarks/trace_size).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mlanim.atomic import atomic_path
from mlanim.errors import DataError

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
HALF_CODEC = "f16-delta-shuffle"
Precision = Literal["half", "full"]


@dataclass
class Channel:
    """Snapshots of one recorded quantity."""

    values: np.ndarray
    steps: np.ndarray
    epochs: np.ndarray


@dataclass
class TraceWriter:
    """Accumulates snapshots during training, then freezes them into a `Trace`."""

    meta: dict[str, Any] = field(default_factory=dict)
    _rows: dict[str, list[np.ndarray]] = field(default_factory=dict)
    _when: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    _precision: dict[str, Precision] = field(default_factory=dict)
    _static: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, name: str, value: Any, step: int, epoch: float,
            precision: Precision = "full") -> None:
        """Append a copy of one snapshot of channel ``name`` taken at ``step`` / ``epoch``.

        Always a copy: a view of a live tensor would be rewritten by the next optimizer step.
        """
        self._rows.setdefault(name, []).append(np.array(value, dtype=np.float32, copy=True))
        self._when.setdefault(name, []).append((step, epoch))
        self._precision[name] = precision

    def snapshots(self, name: str) -> list[np.ndarray]:
        """The snapshots of channel ``name`` recorded so far (empty when none)."""
        return self._rows.get(name, [])

    def rows_since(self, marks: dict[str, int]) -> list[tuple[str, int, float, str, np.ndarray]]:
        """The rows added after ``marks`` (each channel's row count when last asked; empty:
        every row), as (channel, step, epoch, precision, values), channels in the order they
        began; ``marks`` is moved past them."""
        rows = []
        for name, values in self._rows.items():
            start = marks.get(name, 0)
            rows.extend((name, *self._when[name][k], self._precision[name], values[k])
                        for k in range(start, len(values)))
            marks[name] = len(values)
        return rows

    def retime(self, epoch_of: Callable[[int], float]) -> None:
        """Set every snapshot's epoch from its step (when epochs become known only at the
        end, as in a user's own loop)."""
        for name, when in self._when.items():
            self._when[name] = [(step, epoch_of(step)) for step, _ in when]

    def static(self, name: str, value: np.ndarray) -> None:
        """Store an array that does not change over training (data points, grid axes)."""
        self._static[name] = np.asarray(value)

    def statics(self) -> dict[str, np.ndarray]:
        """The static arrays stored so far (a new dict; the arrays themselves)."""
        return dict(self._static)

    def freeze(self) -> Trace:
        """The recorded trace, held in memory."""
        channels = {}
        for name, rows in self._rows.items():
            when = np.array(self._when[name], dtype=np.float64)
            values = np.stack(rows)
            if self._precision[name] == "half" and _fits_half(values):
                values = values.astype(np.float16)
            channels[name] = Channel(values, when[:, 0].astype(np.int64), when[:, 1])
        return Trace(dict(self.meta), channels, dict(self._static))


def _fits_half(values: np.ndarray) -> bool:
    """float16 holds magnitudes up to 65504; a diverging run's outputs may not fit."""
    largest = float(np.max(values, initial=0.0)), -float(np.min(values, initial=0.0))
    if all(np.isfinite(largest)):
        return max(largest) < 60000
    finite = values[np.isfinite(values)]
    return finite.size == 0 or float(np.abs(finite).max()) < 60000


class Trace:
    """A recorded run: plain numpy data, no torch objects. Renderers read only this."""

    def __init__(self, meta: dict[str, Any], channels: Mapping[str, Channel],
                 statics: Mapping[str, np.ndarray], path: Path | None = None) -> None:
        self.meta = meta
        self.path = path
        self.digest: str | None = None  # a hash of the whole file, once read from disk
        self._channels = channels
        self._statics = statics

    @property
    def channel_names(self) -> list[str]:
        """Names of the recorded channels."""
        return sorted(self._channels)

    @property
    def static_names(self) -> list[str]:
        """Names of the static arrays."""
        return sorted(self._statics)

    def __contains__(self, name: str) -> bool:
        return name in self._channels or name in self._statics

    def attach(self, name: str, value: np.ndarray) -> None:
        """Add a static array to an in-memory trace (derived data recorded with it)."""
        if not isinstance(self._statics, dict):
            raise TypeError("attach() works on a trace being recorded, not one read from disk")
        self._statics[name] = np.asarray(value)

    def channel(self, name: str) -> Channel:
        """The channel ``name``; a clear error when the trace lacks it."""
        if name not in self._channels:
            raise DataError(f"the trace has no channel '{name}'", hint=self._rerecord_hint())
        return self._channels[name]

    def values(self, name: str) -> np.ndarray:
        """Snapshot values of ``name`` as float32, first axis the snapshot index."""
        return np.asarray(self.channel(name).values, dtype=np.float32)

    def static(self, name: str) -> np.ndarray:
        """A static array."""
        if name not in self._statics:
            raise DataError(f"the trace has no array '{name}'", hint=self._rerecord_hint())
        return self._statics[name]

    def _rerecord_hint(self) -> str:
        if self.meta.get("source") == "watch":  # --fresh means nothing to a run of your own
            return "record the run again with mlanim.watch (see its arguments in help())"
        return "re-record it with --fresh, or use a trace made for this scene"

    def channels_with_prefix(self, prefix: str) -> Iterator[str]:
        """Channel names starting with ``prefix`` in recording order."""
        return (n for n in self._channels if n.startswith(prefix))

    def save(self, path: Path) -> Path:
        """Write the trace to ``path`` atomically (zip of .npy members plus meta.json, which
        lists each member's SHA-256 so damage is caught when the trace is read)."""
        members: dict[str, bytes] = {}
        meta = dict(self.meta, format_version=FORMAT_VERSION,
                    channels={n: list(c.values.shape) for n, c in self._channels.items()},
                    channel_order=list(self._channels))
        coded = [n for n, c in self._channels.items() if c.values.dtype == np.float16]
        meta["codecs"] = dict.fromkeys(coded, HALF_CODEC)
        for name, chan in self._channels.items():
            if name in coded:
                members[f"channels/{name}/values.bin"] = encode_half(chan.values)
            else:
                members[f"channels/{name}/values.npy"] = _npy(chan.values)
            for part in ("steps", "epochs"):
                members[f"channels/{name}/{part}.npy"] = _npy(getattr(chan, part))
        for name, value in self._statics.items():
            members[f"static/{name}.npy"] = _npy(value)
        meta["checksums"] = {name: hashlib.sha256(data).hexdigest()
                             for name, data in members.items()}
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as box:
            box.writestr("meta.json", json.dumps(meta, indent=1, sort_keys=True))
            for name, data in members.items():
                box.writestr(name, data)
        return path


def encode_half(values: np.ndarray) -> bytes:
    """float16 snapshots (first axis) as bytes: bit-pattern deltas between snapshots, with all
    high bytes before all low bytes."""
    bits = np.ascontiguousarray(values, dtype=np.float16).view(np.uint16)
    deltas = np.diff(bits, axis=0, prepend=np.zeros_like(bits[:1]))  # wraps modulo 2**16
    return np.ascontiguousarray(deltas.astype("<u2").view(np.uint8).reshape(-1, 2).T).tobytes()


def decode_half(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of `encode_half`."""
    planes = np.frombuffer(data, dtype=np.uint8).reshape(2, -1)
    deltas = np.ascontiguousarray(planes.T).view("<u2").reshape(shape)
    return np.cumsum(deltas, axis=0, dtype=np.uint16).view(np.float16)


def _npy(value: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(value), allow_pickle=False)
    return buffer.getvalue()


class _Lazy(Mapping):
    """A read-only mapping whose values are loaded on first access, then kept."""

    def __init__(self, names: list[str], load: Callable[[str], Any]) -> None:
        self._names, self._load = names, load
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def load_trace(path: Path) -> Trace:
    """Open a trace file. It is checked whole first, as a file from a stranger would be: its
    metadata's shape, every member's size against its declared shape and the size cap (before
    anything is decompressed), and every member's SHA-256; arrays are then read lazily.
    A run still being recorded (or that never finished) is read up to its last whole
    snapshot."""
    from mlanim.trace.journal import is_journal

    if is_journal(path):
        return load_journal(path)
    box, meta = _open(path)
    try:
        digest = _verify(path, box, meta)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path} is damaged ({err})",
                        hint="record it again (mlanim trace SPEC)") from None

    def array(member: str) -> np.ndarray:
        with box.open(f"{member}.npy") as handle:
            return np.load(io.BytesIO(handle.read()), allow_pickle=False)

    codecs = meta.get("codecs", {})

    def channel(name: str) -> Channel:
        if codecs.get(name) == HALF_CODEC:
            values = decode_half(box.read(f"channels/{name}/values.bin"),
                                 tuple(meta["channels"][name]))
        else:
            values = array(f"channels/{name}/values")
        return Channel(values, *(array(f"channels/{name}/{part}") for part in ("steps", "epochs")))

    statics = [m[len("static/"): -len(".npy")] for m in box.namelist()
               if m.startswith("static/") and m.endswith(".npy")]
    trace = Trace(meta, _Lazy(list(meta["channel_order"]), channel),
                  _Lazy(statics, lambda name: array(f"static/{name}")), path)
    trace.digest = digest
    return trace


def assemble(rows: list[tuple[str, int, float, str, np.ndarray]],
             statics: dict[str, np.ndarray], state: dict[str, Any]) -> Trace:
    """The trace of a recording's rows, static arrays and state: what ``rec.save()`` writes,
    and what a run that never finished is read as. ``state`` holds the ``meta``, the
    ``metrics`` points (``[name, value, step]``) and ``steps_per_epoch`` (each snapshot's
    epoch is its step over it; without it, pictures count steps)."""
    writer = TraceWriter(meta=dict(state.get("meta") or {}))
    for channel, step, epoch, precision, values in rows:
        writer.add(channel, values, step, epoch, precision)  # type: ignore[arg-type]
    for name, value, step in state.get("metrics") or []:
        writer.add(f"metrics/{name}", value, step, step)
    per_epoch = state.get("steps_per_epoch")
    writer.retime(lambda step: step / per_epoch if per_epoch else float(step))
    for name, value in statics.items():
        writer.static(name, value)
    return writer.freeze()


def load_journal(path: Path) -> Trace:
    """A run that is still being recorded, or never finished, as a trace of its whole
    records; its ``meta["unfinished"]`` says how far it got."""
    from mlanim.trace.journal import read_journal

    replayed = read_journal(path)
    _check_meta(path, replayed.state.get("meta"))  # sizes a picture would build from
    try:
        trace = assemble(replayed.rows, replayed.statics, replayed.state)
    except (TypeError, ValueError, KeyError) as err:
        raise DataError(f"{path}: its records do not make a run ({err})",
                        hint="the file was not written by mlanim.watch; record the run again") \
            from None
    trace.meta["unfinished"] = {"records": replayed.records,
                                "steps": trace.meta.get("steps")}
    trace.path, trace.digest = path, replayed.digest
    return trace


META_BYTES = 64 * 2**20  # the largest meta.json read
MAX_MEMBERS = 20_000
"""The most files a trace may hold (a channel is three): more is not a trace mlanim wrote."""
META_DEPTH = 32
"""The deepest nesting of a trace's metadata."""
LARGEST_DECLARED = 1_000_000
"""The largest layer width, bin count or side a trace's metadata may declare: what a spec
may ask for (a layer of a million neurons), so that nothing is built from a bigger claim."""
FORMAT_KEYS = ("channels", "channel_order", "checksums", "codecs")
SIZE_KEYS = ("widths", "hidden", "channels", "sides", "bins", "resolution", "classes_count")
"""Metadata keys whose numbers size what a picture builds."""


def _open(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """The zip and its metadata, with a `DataError` for anything that is not a trace."""
    not_trace = DataError(f"{path} is not an mlanim trace file",
                          hint="name a .mlanim file written by mlanim trace or render")
    try:
        box = zipfile.ZipFile(path)
        if len(box.infolist()) > MAX_MEMBERS:
            raise DataError(f"{path} holds {len(box.infolist()):,} files, more than a trace "
                            f"has ({MAX_MEMBERS:,} at most)",
                            hint="name a .mlanim file written by mlanim trace or render")
        info = box.getinfo("meta.json")
        if info.file_size > META_BYTES:
            raise not_trace
        meta = json.loads(box.read(info))
    except FileNotFoundError:
        raise DataError(f"trace file not found: {path}") from None
    except RecursionError:
        raise DataError(f"{path}: its metadata nests too deeply to be a trace's",
                        hint="name a .mlanim file written by mlanim trace or render") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zlib.error):
        raise not_trace from None
    if not isinstance(meta, dict):
        raise not_trace
    _check_meta(path, meta)
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise DataError(f"{path}: trace format {meta.get('format_version')} is not supported",
                        hint="record it again with this version of mlanim")
    order, shapes = meta.get("channel_order"), meta.get("channels")
    if not (isinstance(order, list) and all(isinstance(n, str) for n in order)
            and isinstance(shapes, dict) and isinstance(meta.get("codecs", {}), dict)):
        raise not_trace
    return box, meta


def _check_meta(path: Path, meta: Any, trail: tuple[str, ...] = ()) -> None:
    """Metadata nested at most `META_DEPTH` deep, and every number under a `SIZE_KEYS` key a
    whole number from 0 to `LARGEST_DECLARED` (what a picture would size its arrays by)."""
    if len(trail) > META_DEPTH:
        raise DataError(f"{path}: its metadata nests more than {META_DEPTH} deep",
                        hint="name a .mlanim file written by mlanim trace or render")
    children = meta.items() if isinstance(meta, dict) else \
        enumerate(meta) if isinstance(meta, list) else ()
    for key, value in children:
        here = (*trail, str(key))
        if here[0] in FORMAT_KEYS:
            continue  # the file's own bookkeeping, checked against its members
        if isinstance(value, dict | list):
            _check_meta(path, value, here)
        elif any(part in SIZE_KEYS for part in here) and not _declared_size(value):
            raise DataError(f"{path}: its metadata declares {'.'.join(here)} = {value!r}, not "
                            f"a size from 0 to {LARGEST_DECLARED:,}",
                            hint="a trace mlanim wrote never does: record it again")


def _declared_size(value: Any) -> bool:
    return value is None or isinstance(value, str) or (
        isinstance(value, int | float) and not isinstance(value, bool)
        and math.isfinite(value) and 0 <= value <= LARGEST_DECLARED)


def _verify(path: Path, box: zipfile.ZipFile, meta: dict[str, Any]) -> str:
    """Check sizes, shapes, types and checksums of every member; return a digest of the
    whole trace (what identifies it for derived-data caches)."""
    from mlanim.inputs import max_input_bytes, megabytes

    infos = {info.filename: info for info in box.infolist() if info.filename != "meta.json"}
    total, cap = sum(info.file_size for info in infos.values()), max_input_bytes()
    if total > cap:
        raise DataError(f"{path} would take {megabytes(total)} once decompressed, over "
                        f"the {megabytes(cap)} limit",
                        hint="raise it with MLANIM_MAX_INPUT_MB if you trust the file")
    shapes: dict[str, tuple[int, ...]] = {}
    for name, info in infos.items():
        if name.endswith(".npy"):
            shapes[name] = _npy_shape(path, box, info)
    _check_channels(path, meta, infos, shapes)
    sums = meta.get("checksums")
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    for name in sorted(infos) if isinstance(sums, dict) else ():
        if sums.get(name) != _member_hash(box, name):
            raise DataError(f"{path} is damaged: {name} does not match its checksum",
                            hint="record it again (mlanim trace SPEC)")
    if not isinstance(sums, dict):  # older traces: the zip's CRC-32 checks are all there is
        for name in sorted(infos):
            digest.update(_member_hash(box, name).encode())
    return digest.hexdigest()[:20]


def _npy_shape(path: Path, box: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, ...]:
    """An .npy member's declared shape, read from its header alone; it must hold numbers and
    exactly the bytes its shape needs."""
    with box.open(info) as handle:
        try:
            major, _ = np.lib.format.read_magic(handle)
            reader = np.lib.format.read_array_header_1_0 if major == 1 else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = reader(handle)
            header = handle.tell()
        except ValueError as err:
            raise DataError(f"{path}: {info.filename} is not a numpy array ({err})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise DataError(f"{path}: {info.filename} holds {dtype} values, not numbers",
                        hint="traces hold numeric arrays only; record it with mlanim")
    need = header + math.prod(int(side) for side in shape) * dtype.itemsize  # exact: no wrap
    if need != info.file_size:
        raise DataError(f"{path}: {info.filename} declares shape {list(shape)} but holds "
                        f"{info.file_size} bytes", hint="record it again (mlanim trace SPEC)")
    return tuple(shape)


def _check_channels(path: Path, meta: dict[str, Any], infos: dict[str, zipfile.ZipInfo],
                    shapes: dict[str, tuple[int, ...]]) -> None:
    """Every listed channel has values, steps and epochs of one snapshot count."""
    codecs = meta.get("codecs", {})
    for name in meta["channel_order"]:
        base = f"channels/{name}/"
        steps, epochs = shapes.get(base + "steps.npy"), shapes.get(base + "epochs.npy")
        if codecs.get(name) == HALF_CODEC:
            declared = meta["channels"].get(name)
            values = tuple(declared) if isinstance(declared, list) and all(
                isinstance(v, int) and v >= 0 for v in declared) else None
            member = infos.get(base + "values.bin")
            if values is None or member is None or \
                    member.file_size != 2 * math.prod(values):
                values = None
        else:
            values = shapes.get(base + "values.npy")
        if values is None or steps is None or epochs is None or not values or \
                values[0] == 0 or steps != (values[0],) or epochs != (values[0],):
            raise DataError(f"{path}: channel {name} is empty, incomplete or its arrays "
                            "disagree in length", hint="record it again (mlanim trace SPEC)")


def _member_hash(box: zipfile.ZipFile, name: str) -> str:
    """SHA-256 of a member's bytes, read in blocks (the zip checks its CRC-32 on the way)."""
    digest = hashlib.sha256()
    with box.open(name) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
