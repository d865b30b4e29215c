"""The ``decision_boundary`` spec: the shared data/model/train sections and what to show."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import Section, TrainedSceneSpec


class BoundaryShow(Section):
    """What the decision-boundary scene shows."""

    resolution: int = Field(80, ge=20, le=400, description="grid points per axis of the field")
    margin: float = Field(0.15, ge=0, le=2, description="room around the data, as a fraction")
    validation: bool = Field(True, description="draw held-out points as rings")


class DecisionBoundarySpec(TrainedSceneSpec):
    """A classifier on 2-D data: the boundary forming over epochs, with loss curves."""

    scene: Literal["decision_boundary"] = "decision_boundary"
    show: BoundaryShow = BoundaryShow()
