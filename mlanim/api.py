"""The Python API: `render` a spec (a file, or a dict) without the command line, and `Run`, a
recording from your own loop (`mlanim.watch`) to render. Both are thin layers over the
pipeline the CLI uses; what they return displays inline in Jupyter."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlanim import scenes
from mlanim.errors import UsageError, UserError
from mlanim.progress import Progress, SilentProgress
from mlanim.quiet import quieted
from mlanim.spec.sections import RenderSpec
from mlanim.spec.yaml_source import MAX_DEPTH, MAX_SPEC_BYTES, MAX_VALUES

RENDER_KEYS = tuple(RenderSpec.model_fields)
"""Keyword overrides that go into the spec's ``render:`` section (``gif={"max_mb": 4}``)."""
KEYWORD = "render(..., {})"  # how an error names a keyword override
INLINE_BYTES = 40 * 2**20
"""Larger videos are linked from the notebook, not embedded in it."""


class Rendered(list):
    """The files a render wrote (a list of `Path`), shown inline in a notebook: a video, GIF
    or image, whichever was made first."""

    def _repr_html_(self) -> str:
        for path in self:
            snippet = _inline(Path(path))
            if snippet:
                return snippet
        return "<br>".join(html.escape(str(p)) for p in self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(list(self))}


def _inline(path: Path) -> str | None:
    """HTML showing ``path`` (embedded as data, so the notebook carries it)."""
    types = {".mp4": ("video", "video/mp4"), ".webm": ("video", "video/webm"),
             ".gif": ("img", "image/gif"), ".png": ("img", "image/png"),
             ".svg": ("img", "image/svg+xml")}
    if path.suffix == ".html" and path.is_file():
        return _inline_page(path)
    if path.suffix not in types or not path.is_file():
        return None
    tag, mime = types[path.suffix]
    if path.stat().st_size > INLINE_BYTES:
        return f'<a href="{html.escape(str(path))}">{html.escape(path.name)}</a>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    source = f"data:{mime};base64,{data}"
    if tag == "video":
        return (f'<video controls loop autoplay muted playsinline style="max-width:100%">'
                f'<source src="{source}" type="{mime}"></video>')
    return f'<img src="{source}" style="max-width:100%" alt="{html.escape(path.name)}">'


def _inline_page(path: Path) -> str:
    """A page in a sandboxed frame (its scripts run, apart from the notebook's), as tall as
    the page says it needs; a link when it is larger than notebooks carry well."""
    if path.stat().st_size > INLINE_BYTES:
        return f'<a href="{html.escape(str(path))}">{html.escape(path.name)}</a>'
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<html data-height="(\d+)"', text)
    height = int(found.group(1)) if found else 800
    return (f'<iframe srcdoc="{html.escape(text)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{height}px;border:0" title="{html.escape(path.name)}">'
            "</iframe>")


def render(spec: str | Path | Mapping[str, Any], *, out: str | Path | None = None,
           fresh: bool = False, at: float | str | None = None, frames: str | None = None,
           progress: Progress | None = None, **overrides: Any) -> Rendered:
    """Render a scene spec and return the files written.

    ``spec`` is a path to a YAML file, or the spec itself as a dict (``{"scene":
    "decision_boundary", "data": {"name": "moons"}}``). Keyword ``overrides`` set keys of
    the ``render:`` section (``duration=8, theme="light", formats=["gif"]``) or of the top
    level (``title="..."``, a kind's section: ``embed={"method": "pca"}``), checked like the
    spec's own keys; ``out`` is a folder to write into; ``fresh``
    retrains instead of using the cached trace; ``at`` writes one still (seconds, or
    ``"epoch=20"``, ``"step=300"``) and ``frames`` a range (``"100:200"``), as ``--at`` and
    ``--frames`` do. Mistakes raise a `mlanim.errors.UserError` whose message says what and
    where.
    """
    from mlanim import pipeline

    sets = tuple(_set_flags(overrides))
    options = pipeline.RenderOptions(out_dir=Path(out) if out is not None else None,
                                     fresh=fresh, sets=sets, set_label=KEYWORD,
                                     at=None if at is None else str(at), frames=frames)
    progress = progress or SilentProgress(stderr=True)  # findings and layout warnings
    with quieted():
        return _render(spec, options, sets, progress)


