"""The ``mlanim`` command line: parse arguments, call the pipeline, print paths or one-line errors.

stdout carries only the paths written (one per line); progress and messages go to stderr.
Exit codes: 0 done, 2 bad input, 1 internal fault (``--debug`` shows its traceback).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mlanim.errors import UsageError, UserError

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn real neural-network training into videos, GIFs and figures.",
                  epilog="Limits: a spec is a regular file of at most 256 KB; files it names "
                         "are regular files of at most MLANIM_MAX_INPUT_MB (4096) MB, also "
                         "once decompressed; output: stays inside the working folder (--out "
                         "writes elsewhere). Traces are cached in MLANIM_CACHE_DIR "
                         "(~/.cache/mlanim, capped at MLANIM_CACHE_MB), keyed by the content "
                         "of every file a spec names.")

_state = {"debug": False}
FRESH_HELP = "retrain instead of using the cached trace"
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> None:
    _report(message)
    raise typer.Exit(code)


def user_facing(command: F) -> F:
    """Turn user errors into one line and exit 2, other faults into exit 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UserError as err:
            _fail(str(err), 2)
        except KeyboardInterrupt:
            _fail("interrupted; no partial files were left", 130)
        except BrokenPipeError:  # the reader went away (`mlanim inspect run | head`)
            _silence_stdout()
            raise typer.Exit(141) from None
        except typer.Exit:
            raise
        except Exception as err:
            if _state["debug"]:
                traceback.print_exc()
            _fail(f"internal fault: {type(err).__name__}: {err} (rerun with --debug for details)",
                  1)

    return run  # type: ignore[return-value]


def _each(specs: list[Path], action: Callable[[Path], None]) -> None:
    """Run ``action`` on every spec, even after one fails: each failure is reported in its
    own line, and the command exits with the worst outcome (an internal fault, 1, before bad
    input, 2)."""
    failures: set[int] = set()
    for spec in specs:
        try:
            action(spec)
        except UserError as err:
            _report(str(err))
            failures.add(2)
        except (KeyboardInterrupt, typer.Exit):
            raise
        except Exception as err:
            if _state["debug"]:
                traceback.print_exc()
            _report(f"internal fault: {type(err).__name__}: {err} (rerun with --debug for "
                    "details)")
            failures.add(1)
    if failures:
        raise typer.Exit(1 if 1 in failures else 2)


def _report(message: str) -> None:
    from mlanim.progress import printable

    typer.echo(f"mlanim: error: {printable(message)}", err=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_version(value: bool) -> None:
    if value:
        from mlanim import __version__

        typer.echo(f"mlanim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
          version: Annotated[bool, typer.Option("--version", callback=_print_version,
                                                is_eager=True, help="print the version")
                             ] = False) -> None:
    _state["debug"] = debug


def _split_formats(values: list[str] | None) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for v in values or [] for f in v.split(",") if f.strip())
    from mlanim.spec.sections import Format, choices

    allowed = choices(Format)
    for fmt in formats:
        if fmt not in allowed:
            raise UserError(f"unknown format '{fmt}' for --format",
                            hint=f"use {', '.join(allowed)}")
    return formats


def _choices(name: str) -> list[str]:
    """Shell completion: the values a render flag takes."""
    from mlanim.spec import sections

    return list(sections.choices(getattr(sections, name)))


def _kind_names() -> list[str]:
    """Shell completion: the scene kinds."""
    from mlanim.scenes import kinds

    return list(kinds())


def _render_overrides(**values: object) -> dict[str, object]:
    """The ``render:`` settings given as flags, checked as the spec's would be; a bad one is
    a one-line error naming its flag."""
    from pydantic import ValidationError

    from mlanim.spec.sections import RenderSpec

    given = {key: value for key, value in values.items() if value is not None}
    try:
        RenderSpec.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        flag = f"--{first['loc'][0]}" if first["loc"] else "a render flag"
        raise UserError(f"bad value for {flag}: {first['msg']} (got "
                        f"{given.get(str(first['loc'][0])) if first['loc'] else ''})") from None
    return given


