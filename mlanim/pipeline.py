"""The render pipeline as named stages: load spec, load data, record (or reuse) the trace,
analyse it, draw, encode. Each stage reads only what the previous one produced."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from mlanim import cluster, scenes
from mlanim.analysis.derived import Derived, derive
from mlanim.atomic import check_writable_folder
from mlanim.draw.theme import Theme, load_theme
from mlanim.draw.video import SMALLEST_PRINTED_PT, VideoSettings
from mlanim.encode import (
    FIGURE_FORMATS,
    PAGE_FORMATS,
    SUBTITLE_FORMATS,
    sample_indices,
    write_outputs,
)
from mlanim.errors import DataError, OutputError, UsageError, UserError
from mlanim.executor import MIN_PARALLEL_FRAMES, draw_in_order, prefetch, worker_count
from mlanim.extras import require
from mlanim.inputs import SpecFiles
from mlanim.progress import Progress, SilentProgress
from mlanim.scenes.base import Frames, SceneKind, iterate
from mlanim.spec import LoadedSpec, SceneSpec, load_spec, load_spec_data
from mlanim.stills import STILL_FORMATS, When, frame_at, frame_range, parse_frames
from mlanim.trace import Trace, load_trace
from mlanim.trace.cache import cache_cap, cache_dir, cache_key, cached_trace_path, evict, touch


class TrainingWatch(Protocol):
    """Something watching a spec's training (``--live``), told where its run was saved."""

    def finished(self, saved: Path) -> None:
        """The run was saved at ``saved``."""


@dataclass(frozen=True)
class RenderOptions:
    """Command-line overrides of the spec's ``render:`` section, and where to write."""

    out_dir: Path | None = None
    backend: str | None = None
    formats: tuple[str, ...] = ()
    quality: str | None = None
    fresh: bool = False
    overrides: dict = field(default_factory=dict)
    sets: tuple[str, ...] = ()  # --set KEY=VALUE, applied to the spec before validation
    at: str | None = None  # --at: one still at this moment (12.5, epoch=20, step=300)
    frames: str | None = None  # --frames FIRST:END: only these frames
    set_label: str = "--set {}"  # how errors name a setting (the Python API's keywords)
    watch_training: Callable[[SceneSpec], AbstractContextManager[TrainingWatch]] | None = None
    """--live: what serves the page while the spec trains (`mlanim.live.recording_live`)."""

    def apply(self, spec: SceneSpec) -> SceneSpec:
        """The spec with these overrides in its ``render:`` section."""
        changes = {k: v for k, v in (("backend", self.backend), ("quality", self.quality),
                                     ("formats", list(self.formats) or None)) if v}
        changes.update(self.overrides)
        if not changes:
            return spec
        render = spec.render.model_validate({**spec.render.model_dump(), **changes})
        return spec.model_copy(update={"render": render})


def load(path: Path, sets: tuple[str, ...] = (), label: str = "--set {}") -> LoadedSpec:
    """Stage 1: read a spec, apply ``--set KEY=VALUE`` overrides, validate it."""
    return load_spec(path, scenes.spec_models(), sets, label)


def output_targets(loaded: LoadedSpec, spec: SceneSpec, out_dir: Path | None) -> dict[str, Path]:
    """Each requested format's output path: ``output:`` (or outputs/<stem>) plus extension.

    A spec may come from someone else, so its ``output:`` stays inside the working folder;
    writing elsewhere takes ``--out`` on the command line."""
    base = _spec_output(loaded, spec.output) if spec.output else \
        Path("outputs") / loaded.path.stem
    if out_dir is not None:
        base = out_dir / base.name
    formats = dict.fromkeys(spec.render.formats)  # de-duplicate, keep order
    return {fmt: base.with_name(f"{base.name}.{fmt}") for fmt in formats}


