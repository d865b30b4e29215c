"""Derived data: what is computed from a trace but not recorded (projections, diagnoses).

A scene kind declares its costly computations as `Analysis` units: a name, what the result
depends on besides the trace (its key), and the function that computes it. The pipeline's
analyse stage (`derive`) runs each one or loads it from the cache, keyed by the trace and the
unit's key, and hands the results to drawing as one `Derived`. Switching between analyses of
one trace (a projection method, say) therefore never retrains, and each unit is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlanim.progress import Progress
from mlanim.trace import Trace

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Analysis:
    """One computation on a trace: ``compute(trace, progress)`` returns named arrays."""

    name: str
    key: Mapping[str, Any]
    compute: Callable[[Trace, Progress], Arrays] = field(compare=False)


@dataclass(frozen=True)
class Derived:
    """The results of a kind's analyses, by analysis name."""

    results: Mapping[str, Arrays] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Arrays:
        if name not in self.results:
            raise KeyError(f"no analysis named {name!r} was run (have: {sorted(self.results)})")
        return self.results[name]

    def __contains__(self, name: object) -> bool:
        return name in self.results


def derive(analyses: Iterable[Analysis], trace: Trace, progress: Progress) -> Derived:
    """Run each analysis, or load its result from the derived-data cache."""
    from mlanim.trace.cache import derived_path, trace_identity

    identity = trace_identity(trace.meta, trace.digest)
    results = {}
    for analysis in analyses:
        path = derived_path(identity, {"analysis": analysis.name, **analysis.key})
        results[analysis.name] = _load(path) if path.exists() else _compute(analysis, trace,
                                                                             progress, path)
    return Derived(results)


def _load(path) -> Arrays:
    with np.load(path, allow_pickle=False) as cached:
        return {name: cached[name] for name in cached.files}


def _compute(analysis: Analysis, trace: Trace, progress: Progress, path) -> Arrays:
    from mlanim.atomic import atomic_path

    arrays = analysis.compute(trace, progress)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    return arrays
