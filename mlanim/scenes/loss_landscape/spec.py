"""The ``loss_landscape`` spec: its own sections and defaults, validated by pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from mlanim.spec.sections import DataSpec, ModelSpec, OptimizerSpec, Section, TrainedSceneSpec
from mlanim.spec.sections import TrainSpec as BaseTrainSpec


class LandscapeSection(Section):
    """How the 2-D slice is chosen and sampled."""

    directions: Literal["pca", "random"] = Field(
        "pca", description="pca (of the weight trajectory) | random (filter-normalised)")
    resolution: int = Field(41, ge=11, le=201, description="grid points per axis (odd)")
    span: float = Field(1.0, gt=0, le=100, description="how far the grid reaches")

    @field_validator("resolution")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"landscape.resolution must be odd so the trained weights sit on "
                             f"the grid's centre (try {value + 1})")
        return value


class LandscapeSpec(TrainedSceneSpec):
    """A trained network's loss around its final weights, with the training path on it."""

    scene: Literal["loss_landscape"] = "loss_landscape"
    data: DataSpec = DataSpec(name="moons")
    model: ModelSpec = ModelSpec(hidden=[16, 16])
    train: BaseTrainSpec = BaseTrainSpec(epochs=40, optimizer=OptimizerSpec(name="sgd", lr=0.1))
    landscape: LandscapeSection = LandscapeSection()
    view: Literal["contour", "surface", "both"] = "both"