def _progress(quiet: bool):
    from mlanim.progress import RichProgress, SilentProgress

    return SilentProgress(stderr=True) if quiet else RichProgress()


@app.command()
@user_facing
def render(
    specs: Annotated[list[Path], typer.Argument(help="scene spec YAML files")],
    out: Annotated[Path | None, typer.Option("--out", help="write files into this folder")] = None,
    backend: Annotated[str | None, typer.Option(help="manim | matplotlib",
                                                autocompletion=lambda: _choices("Backend"))
                       ] = None,
    fmt: Annotated[list[str] | None, typer.Option("--format", "-f",
                                                  help="mp4,gif,webm,png,svg,pdf",
                                                  autocompletion=lambda: _choices("Format"))
                   ] = None,
    quality: Annotated[str | None, typer.Option(help="low | medium | high | 4k",
                                                autocompletion=lambda: _choices("Quality"))
                       ] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help=FRESH_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress output")] = False,
    low: Annotated[bool, typer.Option("-ql", help="quality low, 480p15 (manim's -ql)")] = False,
    medium: Annotated[bool, typer.Option("-qm", help="quality medium, 720p30")] = False,
    high: Annotated[bool, typer.Option("-qh", help="quality high, 1080p60")] = False,
    top: Annotated[bool, typer.Option("-qk", help="quality 4k, 2160p60")] = False,
    theme: Annotated[str | None, typer.Option(help="dark | light | paper",
                                              autocompletion=lambda: ["dark", "light", "paper"])
                     ] = None,
    aspect: Annotated[str | None, typer.Option(help="16:9 | 4:3 | 1:1 | 9:16",
                                               autocompletion=lambda: ["16:9", "4:3", "1:1",
                                                                       "9:16"])] = None,
    duration: Annotated[float | None, typer.Option(help="seconds of animation")] = None,
    fps: Annotated[int | None, typer.Option(help="frames per second")] = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="KEY=VALUE: set any spec key by its dotted path (repeatable), "
                      "e.g. --set train.epochs=20")] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="write one still at this moment: seconds (12.5), epoch=20 or step=300; "
                     "png unless --format svg or pdf")] = None,
    frames: Annotated[str | None, typer.Option(
        "--frames", help="render only frames FIRST:END (100:200 is frames 100 to 199)")] = None,
    allow_pickle: Annotated[bool, typer.Option(
        "--allow-pickle", help="trust the fitted model file a spec names (model.fitted): "
                               "loading joblib/pickle runs code stored in it")] = False,
    paper: Annotated[bool, typer.Option(
        "--paper", help="a figure for a paper: no title or caption, render.column inches wide, "
                        "TrueType fonts in PDF, text as text in SVG (render.figure: paper)")
    ] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, max=256,
        help="render several specs on this many worker processes (default: one per core, "
             "no more than free memory allows at 2 GB each)")] = None,
    live: Annotated[bool, typer.Option(
        "--live", help="while the spec trains, serve its page on this machine (the address "
                       "is printed) and grow it with each snapshot; then render as usual")
    ] = False,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", envvar="MLANIM_CLUSTER",
        help="a Dask scheduler (tcp://HOST:PORT), or local: several specs are rendered by its "
             "workers; one spec sends its parts there (seeds, landscape rows, frames)")] = None,
) -> None:
    """Train (or reuse the cached trace) and render each spec; print the files written, in the
    order of the specs."""
    shorthands = [name for name, on in (("low", low), ("medium", medium), ("high", high),
                                        ("4k", top)) if on]
    if len(shorthands) > 1 or (shorthands and quality):
        raise UserError("give one quality: --quality or one of -ql -qm -qh -qk")
    quality = quality or (shorthands[0] if shorthands else None)
    from mlanim.pipeline import RenderOptions
    from mlanim.pipeline import render as run
    from mlanim.spec.sections import Backend, Quality, choices

    if backend not in (None, *choices(Backend)):
        raise UserError(f"unknown backend '{backend}'",
                        hint=f"use {' or '.join(choices(Backend))}")
    if quality not in (None, *choices(Quality)):
        raise UserError(f"unknown quality '{quality}'", hint=f"use {', '.join(choices(Quality))}")
    overrides = _render_overrides(theme=theme or ("paper" if paper else None), aspect=aspect,
                                  duration=duration, fps=fps, figure="paper" if paper else None)
    sets = [*(sets or ()), *(["model.allow_pickle=true"] if allow_pickle else [])]
    if live and (len(specs) > 1 or cluster):
        raise UsageError("--live watches one spec's training in this process",
                         hint="render one spec, without --cluster")
    options = RenderOptions(out, backend, _split_formats(fmt), quality, fresh, overrides,
                            tuple(sets), at=at, frames=frames,
                            watch_training=_recording_live() if live else None)

    def render_one(spec: Path) -> None:
        for path in run(spec, options, _progress(quiet)):
            typer.echo(str(path))

    from mlanim import batch
    from mlanim import cluster as dask_cluster
    from mlanim.pipeline import check_distinct_outputs

    if len(specs) > 1:
        check_distinct_outputs(specs, options)

    with dask_cluster.using(cluster):  # where a spec's parts go
        if cluster:
            dask_cluster.client()  # connect first: a wrong address fails before any work
        if cluster and len(specs) > 1:
            _render_in_parallel(specs, f"on the cluster at {cluster}", quiet,
                                lambda: batch.render_on_cluster(specs, options), watch=True)
            return
        jobs = min(jobs or batch.default_jobs(len(specs)), len(specs))
        if jobs > 1:
            _render_in_parallel(specs, f"on {jobs} processes", quiet,
                                lambda: batch.render_many(specs, options, jobs))
        else:
            _each(specs, render_one)


