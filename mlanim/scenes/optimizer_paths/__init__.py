"""Scene kind ``optimizer_paths``: optimizers racing on a loss surface.

Each optimizer in the list runs with its real ``torch.optim`` class on the two coordinates of a
classic test function (or a user expression); the paths are exactly what PyTorch does. Views:
filled contours, an orbiting 3-D surface, or both side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.optimizer_paths.surfaces import (
    SURFACES,
    ExpressionError,
    Surface,
    parse_expression,
)
from mlanim.scenes.picture_scene import PictureScene
from mlanim.spec.sections import OptimizerSpec, SceneSpec, Section
from mlanim.trace import Trace

Range = tuple[float, float]


class SurfaceSpec(Section):
    """The function to descend: a named classic, or an expression in x and y."""

    function: Literal["quadratic", "rosenbrock", "beale", "himmelblau", "saddle", "rastrigin",
                      "booth", "ackley"] = "rosenbrock"
    expression: str | None = Field(None, description='e.g. "x**2 + 10*y**2" (parsed, not eval)')
    x_range: Range | None = Field(None, description="default: the function's usual range")
    y_range: Range | None = None
    minima: list[tuple[float, float]] | None = Field(None, description="marked on the plot")

    @field_validator("expression")
    @classmethod
    def _expression_parses(cls, text: str | None) -> str | None:
        if text is not None:
            try:
                parse_expression(text)
            except ExpressionError as err:
                raise ValueError(f"surface.expression: {err}") from None
        return text

    @field_validator("x_range", "y_range")
    @classmethod
    def _range_has_size(cls, value: Range | None) -> Range | None:
        if value is not None and not value[0] < value[1]:
            raise ValueError(f"a range must go from low to high, got {list(value)}")
        return value


class PathOptimizer(OptimizerSpec):
    """An optimizer to race, with an optional legend label."""

    label: str | None = None

    def arguments(self) -> dict[str, object]:
        """torch arguments (the label is not one)."""
        args = super().arguments()
        args.pop("label", None)
        return args


def _default_optimizers() -> list[PathOptimizer]:
    return [PathOptimizer(name="sgd", lr=0.001),
            PathOptimizer(name="momentum", lr=0.001, momentum=0.9),
            PathOptimizer(name="adam", lr=0.05), PathOptimizer(name="rmsprop", lr=0.01)]


class OptimizerPathsSpec(SceneSpec):
    """Optimizers racing on a loss surface, every step a real torch.optim step."""

    scene: Literal["optimizer_paths"] = "optimizer_paths"
    surface: SurfaceSpec = SurfaceSpec()
    start: tuple[float, float] | None = Field(None, description="default: the function's own")
    steps: Annotated[int, Field(gt=0, le=100_000)] = 300
    optimizers: list[PathOptimizer] = Field(default_factory=_default_optimizers, min_length=1,
                                            max_length=8)
    view: Literal["contour", "surface", "both"] = "contour"


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
    """Registry entry for ``optimizer_paths``."""

    name = "optimizer_paths"
    description = "optimizers racing on a loss surface (real torch.optim steps)"
    Spec = OptimizerPathsSpec
    default_backend = "matplotlib"

    def recording(self, spec: OptimizerPathsSpec, resolve: Callable[[str], Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Every optimizer's path, keyed by the surface, start, steps and optimizers."""
        from mlanim.scenes.optimizer_paths.record import record_paths

        resolved = setup(spec)
        payload = {"scene": self.name,
                   **spec.model_dump(mode="json", include={"surface", "start", "steps",
                                                           "optimizers"})}
        return payload, lambda progress: record_paths(resolved, resolved.surface, progress)

    def story(self, spec: OptimizerPathsSpec, trace: Trace, video: VideoSettings,
              theme: Theme):
        """The recorded paths and surface, read once."""
        from mlanim.scenes.optimizer_paths.picture import PathStory

        return PathStory(spec, trace, video, theme)

    def compose(self, story, frame: int):
        """One frame's picture."""
        from mlanim.scenes.optimizer_paths.picture import path_picture

        return path_picture(story, frame)


KIND = OptimizerPaths()
