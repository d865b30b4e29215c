"""Scene kind ``tree_growth``: a decision tree growing split by split, or a forest voting.

Every threshold, impurity, count and region is read from the estimator scikit-learn fitted
(or the fitted model the spec names): the split search at the root with the impurity decrease
at every candidate threshold, the plane recolouring depth by depth beside the tree's cards, one
row falling down the tree, and error against depth from trees fitted at every depth. A forest
shows a few trees' bootstrap samples and regions, then the trees' averaged vote.
"""

from __future__ import annotations

from mlanim.scenes.tree_growth.spec import TreeGrowthSpec
from mlanim.scenes.tree_kinds import TreeKind


class TreeGrowth(TreeKind):
    """A decision tree growing split by split, or a random forest voting (fitted trees)."""

    Spec = TreeGrowthSpec
    drawn_by = ("story.TreeStory", "picture.TreePicture")
    families = ("tree", "forest")


KIND = TreeGrowth()