def check_distinct_outputs(specs: list[Path], options: RenderOptions) -> None:
    """Refuse, before anything renders, a batch in which two specs would write the same
    file (``a/scene.yaml b/scene.yaml --out O``): the second would silently replace the
    first. Specs that do not load are left to fail on their own."""
    writers: dict[Path, Path] = {}
    for path in specs:
        try:
            loaded = load(path, options.sets, options.set_label)
            spec = options.apply(loaded.spec)
            base = next(iter(output_targets(loaded, spec, options.out_dir).values()))
        except (UserError, ValueError, StopIteration):
            continue
        key = Path(os.path.abspath(base.with_suffix("")))
        if key in writers and os.path.realpath(writers[key]) != os.path.realpath(path):
            raise UserError(f"{writers[key]} and {path} would both write {base.with_suffix('')}"
                            ".*: the second would replace the first",
                            hint="give one of them its own output: key, or render them into "
                                 "different --out folders")
        writers[key] = path


def _spec_output(loaded: LoadedSpec, written: str) -> Path:
    """``output:`` checked: a file name (no NUL, not a folder), inside the working folder."""
    base = Path(written).expanduser()
    if "\0" in written or not base.name or base.name in (".", ".."):
        raise loaded.source.error(f"output {written!r} does not end with a file name",
                                  ("output",), "write a path without extension, e.g. "
                                  "outputs/moons")
    here = Path.cwd().resolve()
    inside = (here / base).resolve()
    if base.is_absolute() or not inside.is_relative_to(here):
        raise loaded.source.error(f"output {written} is outside the working folder",
                                  ("output",), "a spec writes under the folder it is run in; "
                                  "to write elsewhere, pass --out DIR on the command line")
    return base


def obtain_trace(loaded: LoadedSpec, spec: SceneSpec, fresh: bool, progress: Progress,
                 watch: Callable[[SceneSpec], AbstractContextManager[TrainingWatch]] | None = None
                 ) -> Trace:
    """Stage 2-3: the trace from ``trace:``, from the cache, or by recording now (inside
    ``watch(spec)`` when given: ``--live``). The cache key holds the content of every file
    the spec names, not only their names."""
    files = SpecFiles(loaded.resolve, cache_dir() / "files.json")
    if getattr(spec, "trace", None):
        trace = given_trace(loaded, spec, files)
        unfinished = trace.meta.get("unfinished")
        if unfinished:
            progress.warn(f"{spec.trace} is a run that did not finish (or is still being "
                          f"recorded): drawn up to its last whole snapshot, step "
                          f"{unfinished.get('steps')}")
        return trace
    path, make = recording_of(loaded, spec, files)
    if path.exists() and not fresh:
        try:
            trace = load_trace(path)
        except DataError as damaged:
            progress.warn(f"cached trace {path} is damaged ({damaged.message}); recording it "
                          "again")
        else:
            touch(path)
            progress.message(f"using cached trace {path} (--fresh retrains)")
            if watch is not None:
                progress.warn("--live: this spec's run is cached, so nothing trains to watch "
                              "(--fresh trains it again, live)")
            return trace
    with located(loaded), (watch(spec) if watch else nullcontext()) as session:
        trace = make(progress)
    trace.meta["spec_hash"] = path.stem
    trace.meta.setdefault("scene", spec.scene)  # what `mlanim inspect` names it for
    try:
        trace.save(path)
    except OutputError as error:
        raise OutputError(f"cannot write the trace cache: {error.message}",
                          hint="set MLANIM_CACHE_DIR to a writable folder") from None
    if session is not None:
        session.finished(path)
    for gone in evict(keep=path):
        progress.message(f"cache over its {cache_cap() / 2**20:,.0f} MB cap: removed {gone.name}")
    return load_trace(path)


def given_trace(loaded: LoadedSpec, spec: SceneSpec, files: SpecFiles) -> Trace:
    """The spec's ``trace:``, read and checked: recorded for this scene, holding what it
    draws."""
    with located(loaded):
        trace = _user_trace(files(spec.trace, ("trace",)))
    recorded_for = trace.meta.get("scene")
    if recorded_for not in (None, spec.scene):
        raise loaded.source.error(
            f"the trace {spec.trace} was recorded for scene {recorded_for}; this spec draws "
            f"{spec.scene}", ("trace",),
            f"record one with this spec: mlanim trace {loaded.path.name}")
    with located(loaded):
        try:
            scenes.get(spec.scene).check_trace(trace)
        except UserError as error:
            error.key_path = ("trace",)
            raise
    return trace


