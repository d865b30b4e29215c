"""The ``loss_curves`` spec: the shared data/model/train sections, how many seeds, and what the
band shows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import Section, TrainedSceneSpec


class CurvesShow(Section):
    """What the loss-curves scene shows."""

    band: Literal["minmax", "std"] = Field(
        "minmax", description="around the mean of several runs: their range, or ± one std")
    accuracy: bool = Field(True, description="an accuracy panel beside the loss (classification)")


class LossCurvesSpec(TrainedSceneSpec):
    """Train and validation loss over epochs, of one run or the mean of several."""

    scene: Literal["loss_curves"] = "loss_curves"
    seeds: int = Field(1, ge=1, le=32, description="runs with seeds seed..seed+seeds-1 (same "
                       "data split); their mean is drawn with a band")
    show: CurvesShow = CurvesShow()
