"""A spec packed to render on another machine: its text, the bytes of every file it names,
and the client's cached trace when there is one; and rendering such a package on a worker.

The client checks the spec (a mistake is reported, located, before anything is sent) and
resolves its files; each file travels under a local name that a ``--set`` points the spec's
key at, so nothing relies on a shared working directory. The worker renders into a
temporary folder and returns the outputs and the trace as bytes; the client writes them.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlanim import __version__
from mlanim.errors import UserError
from mlanim.pipeline import RenderOptions

REPORT_SECONDS = 2.0  # at most one progress line a task every this many seconds


@dataclass(frozen=True)
class Package:
    """Everything a worker needs to render one spec: plain data and bytes."""

    origin: str  # the spec's path on the client, for messages
    name: str  # its file name (the outputs' stem)
    text: str
    sets: tuple[str, ...]
    files: dict[str, bytes] = field(repr=False)
    options: RenderOptions
    trace: bytes | None = field(default=None, repr=False)
    origins: tuple[tuple[str, str], ...] = ()  # each shipped file's name there and here

    def in_client_words(self, text: str, root: Path) -> str:
        """A worker's message with its temporary paths written as the client's."""
        for local, origin in sorted(self.origins, key=lambda item: -len(item[0])):
            text = text.replace(str(root / local), origin).replace(local, origin)
        return text.replace(str(root / self.name), self.origin)

    @property
    def digest(self) -> str:
        """What the rendered files depend on, hashed: the same digest, the same files."""
        content = {"text": self.text, "sets": self.sets, "name": self.name,
                   "files": {k: hashlib.sha256(v).hexdigest() for k, v in self.files.items()},
                   "options": repr(self.options), "version": __version__}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Shipment:
    """A packed spec and, on the client, where its outputs and trace go."""

    package: Package
    targets: dict[str, Path]  # format -> output path
    trace_path: Path | None  # where this machine caches the spec's trace (None: trace:)


@dataclass(frozen=True)
class Delivery:
    """What a worker sends back: the outputs by format, the trace it recorded (when the
    client had none), warnings, or the spec's own error."""

    outputs: dict[str, bytes] = field(default_factory=dict, repr=False)
    trace: bytes | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()
    error: str | None = None


def pack(spec_path: Path, options: RenderOptions) -> Shipment:
    """``spec_path`` checked and packed with its files (a `UserError` when it is wrong)."""
    from mlanim import pipeline
    from mlanim.inputs import SpecFiles
    from mlanim.trace.cache import cache_dir

    loaded = pipeline.load(spec_path, options.sets)
    spec = options.apply(loaded.spec)
    files = SpecFiles(loaded.resolve, cache_dir() / "files.json")
    trace_path = None
    if getattr(spec, "trace", None):  # a recorded trace travels as one of the spec's files
        with pipeline.located(loaded):
            files(spec.trace, ("trace",))
    else:
        trace_path, _ = pipeline.recording_of(loaded, spec, files)
    shipped, sets, origins = {}, list(options.sets), {}
    for index, (key, path) in enumerate(files.named().items()):
        local = f"_files/{index}{re.sub(r'[^A-Za-z0-9.]', '', path.suffix)[:12]}"
        shipped[local] = path.read_bytes()
        origins[local] = str(path)
        sets.append(f"{'.'.join(str(k) for k in key)}={json.dumps(local)}")
    cached = trace_path.read_bytes() if trace_path is not None and trace_path.is_file() and \
        not options.fresh else None
    package = Package(str(spec_path), spec_path.name, spec_path.read_text(), tuple(sets),
                      shipped, replace(options, out_dir=None, sets=()), cached,
                      tuple(origins.items()))
    return Shipment(package, pipeline.output_targets(loaded, spec, options.out_dir),
                    trace_path)


