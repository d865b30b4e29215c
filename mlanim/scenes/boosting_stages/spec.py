"""The ``boosting_stages`` spec: the data, the booster to fit (or a fitted model file), and the
row whose running sum is written out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import RecordedSceneSpec, Section
from mlanim.trees.spec import BoostingModelSpec, TreeDataSpec


class BoostingShowSpec(Section):
    """What the video follows."""

    probe: int = Field(0, ge=0, description="the training row whose running sum is written "
                       "as an equation")
    plane: list[str | int] | None = Field(None, min_length=2, max_length=2, description=(
        "the two features drawn across and up (default: the two the model relies on most); "
        "one feature: a prediction curve"))


class BoostingStagesSpec(RecordedSceneSpec):
    """Gradient boosting: each small tree fits what the ensemble still gets wrong.

    The prediction moves by the learning rate times each tree's output."""

    scene: Literal["boosting_stages"] = "boosting_stages"
    data: TreeDataSpec = TreeDataSpec()
    model: BoostingModelSpec = BoostingModelSpec()
    show: BoostingShowSpec = BoostingShowSpec()