def _render(spec: str | Path | Mapping[str, Any], options: Any, sets: tuple[str, ...],
            progress: Progress) -> Rendered:
    from mlanim import pipeline

    if isinstance(spec, Mapping):
        loaded = pipeline.load_data(_plain(dict(spec)), sets, KEYWORD)
        return Rendered(pipeline.render_loaded(loaded, options, progress))
    if isinstance(spec, str | Path):
        return Rendered(pipeline.render(Path(spec), options, progress))
    raise UsageError(f"mlanim.render(spec): spec is a {type(spec).__name__}",
                     hint="pass a path to a YAML file, or the spec as a dict")


def _set_flags(overrides: Mapping[str, Any]) -> list[str]:
    """``--set`` flags for keyword overrides: render keys under ``render.``, the rest at the
    top level of the spec (``title=``, or a kind's section: ``embed={"method": "pca"}``),
    checked like the spec's own keys; values written as JSON (which YAML reads back)."""
    import json

    flags = []
    for key, value in overrides.items():
        path = f"render.{key}" if key in RENDER_KEYS else key  # others: the spec's own keys
        flags.append(f"{path}={json.dumps(_plain(value, key))}")
    return flags


def _plain(value: Any, where: str = "spec") -> Any:
    """``value`` as YAML-plain data: paths as strings, tuples as lists, numpy numbers and
    arrays as Python numbers and lists. Given as a stranger's spec would be read: at most
    `MAX_DEPTH` deep, `MAX_VALUES` values and `MAX_SPEC_BYTES` of text, no cycle, and only
    data (a mapping, list, string, number, bool or None)."""
    return _Plainer().plain(value, where, 0)


def _shown(where: str) -> str:
    """A key path short enough for a one-line message."""
    return where if len(where) <= 60 else where[:28] + "…" + where[-28:]