def _recording_live():
    from mlanim.live import recording_live

    return recording_live


def _render_in_parallel(specs: list[Path], where: str, quiet: bool,
                        outcomes: Callable[[], Iterator[tuple[Path, Any]]],
                        watch: bool = False) -> None:
    """Render ``specs`` by ``outcomes`` (worker processes or the cluster), reporting each
    spec's files, warnings and error in the specs' order; exit with the worst outcome, as
    `_each` does. With ``watch``, the cluster workers' progress lines show on the bar."""
    failures: set[int] = set()
    progress = _progress(quiet)
    with progress.task(f"{len(specs)} specs {where}", total=len(specs)) as bar, \
            _worker_notes(bar, watch):
        for spec, outcome in outcomes():
            for warning in outcome.warnings:
                progress.warn(f"{spec}: {warning}")
            for path in outcome.paths:
                typer.echo(path)
            if outcome.error:
                _report(outcome.error)
                failures.add(outcome.code)
            bar.advance()
    if failures:
        raise typer.Exit(1 if 1 in failures else 2)


@contextlib.contextmanager
def _worker_notes(bar: Any, watch: bool) -> Iterator[None]:
    """The cluster workers' progress lines, shown on ``bar`` while the block runs."""
    if not watch:
        yield
        return
    from mlanim import cluster

    connected = cluster.client()
    connected.subscribe_topic(cluster.PROGRESS_TOPIC, lambda event: bar.note(str(event[1])))
    try:
        yield
    finally:
        connected.unsubscribe_topic(cluster.PROGRESS_TOPIC)


@app.command()
@user_facing
def validate(specs: Annotated[list[Path], typer.Argument(help="scene spec YAML files")],
             sets: Annotated[list[str] | None, typer.Option(
                 "--set", help="KEY=VALUE: set a spec key by its dotted path")] = None) -> None:
    """Check specs as a render would before it trains (files, columns, the data the scene
    needs), without training or rendering."""
    from mlanim.pipeline import load, preflight

    def check(spec: Path) -> None:
        loaded = load(spec, tuple(sets or ()))
        preflight(loaded)
        typer.echo(f"{spec}: ok ({loaded.spec.scene})")

    _each(specs, check)


@app.command("scenes")
@user_facing
def list_scenes() -> None:
    """List the scene kinds with a one-line description."""
    from mlanim.scenes import kinds

    for name, kind in kinds().items():
        typer.echo(f"{name:<22} {kind.description}")


