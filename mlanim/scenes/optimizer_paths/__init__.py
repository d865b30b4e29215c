"""Scene kind ``optimizer_paths``: optimizers racing on a loss surface.

Each optimizer in the list runs with its real ``torch.optim`` class on the two coordinates of a
classic test function (or a user expression); the paths are exactly what PyTorch does. Views:
filled contours, an orbiting 3-D surface, or both side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.scenes.optimizer_paths.spec import (
    OptimizerPathsSpec,
    PathOptimizer,
)
from mlanim.scenes.optimizer_paths.surfaces import (
    SURFACES,
    Surface,
    parse_expression,
)
from mlanim.scenes.picture_scene import Move, PictureScene
from mlanim.trace import Trace

Range = tuple[float, float]


@dataclass(frozen=True)
class Setup:
    """The spec with the surface's defaults filled in."""

    surface: Surface
    x_range: Range
    y_range: Range
    start_point: tuple[float, float]
    steps: int
    optimizers: list[PathOptimizer]


def setup(spec: OptimizerPathsSpec) -> Setup:
    """Resolve the surface, its ranges and the start point; check the start is inside."""
    base = SURFACES[spec.surface.function]
    if spec.surface.expression:
        fn = parse_expression(spec.surface.expression)
        minima = tuple(tuple(m) for m in spec.surface.minima or ())
        base = Surface("expression", fn, (-2.0, 2.0), (-2.0, 2.0), (1.5, 1.5), minima,
                       spec.surface.expression)
    x_range = spec.surface.x_range or base.x_range
    y_range = spec.surface.y_range or base.y_range
    start = spec.start or base.start
    if not (x_range[0] <= start[0] <= x_range[1] and y_range[0] <= start[1] <= y_range[1]):
        raise SpecError(f"start {list(start)} is outside the plotted range x {list(x_range)}, "
                        f"y {list(y_range)}", key_path=("start",),
                        hint="move the start inside, or widen surface.x_range / y_range")
    return Setup(base, x_range, y_range, start, spec.steps, spec.optimizers)


class OptimizerPaths(PictureScene):
    """Optimizers racing on a loss surface (real torch.optim steps)."""

    Spec = OptimizerPathsSpec
    drawn_by = ("story.PathStory", "picture.path_picture")
    keyed_by = ("surface", "start", "steps", "optimizers")
    moves = ("optimizer_race",)

    def move(self, story, name: str) -> Move:
        """``optimizer_race``: every optimizer from the start to its last recorded step."""
        return Move(0, story.timeline.snapshots - 1, on_snapshots=True)

    def recording(self, spec: OptimizerPathsSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Every optimizer's path, keyed by the surface, start, steps and optimizers."""
        from mlanim.scenes.optimizer_paths.record import record_paths

        resolved = setup(spec)
        return self.recording_key(spec), \
            lambda progress: record_paths(resolved, resolved.surface, progress)

    def clock(self, spec: OptimizerPathsSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """Every optimizer step from 0, swept evenly (``--at step=30``); no epochs."""
        steps = np.arange(int(trace.meta["steps"]) + 1, dtype=float)
        return steps, np.full_like(steps, np.nan)

    def describe(self, meta: dict) -> str:
        """The surface the optimizers raced on."""
        labels = ", ".join(opt.get("label", "?") for opt in meta.get("optimizers", []))
        start = meta.get("start") or ["?", "?"]
        return (f"{labels} on f(x, y) = {meta.get('formula')}, {meta.get('steps')} steps from "
                f"({start[0]:g}, {start[1]:g})" if meta.get("start") else
                f"surface {meta.get('surface')}: {labels}")


KIND = OptimizerPaths()