class _Plainer:
    """One conversion's budget: values and characters so far, and the containers open."""

    def __init__(self) -> None:
        self.values = self.chars = 0
        self.open: set[int] = set()

    def plain(self, value: Any, where: str, depth: int) -> Any:
        self.values += 1
        if depth > MAX_DEPTH or self.values > MAX_VALUES:
            raise UsageError(f"{_shown(where)} nests more than {MAX_DEPTH} deep or holds more than "
                             f"{MAX_VALUES:,} values", hint="a scene spec is a page of settings")
        if isinstance(value, Mapping | list | tuple):
            if id(value) in self.open:
                raise UsageError(f"{_shown(where)} contains itself",
                                 hint="pass plain, finite data")
            self.open.add(id(value))
            try:
                if isinstance(value, Mapping):
                    return {str(k): self.plain(v, f"{where}.{k}", depth + 1)
                            for k, v in value.items()}
                return [self.plain(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
            finally:
                self.open.discard(id(value))
        if isinstance(value, Path):
            value = str(value)
        elif hasattr(value, "tolist") and callable(value.tolist):  # numpy numbers and arrays
            return self.plain(value.tolist(), where, depth)
        if isinstance(value, str):
            self.chars += len(value)
            if self.chars > MAX_SPEC_BYTES:
                raise UsageError(f"{_shown(where)} is too long: a spec holds at most "
                                 f"{MAX_SPEC_BYTES // 1024} KB of text",
                                 hint="keep long texts in a file the spec names")
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        raise UsageError(f"{_shown(where)} is of type {type(value).__name__}, not spec data",
                         hint="use strings, numbers, booleans, lists and dicts")


def load(source: str | Path, *, fresh: bool = False,
         progress: Progress | None = None) -> Run:
    """The `Run` of ``source``: a spec (YAML; its trace from the cache, or recorded now, as
    ``mlanim render`` would) or a saved trace (``.mlanim``, from `mlanim.watch` or
    ``mlanim trace``). ``fresh`` records a spec's trace anew. Mistakes raise a
    `mlanim.errors.UserError` naming the file."""
    from mlanim import pipeline
    from mlanim.errors import DataError
    from mlanim.trace import load_trace

    path = Path(source).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file", hint="give the path of a scene spec (.yaml) "
                                                     "or of a recorded run (.mlanim)")
    if path.suffix not in (".yaml", ".yml"):
        load_trace(path)  # a file that is not a whole trace is refused here, not later
        return Run(path)
    with quieted():
        loaded = pipeline.load(path)
        trace = pipeline.obtain_trace(loaded, loaded.spec, fresh,
                                      progress or SilentProgress(stderr=True))
    return Run(Path(trace.path), spec=path)


class Run:
    """A recorded run on disk (from `mlanim.watch`, or `mlanim.load` of a spec or a trace):
    render it as any scene kind that can draw a recording, or (a spec's run) as its spec."""

    def __init__(self, path: str | Path, spec: str | Path | None = None) -> None:
        self.path = Path(path)
        self.spec = None if spec is None else Path(spec)

    def __repr__(self) -> str:
        spec = "" if self.spec is None else f", spec={str(self.spec)!r}"
        return f"Run({str(self.path)!r}{spec})"

    @property
    def trace(self) -> Any:
        """The recorded `mlanim.trace.Trace` (its arrays read when first asked for)."""
        from mlanim.trace import load_trace

        return load_trace(self.path)

    @property
    def meta(self) -> dict[str, Any]:
        """What the run recorded about itself (model, optimizer, data, steps)."""
        from mlanim.trace import load_trace

        return load_trace(self.path).meta

    def render(self, kind: str | None = None, *, out: str | Path | None = None,
               at: float | str | None = None, frames: str | None = None,
               progress: Progress | None = None, **overrides: Any) -> Rendered:
        """Render the run as scene ``kind`` (``loss_curves``, ``gradient_flow``,
        ``decision_boundary``, ``embedding_evolution``, ...) and return the files written;
        ``at``, ``frames`` and ``overrides`` as for `mlanim.render` (``duration=8, theme="light",
        formats=["gif"]``). Files go to ``outputs/<run name>_<kind>`` unless ``output`` or
        ``out`` say otherwise. Without ``kind``, a spec's run renders as its spec says."""
        if self.spec is not None:
            scene = self.trace.meta.get("scene")
            if kind not in (None, scene):
                raise UsageError(f"this run was recorded by {self.spec} for {scene}, and draws "
                                 f"only as {scene}", hint=f"run.render() renders it as its spec "
                                 f"says; {kind} needs a spec of its own (mlanim new {kind})")
            return render(self.spec, out=out, at=at, frames=frames, progress=progress,
                          **overrides)
        if kind is None:
            raise UsageError("this run has no spec to render by",
                             hint=f"name a kind: run.render(\"loss_curves\"); one of: "
                                  f"{', '.join(drawable_kinds())}")
        known = scenes.kinds()
        if kind not in known:
            raise UsageError(f"unknown scene kind {kind!r}",
                             hint=f"one of: {', '.join(sorted(known))}")
        if "trace" not in scenes.get(kind).Spec.model_fields:
            raise UsageError(f"{kind} trains a model of its own and cannot draw a recorded "
                             "run", hint=f"render it from a spec (mlanim new {kind}); kinds "
                                         f"that draw your run: {', '.join(drawable_kinds())}")
        spec = {"scene": kind, "trace": str(self.path.resolve()),
                "output": overrides.pop("output", f"outputs/{self.path.stem}_{kind}")}
        try:
            return render(spec, out=out, at=at, frames=frames, progress=progress, **overrides)
        except UserError as error:
            if list(error.key_path)[:1] == ["trace"]:
                error.file, error.line, error.column = str(self.path), None, None
            raise


def drawable_kinds() -> list[str]:
    """Scene kinds whose spec can take a recorded run (``trace:``)."""
    return [name for name in sorted(scenes.kinds())
            if "trace" in scenes.get(name).Spec.model_fields]