@app.command()
@user_facing
def new(kind: Annotated[str, typer.Argument(help="a scene kind (see `mlanim scenes`)",
                                            autocompletion=_kind_names)]) -> None:
    """Print a commented spec template of a scene kind."""
    from mlanim.scenes import get
    from mlanim.spec.template import template

    typer.echo(template(get(kind).Spec), nl=False)


@app.command()
@user_facing
def schema() -> None:
    """Print the JSON Schema of scene specs (for editor completion and checking)."""
    from mlanim.scenes import spec_models
    from mlanim.spec.template import json_schema

    typer.echo(json.dumps(json_schema(spec_models()), indent=2))


@app.command()
@user_facing
def trace(
    specs: Annotated[list[Path], typer.Argument(help="scene spec YAML files")],
    out: Annotated[Path | None, typer.Option("--out", help="also copy the trace here")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help=FRESH_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train and record only; print the trace file (re-render later without retraining)."""
    from mlanim.pipeline import load, obtain_trace

    def record_one(spec: Path) -> None:
        loaded = load(spec)
        result = obtain_trace(loaded, loaded.spec, fresh, _progress(quiet))
        target = (out / f"{spec.stem}.mlanim") if out else None
        path = result.save(target) if target else result.path
        typer.echo(str(path))

    _each(specs, record_one)


def examples_dir() -> Path:
    """The example specs: shipped inside the wheel, else the repository's scenes/."""
    here = Path(__file__).resolve().parent
    packaged = here / "examples"
    return packaged if packaged.is_dir() else here.parent / "scenes"


@app.command()
@user_facing
def examples(
    name: Annotated[str | None, typer.Argument(help="an example; all when left out")] = None,
    copy: Annotated[Path | None, typer.Option("--copy", help="copy the examples into DIR")
                    ] = None,
) -> None:
    """List the example specs, print one, or copy them into a folder to render and edit."""
    import difflib
    import shutil

    found = {p.stem: p for p in sorted(examples_dir().glob("*.yaml"))}
    if name is not None and name not in found:
        close = difflib.get_close_matches(name, list(found), n=1)
        raise UserError(f"no example called '{name}'",
                        hint=f"did you mean '{close[0]}'?" if close else "mlanim examples lists "
                        "them")
    chosen = [found[name]] if name else list(found.values())
    if copy is not None:
        copy.mkdir(parents=True, exist_ok=True)
        for path in chosen:
            shutil.copy(path, copy / path.name)
            typer.echo(str(copy / path.name))
    elif name:
        typer.echo(found[name].read_text(), nl=False)
    else:
        for stem, path in found.items():
            first = path.read_text().splitlines()[0].lstrip("# ")
            typer.echo(f"{stem:<26} {first[:90]}")


cache_app = typer.Typer(help="The trace cache: list or clear it.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("list")
@user_facing
def cache_list() -> None:
    """Each cached trace: file, size, age and the scene it was recorded for."""
    import time
    import zipfile

    from mlanim.progress import printable
    from mlanim.trace.cache import cache_dir, cached_traces

    traces = cached_traces()
    for path in traces:
        try:
            with zipfile.ZipFile(path) as box:
                meta = json.loads(box.read("meta.json"))
            scene = str(meta.get("scene", "?")) if isinstance(meta, dict) else "damaged"
        except (OSError, ValueError, KeyError, RecursionError, zipfile.BadZipFile):
            scene = "damaged"
        size, age = path.stat().st_size, time.time() - path.stat().st_mtime
        typer.echo(printable(f"{path}  {size / 2**20:8.2f} MB  {age / 3600:7.1f} h ago  "
                             f"{scene}"))
    total = sum(p.stat().st_size for p in traces)
    typer.echo(f"{len(traces)} trace{'' if len(traces) == 1 else 's'}, "
               f"{total / 2**20:.2f} MB in {cache_dir()} "
               "(MLANIM_CACHE_DIR moves it)", err=True)


@cache_app.command("clear")
@user_facing
def cache_clear() -> None:
    """Delete every cached trace (they are recorded again when needed)."""
    from mlanim.trace.cache import cache_dir, clear_cache

    removed, freed = clear_cache()
    typer.echo(f"removed {removed} cached file{'' if removed == 1 else 's'}, "
               f"{freed / 2**20:.2f} MB, from {cache_dir()}", err=True)


@app.command()
@user_facing
def inspect(path: Annotated[Path, typer.Argument(help="a trace file (.mlanim)")]) -> None:
    """Show a trace's channels, shapes and final metrics."""
    import numpy as np

    from mlanim.progress import printable
    from mlanim.trace import load_trace

    recorded = load_trace(path)
    meta = recorded.meta
    epochs = meta.get("epochs")
    scene = meta.get("scene") or "any that draws a recorded run"
    seed = f"  seed {meta['seed']}" if meta.get("seed") is not None else ""
    known = isinstance(epochs, int | float) and meta.get("unit", "epoch") == "epoch"
    typer.echo(printable(f"scene {scene}{seed}  steps {meta.get('steps')}")
               + (f"  epochs {epochs:g}" if known else ""))
    typer.echo(printable(_describe_source(meta)))
    for name in recorded.channel_names:
        channel = recorded.channel(name)
        last = channel.values[-1] if len(channel.values) else np.zeros(0)
        tail = f"  last {float(last.reshape(-1)[0]):.4f}" if last.size == 1 else ""
        typer.echo(f"  {printable(name):<28} {tuple(channel.values.shape)!s:<20} "
                   f"{channel.values.dtype}{tail}")
    for name in recorded.static_names:
        typer.echo(f"  {printable(name):<28} {tuple(recorded.static(name).shape)} (static)")


@app.command()
@user_facing
def live(
    path: Annotated[Path, typer.Argument(help="a run being recorded, or recorded (.mlanim)")],
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="a kind the page offers (repeat for more; default: every kind the run "
                       "can draw)")] = None,
    theme: Annotated[str, typer.Option(help="dark, light or paper")] = "dark",
) -> None:
    """Serve a run another process is recording (or has recorded) as a page that grows with
    it, on this machine only, until Ctrl-C."""
    import time

    from mlanim.live import drawable, serve
    from mlanim.recording import live_kinds
    from mlanim.trace import load_trace

    themes = ("dark", "light", "paper")
    if theme not in themes:
        raise UserError(f"unknown theme '{theme}'", hint=f"use {', '.join(themes)}")
    load_trace(path)  # what is not a run is refused here, with its reason
    able = drawable(path)
    unable = [name for name in live_kinds(kind or True) if name not in able]
    if unable:
        raise UserError(f"{path} cannot be drawn as {', '.join(unable)}",
                        hint=f"it draws as {', '.join(able)}")
    server = serve(path, kind or able, theme)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        _report("stopped serving")
    finally:
        server.stop()


def _describe_source(meta: dict) -> str:
    """What the trace was recorded from, in the words of its scene kind."""
    from mlanim.scenes import kinds
    from mlanim.scenes.base import describe_training

    kind = kinds().get(meta.get("scene") or "")
    return kind.describe(meta) if kind else describe_training(meta)


def _interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP (a closed terminal, a job scheduler) stop a render like Ctrl-C: the
    temporary files are removed and nothing is left at the output paths."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def main() -> None:
    """Entry point of the ``mlanim`` script: every outcome is one line and an exit code,
    including typer's own complaints (an unknown flag, a missing argument)."""
    _interrupt_on_termination()
    from mlanim.quiet import quieted

    try:
        with quieted():
            code = app(standalone_mode=False)
    except Exception as err:  # typer vendors click: match its exceptions by class name
        kinds = {cls.__name__ for cls in type(err).__mro__}
        if "Abort" in kinds:
            _report("interrupted; no partial files were left")
            sys.exit(130)
        if "ClickException" not in kinds:
            raise
        if "NoArgsIsHelpError" in kinds:  # the help was printed: nothing else to say
            sys.exit(0)
        message = err.format_message().rstrip(".")  # type: ignore[attr-defined]
        if "UsageError" in kinds:
            context = getattr(err, "ctx", None)
            message += f"; see {context.command_path if context else 'mlanim'} --help"
        _report(message)
        sys.exit(int(getattr(err, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)
