"""The ``feature_space`` spec: the shared data/model/train sections (a last hidden layer of 2
units by default, or 3), and what to show."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import ModelSpec, Section, TrainedSceneSpec


class FeatureShow(Section):
    """What the feature-space scene shows."""

    regions: bool = Field(True, description="shade the output layer's class regions")
    validation: bool = Field(True, description="draw held-out points as rings")


class FeatureSpaceSpec(TrainedSceneSpec):
    """A classifier whose last hidden layer has 2 or 3 units: that layer's view of every point.

    Epoch by epoch, with the output layer's decision boundaries drawn in it."""

    scene: Literal["feature_space"] = "feature_space"
    model: ModelSpec = ModelSpec(hidden=[16, 2])
    show: FeatureShow = FeatureShow()