def render_package(package: Package) -> Delivery:
    """Runs on a worker: render ``package`` in a temporary folder; the outputs as bytes. A
    spec's own mistake comes back as its error line; any other failure is raised, so the
    cluster retries the task."""
    from mlanim import pipeline
    from mlanim.cluster import one_thread
    from mlanim.inputs import SpecFiles
    from mlanim.trace.cache import cache_dir

    with one_thread(), tempfile.TemporaryDirectory(prefix="mlanim-task-") as folder:
        root = Path(folder)
        spec_path = root / package.name
        spec_path.write_text(package.text)
        for local, data in package.files.items():
            (root / local).parent.mkdir(parents=True, exist_ok=True)
            (root / local).write_bytes(data)
        progress = WorkerProgress(package.name)
        try:
            loaded = pipeline.load(spec_path, package.sets)
            spec = package.options.apply(loaded.spec)
            trace_path = None
            if not getattr(spec, "trace", None):
                trace_path, _ = pipeline.recording_of(
                    loaded, spec, SpecFiles(loaded.resolve, cache_dir() / "files.json"))
                if package.trace is not None and not trace_path.exists():
                    _write(trace_path, package.trace)
            paths = pipeline.render(spec_path, replace(package.options, out_dir=root / "out",
                                                       sets=package.sets), progress)
        except UserError as err:
            return Delivery(warnings=tuple(package.in_client_words(w, root)
                                           for w in progress.warnings),
                            error=package.in_client_words(str(err), root))
        outputs = {path.suffix.lstrip("."): path.read_bytes() for path in paths}
        recorded = trace_path.read_bytes() if trace_path is not None and \
            package.trace is None and trace_path.is_file() else None
        return Delivery(outputs, recorded, tuple(progress.warnings))


def deliver(shipment: Shipment, delivery: Delivery) -> list[Path]:
    """Write what a worker sent back: each output under a temporary name, then renamed (all
    or none), and the trace into this machine's cache."""
    from mlanim.atomic import commit_all, temporary_name

    moves: list[tuple[Path, Path]] = []
    try:
        for fmt, data in delivery.outputs.items():
            target = shipment.targets[fmt]
            target.parent.mkdir(parents=True, exist_ok=True)
            moves.append((temporary_name(target), target))
            moves[-1][0].write_bytes(data)
        commit_all(moves)
    finally:
        for tmp, _ in moves:
            tmp.unlink(missing_ok=True)
    if delivery.trace is not None and shipment.trace_path is not None:
        _write(shipment.trace_path, delivery.trace)
    return [target for _, target in moves]


def finished(shipment: Shipment) -> list[Path] | None:
    """The outputs of an earlier run of the same package, when every one is still there
    unchanged (a re-run after an interruption sends only what did not finish)."""
    marker = _marker(shipment)
    try:
        written = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    paths = [shipment.targets[fmt] for fmt in written if fmt in shipment.targets]
    if set(written) != set(shipment.targets) or not all(
            _sha256(path) == written[path.suffix.lstrip(".")] for path in paths):
        return None
    return paths


def remember(shipment: Shipment, delivery: Delivery) -> None:
    """Note what this package's outputs hold, for `finished`."""
    digests = {fmt: hashlib.sha256(data).hexdigest() for fmt, data in delivery.outputs.items()}
    _write(_marker(shipment), json.dumps(digests).encode())


def _marker(shipment: Shipment) -> Path:
    from mlanim.trace.cache import cache_dir

    return cache_dir() / "results" / f"{shipment.package.digest}.json"


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    from mlanim.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class WorkerProgress:
    """Progress of a task on a worker, sent to the client now and then as one line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.warnings: list[str] = []
        self._last = 0.0

    def send(self, text: str, urgent: bool = False) -> None:
        """``text``, named by the spec, to the client: at once when ``urgent``, else at most
        every `REPORT_SECONDS`."""
        from mlanim.cluster import report

        now = time.monotonic()
        if urgent or now - self._last >= REPORT_SECONDS:
            self._last = now
            report(f"{self.name}: {text}")

    @contextmanager
    def task(self, description: str, total: float | None) -> Iterator[_WorkerTask]:
        """A counted task, reported by the share done."""
        self.send(description, urgent=True)
        yield _WorkerTask(self, description, total)

    def message(self, text: str) -> None:
        """A remark, sent on."""
        self.send(text)

    def warn(self, text: str) -> None:
        """A warning: kept for the client's report and sent on."""
        self.warnings.append(text)
        self.send(f"warning: {text}", urgent=True)


class _WorkerTask:
    """One counted task of a `WorkerProgress`."""

    def __init__(self, progress: WorkerProgress, description: str, total: float | None
                 ) -> None:
        self.progress, self.description, self.total = progress, description, total
        self.done = 0.0

    def advance(self, n: float = 1) -> None:
        """``n`` more units done."""
        self.done += n
        share = f" {self.done / self.total:.0%}" if self.total else ""
        self.progress.send(f"{self.description}{share}")

    def note(self, text: str) -> None:
        """A remark on this task."""
        self.progress.send(f"{self.description}: {text}")
