"""Scene kind ``boosting_stages``: gradient boosting, stage by stage.

From the prior (the class log-odds or the mean target), each stage's small tree fits the
residuals the ensemble still leaves (y - p for classes), and the prediction moves by the
learning rate times its output. One row's running sum is written out as an equation with the
numbers of scikit-learn's ``staged_decision_function``; training and held-out loss after every
stage mark the best stage.
"""

from __future__ import annotations

from mlanim.scenes.boosting_stages.spec import BoostingStagesSpec
from mlanim.scenes.tree_kinds import TreeKind


class BoostingStages(TreeKind):
    """Gradient boosting: each small tree fits what the ensemble still gets wrong."""

    Spec = BoostingStagesSpec
    drawn_by = ("story.BoostingStory", "picture.BoostingPicture")
    families = ("boosting",)


KIND = BoostingStages()
