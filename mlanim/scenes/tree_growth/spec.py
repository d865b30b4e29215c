"""The ``tree_growth`` spec: the data, the tree or forest to fit (or a fitted model file), and
what the video follows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import RecordedSceneSpec, Section
from mlanim.trees.spec import TreeDataSpec, TreeModelSpec


class TreeShowSpec(Section):
    """What the video follows."""

    sample: int = Field(0, ge=0, description="the training row that falls down the tree")
    plane: list[str | int] | None = Field(None, min_length=2, max_length=2, description=(
        "the two features drawn across and up (names or indices; default: the two the model "
        "relies on most); the model may use more, held at their median on the plane"))
    forest_trees: int = Field(4, ge=1, le=6, description="forest: trees shown with their "
                              "bootstrap samples")


class TreeGrowthSpec(RecordedSceneSpec):
    """A decision tree growing split by split, or a random forest voting.

    Every threshold, count and region is read from the trees scikit-learn fitted."""

    scene: Literal["tree_growth"] = "tree_growth"
    data: TreeDataSpec = TreeDataSpec()
    model: TreeModelSpec = TreeModelSpec()
    show: TreeShowSpec = TreeShowSpec()