def shared_path(trace: Trace) -> Path | None:
    """The file other processes (workers, the cluster) read ``trace`` from. A run still being
    recorded is first kept in the cache as read now, so that they draw these snapshots, not
    the ones the run has added since; only then: saving it costs more than drawing a page
    (0.9 s of 1.8 for a live page of 2,280 steps)."""
    if not trace.meta.get("unfinished"):
        return trace.path
    held = cache_dir() / "unfinished" / f"{trace.digest}.mlanim"
    if not held.exists():
        held.parent.mkdir(parents=True, exist_ok=True)
        trace.save(held)
    return held


def preflight(loaded: LoadedSpec) -> None:
    """Every check a render makes before it trains, without training: the spec, its output
    name, the files it names (data, checkpoint, trace: read and checked, columns included),
    what the scene kind needs of the data, and the memory the recording would take."""
    spec = loaded.spec
    output_targets(loaded, spec, None)
    files = SpecFiles(loaded.resolve, cache_dir() / "files.json")
    if getattr(spec, "trace", None):
        given_trace(loaded, spec, files)
    else:
        recording_of(loaded, spec, files)


def recording_of(loaded: LoadedSpec, spec: SceneSpec, files: SpecFiles
                 ) -> tuple[Path, Callable[[Progress], Trace]]:
    """Where the cache keeps this spec's trace (its key holds the content of every file the
    spec names, resolved through ``files``), and how to record it."""
    with located(loaded):
        spec = _checkpoint_resolved(spec, files)
        payload, make = scenes.get(spec.scene).recording(spec, files)
    payload = _without_file_names(payload, list(files.named()))
    return cached_trace_path(cache_key({**payload, "files": files.fingerprints()})), make


