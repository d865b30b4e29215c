"""Helpers shared by the benchmarks: a trained quickstart trace and a stopwatch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlanim import pipeline
from mlanim.progress import SilentProgress

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenes" / "quickstart.yaml"


def quickstart_trace(**render_overrides):
    """The quickstart spec (with render overrides) and its trace (trained once, cached)."""
    loaded = pipeline.load(QUICKSTART)
    spec = pipeline.RenderOptions(overrides=render_overrides).apply(loaded.spec)
    return loaded, spec, pipeline.obtain_trace(loaded, spec, False, SilentProgress())


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    elapsed: list[float] = []
    start = time.perf_counter()
    yield elapsed
    elapsed.append(time.perf_counter() - start)
