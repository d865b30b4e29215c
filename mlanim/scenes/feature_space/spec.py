"""The ``feature_space`` spec: the shared data/model/train sections with a 2-unit last hidden
layer by default, and what to show."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import ModelSpec, Section, TrainedSceneSpec


class FeatureShow(Section):
    """What the feature-space scene shows."""

    regions: bool = Field(True, description="shade the output layer's class regions")
    validation: bool = Field(True, description="draw held-out points as rings")


class FeatureSpaceSpec(TrainedSceneSpec):
    """A classifier whose last hidden layer has 2 units: that layer's representation of every
    point over epochs, with the output layer's decision lines in it."""

    scene: Literal["feature_space"] = "feature_space"
    model: ModelSpec = ModelSpec(hidden=[16, 2])
    show: FeatureShow = FeatureShow()