def _without_file_names(payload: dict, keys: list[tuple]) -> dict:
    """The cache-key payload without the names the spec gives its files (their content is
    in the key instead): the same data under another name, or a cluster worker's copy,
    keys the same trace."""
    import copy

    trimmed = copy.deepcopy(payload)
    for key in keys:
        node = trimmed
        for part in key[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(key[-1], None)
    return trimmed


def _checkpoint_resolved(spec: SceneSpec, files: SpecFiles) -> SceneSpec:
    """The spec with ``model.checkpoint`` as the checked file it names, whose content then
    keys the cache (new weights in the same file record anew)."""
    model = getattr(spec, "model", None)
    if not getattr(model, "checkpoint", None):
        return spec
    path = files(model.checkpoint, ("model", "checkpoint"))
    return spec.model_copy(update={"model": model.model_copy(update={"checkpoint": str(path)})})


def _user_trace(path: Path) -> Trace:
    """A trace the spec names, with its faults located at the spec's ``trace:`` line."""
    try:
        return load_trace(path)
    except DataError as error:
        error.key_path = error.key_path or ("trace",)
        raise


def load_data(data: dict, sets: tuple[str, ...] = (), label: str = "--set {}") -> LoadedSpec:
    """Stage 1 for a spec given as a dict (the Python API): validated like a file, with
    errors located at ``mlanim.render(spec)`` and the key path; relative paths in it are
    relative to the working folder."""
    scene = data.get("scene") if isinstance(data, dict) else None
    name = scene if isinstance(scene, str) and scene.isidentifier() else "spec"
    return load_spec_data(data, Path.cwd() / f"{name}.yaml", "mlanim.render(spec)",
                          scenes.spec_models(), sets, label)


def render(path: Path | str, options: RenderOptions | None = None,
           progress: Progress | None = None) -> list[Path]:
    """Render the spec at ``path`` to the formats it asks for; returns the files written."""
    options = options or RenderOptions()
    return render_loaded(load(Path(path), options.sets, options.set_label), options, progress)


def render_loaded(loaded: LoadedSpec, options: RenderOptions | None = None,
                  progress: Progress | None = None) -> list[Path]:
    """Render a loaded spec (``--set`` flags already applied) to the formats it asks for."""
    options, progress = options or RenderOptions(), progress or SilentProgress()
    with located(loaded):
        spec = options.apply(loaded.spec)
    kind = scenes.get(spec.scene)
    backend = spec.render.backend or kind.default_backend
    if backend not in kind.backends:
        raise loaded.source.error(f"scene {kind.name} cannot be drawn with {backend}",
                                  ("render", "backend"), f"use one of: {', '.join(kind.backends)}")
    if backend == "manim":
        default = "" if spec.render.backend else f" ({kind.name} draws with it by default)"
        with located(loaded):
            require("manim", "manim", f"the manim backend{default}", ("render", "backend"),
                    "render with --backend matplotlib")
    when = When.parse(options.at) if options.at is not None else None
    span = parse_frames(options.frames) if options.frames is not None else None
    targets = _selected(output_targets(loaded, spec, options.out_dir), when, span,
                        bool(options.formats))
    if spec.render.figure == "paper":
        targets = _stills(targets)
    for target in targets.values():
        check_writable_folder(target.parent)
        if target.is_dir():
            raise OutputError(f"cannot write {target}: it is a folder",
                              hint="set output: to a file name, or use another --out")
    if options.watch_training is not None:
        _check_live(kind, spec)
    trace = obtain_trace(loaded, spec, options.fresh, progress, options.watch_training)
    with blamed_on_trace(trace, bool(getattr(spec, "trace", None))):
        return _draw(loaded, spec, kind, backend, trace, targets, when, span, progress)


def _check_live(kind: SceneKind, spec: SceneSpec) -> None:
    """A `UsageError` before any training when ``--live`` cannot serve this spec's page."""
    if getattr(spec, "trace", None):
        raise UsageError(f"--live watches a spec's training, and this spec draws the run "
                         f"{spec.trace}", hint="serve that run with: mlanim live "
                                               f"{spec.trace}")
    if not kind.live:
        able = ", ".join(name for name, other in scenes.kinds().items() if other.live)
        raise UsageError(f"{kind.name} cannot be watched live: its recording is not a run "
                         "written as it goes", hint=f"render without --live; these kinds can "
                                                    f"be: {able}")


@contextmanager
def blamed_on_trace(trace: Trace, given: bool) -> Iterator[None]:
    """A fault while drawing a trace the user gave (``trace:``, a run of their own loop) is
    that file's: it is said in one line as a `DataError` (exit 2) rather than as mlanim's
    internal fault. Traces mlanim recorded itself keep their faults as faults."""
    try:
        yield
    except UserError:
        raise
    except Exception as error:
        if not given:
            raise
        raise DataError(f"{trace.path} does not hold what this scene draws "
                        f"({type(error).__name__}: {str(error)[:160]})", key_path=("trace",),
                        hint="record it again with mlanim; if mlanim wrote it as it is, "
                             "please report it") from None


def _draw(loaded: LoadedSpec, spec: SceneSpec, kind: SceneKind, backend: str, trace: Trace,
          targets: dict[str, Path], when: When | None, span: tuple[int, int] | None,
          progress: Progress) -> list[Path]:
    """The analyse, draw and encode stages of `render_loaded`, once the trace is at hand."""
    with located(loaded):
        derived = analyse(kind, spec, trace, progress)
        for finding in kind.findings(spec, trace):
            progress.warn(finding)
    video = VideoSettings.from_spec(spec.render)
    if video.paper and video.printed_label_pt < SMALLEST_PRINTED_PT:
        wider = spec.render.column * SMALLEST_PRINTED_PT / video.printed_label_pt
        squarer = " (or a squarer render.aspect)" if video.width > video.height else ""
        progress.warn(f"paper figure: chart labels print at {video.printed_label_pt:.1f} pt at "
                      f"{spec.render.column:g} in wide; render.column: {wider:.1f}{squarer} "
                      "prints them at 6 pt")
    theme = load_theme(spec.render.theme)
    with located(loaded):
        drawing = kind.frames(spec, trace, video, theme, backend, derived)
    try:
        with located(loaded):
            shown = frame_range(span, drawing.count) if span else range(drawing.count)
            if when is not None:
                index = frame_at(when, video, kind.clock(spec, trace), kind.name)
                shown = range(index, index + 1)
        if len(shown) < drawing.count or video.paper:
            return _write_part(kind, spec, trace, video, theme, derived, drawing, shown,
                               targets, progress)
        moving = [f for f in targets
                  if f not in (*FIGURE_FORMATS, *SUBTITLE_FORMATS, *PAGE_FORMATS, "png")]
        samples = [drawing.frame(i) for i in sample_indices(drawing.count)] \
            if "gif" in targets else []
        if not moving:  # a PNG's one frame; a page, a figure or subtitles paint none
            frames: Iterable[np.ndarray] = \
                [drawing.frame(drawing.count - 1)] if "png" in targets else []
        elif cluster.address() and trace.path and drawing.count >= MIN_PARALLEL_FRAMES:
            frames = drawn_on_cluster((spec.scene, spec.model_dump(mode="json"), video, theme,
                                       backend), shared_path(trace), drawing.count)
        else:
            frames = _frames(drawing, lambda: partial(draw_scene, spec.scene, spec,
                                                      shared_path(trace), video, theme, backend))
        written = write_outputs(frames, video, targets,
                                lambda p: kind.figure(spec, trace, video, theme, p, derived),
                                progress, samples, lambda: iterate(drawing),
                                lambda: kind.captions(spec, trace, video, theme, derived),
                                draw_page=lambda p: kind.page(spec, trace, video, theme, p,
                                                              derived))
        if moving:
            warn_layout(drawing, progress)
        return written
    finally:
        drawing.close()


LAYOUT_WARNINGS = 3
"""Layout problems printed one a line; more are counted in one last line."""


def warn_layout(drawing: Frames, progress: Progress) -> None:
    """One ``layout:`` warning a problem the frames drawn here showed (text cut at an edge
    or lying on other text), so that a layout that breaks on a user's model is seen."""
    check = getattr(drawing, "layout_problems", None)
    problems = check() if check is not None else {}
    for problem, frame in list(problems.items())[:LAYOUT_WARNINGS]:
        progress.warn(f"layout: frame {frame}: {problem}")
    if len(problems) > LAYOUT_WARNINGS:
        progress.warn(f"layout: and {len(problems) - LAYOUT_WARNINGS} more problems")


def _selected(targets: dict[str, Path], when: When | None, span: tuple[int, int] | None,
              asked: bool) -> dict[str, Path]:
    """The targets of a still (``--at``: png, svg or pdf) or of a range of frames
    (``--frames``), named after the moment or range so that the whole video's files stay."""
    if when is None and span is None:
        return targets
    if when is not None and span is not None:
        raise UserError("give --at or --frames, not both")
    if when is not None:
        stills = [fmt for fmt in targets if fmt in STILL_FORMATS]
        moving = [fmt for fmt in targets if fmt not in STILL_FORMATS]
        if asked and moving:
            raise UserError(f"--at writes a still, not {', '.join(moving)}",
                            hint="use --format png, svg or pdf")
        base = next(iter(targets.values()))
        name = f"{base.stem}_at_{when.label}"
        return {fmt: base.with_name(f"{name}.{fmt}") for fmt in stills or ["png"]}
    if "html" in targets and asked:
        raise UserError("--frames renders part of a video; a page holds the whole run",
                        hint="drop html from --format, or --frames")
    first, end = span  # type: ignore[misc]
    return {fmt: path.with_name(f"{path.stem}_frames_{first}-{end if end >= 0 else 'end'}"
                                f"{path.suffix}") for fmt, path in targets.items()}


def _stills(targets: dict[str, Path]) -> dict[str, Path]:
    """A paper figure's targets: the still formats asked for, else a PDF."""
    stills = {fmt: path for fmt, path in targets.items() if fmt in STILL_FORMATS}
    if stills:
        return stills
    base = next(iter(targets.values()))
    return {"pdf": base.with_suffix(".pdf")}


def _write_part(kind: SceneKind, spec: SceneSpec, trace: Trace, video: VideoSettings,
                theme: Theme, derived: Derived, drawing: Frames, shown: range,
                targets: dict[str, Path], progress: Progress) -> list[Path]:
    """Some of the frames (one, for a still), drawn in order; figures of the first (of the
    last, for a whole paper figure)."""
    if video.paper and len(shown) > 1:
        shown = range(shown[-1], shown[-1] + 1)
    part = replace(video, duration=len(shown) / video.fps)
    samples = [drawing.frame(shown[i]) for i in sample_indices(len(shown))] \
        if "gif" in targets else []
    frames = [drawing.frame(shown[0])] if len(shown) == 1 else (drawing.frame(i) for i in shown)
    return write_outputs(
        frames, part, targets,
        lambda p: kind.figure(spec, trace, video, theme, p, derived, frame=shown[0]),
        progress, samples, lambda: (drawing.frame(i) for i in shown),
        lambda: kind.captions(spec, trace, video, theme, derived)[shown.start:shown.stop],
        STILL_FORMATS if video.paper else FIGURE_FORMATS)


def draw_scene(scene: str, spec: SceneSpec, trace_path: Path, video: VideoSettings,
               theme: Theme, backend: str) -> Frames:
    """Build a scene's drawing from picklable parts (how worker processes get theirs: the
    derived data comes from the cache the parent process filled)."""
    kind, trace = scenes.get(scene), load_trace(trace_path)
    derived = analyse(kind, spec, trace, SilentProgress())
    return kind.frames(spec, trace, video, theme, backend, derived)


FRAMES_A_TASK = 30  # frames a cluster task draws
_remote_drawing: dict[str, tuple[Frames, Path]] = {}  # a cluster worker's drawing and folder


def drawn_on_cluster(parts: tuple, trace_path: Path, count: int) -> Iterator[np.ndarray]:
    """Frames drawn in ranges by the cluster's workers, yielded in order. Each worker gets the
    trace's bytes and the spec as plain data once, builds the drawing once, and returns its
    frames compressed (a 720p frame is 2.7 MB raw)."""
    shared = (parts, trace_path.read_bytes())
    spans = [(start, min(start + FRAMES_A_TASK, count))
             for start in range(0, count, FRAMES_A_TASK)]
    for frames in cluster.ordered(draw_span, spans, shared):
        for shape, data in frames:
            yield np.frombuffer(zlib.decompress(data), np.uint8).reshape(shape)


def draw_span(shared: tuple, span: tuple[int, int]) -> list[tuple[tuple[int, ...], bytes]]:
    """Runs on a cluster worker: frames ``span[0]`` to ``span[1] - 1``, each compressed. The
    drawing is built on the first span and kept for the next ones of the same render."""
    (scene, spec_data, video, theme, backend), trace_bytes = shared
    key = hashlib.sha256(trace_bytes + repr(shared[0]).encode()).hexdigest()
    if key not in _remote_drawing:
        for old, folder in _remote_drawing.values():
            old.close()
            shutil.rmtree(folder, ignore_errors=True)
        _remote_drawing.clear()
        folder = Path(tempfile.mkdtemp(prefix="mlanim-draw-"))
        (folder / "trace.mlanim").write_bytes(trace_bytes)
        spec = scenes.get(scene).Spec.model_validate(spec_data)
        _remote_drawing[key] = (draw_scene(scene, spec, folder / "trace.mlanim", video, theme,
                                           backend), folder)
    drawing = _remote_drawing[key][0]
    frames = (drawing.frame(index) for index in range(*span))
    return [(frame.shape, zlib.compress(np.ascontiguousarray(frame).tobytes(), 1))
            for frame in frames]


def analyse(kind: SceneKind, spec: SceneSpec, trace: Trace, progress: Progress) -> Derived:
    """Stage 4: what the kind derives from the trace, computed or read from the cache."""
    return derive(kind.analyses(spec, trace), trace, progress)


def _frames(drawing: Frames, factory_of: Callable[[], Callable[[], Frames]]
            ) -> Iterable[np.ndarray]:
    """All frames, drawn on a thread one step ahead of the encoder; or by a process pool when
    ``$MLANIM_WORKERS`` asks for one (worth it for long manim renders on many cores), each
    worker drawing with the factory ``factory_of()`` gives (made only then)."""
    workers = worker_count()
    if workers > 1 and drawing.count >= MIN_PARALLEL_FRAMES:
        return draw_in_order(factory_of(), drawing.count, workers)
    return prefetch(iterate(drawing))


@contextmanager
def located(loaded: LoadedSpec) -> Iterator[None]:
    """Add the spec file, and the line of the key path, to user errors raised inside."""
    try:
        yield
    except UserError as error:
        if error.file is None:
            error.file, error.line, error.column = loaded.source.locate(
                tuple(error.key_path)) if error.key_path else (loaded.source.file, None, None)
        raise
