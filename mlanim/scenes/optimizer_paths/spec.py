"""The ``optimizer_paths`` spec: its own sections and defaults, validated by pydantic."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator

from mlanim.scenes.optimizer_paths.surfaces import (
    ExpressionError,
    parse_expression,
)
from mlanim.spec.sections import OptimizerSpec, SceneSpec, Section

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
        if value is not None and not math.isfinite(value[1] - value[0]):
            raise ValueError(f"the range {list(value)} is wider than numbers can hold: keep it "
                             "within about ±1e300")
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
