"""The tree_growth scene's sentences: each follows from the fitted numbers by a stated rule
(overfitting and ties by `mlanim.analysis`'s shared rules)."""

from __future__ import annotations

import numpy as np

from mlanim.draw.tree_diagram import rule
from mlanim.scenes.tree_growth.story import TreeStory
from mlanim.trees.structure import LEAF


class TreeSentences:
    """What the captions say, view by view, of one story."""

    def __init__(self, story: TreeStory) -> None:
        self.story = story

    def caption(self, view: str, p: float) -> str:
        """One line on what ``view`` shows at progress ``p``, from the fitted numbers."""
        return getattr(self, f"_say_{view}")(p)

    def _say_split(self, p: float) -> str:
        s = self.story
        tree = s.tree
        if tree.left[0] == LEAF:
            return "No split lowers the impurity here: the tree is a single leaf"
        if p < 0.8:
            return (f"Trying every threshold: each point is how much a split there lowers "
                    f"the {s.criterion}, the two sides weighted by their rows")
        chosen = s.root_decrease()
        best = max(float(c.decrease.max(initial=-np.inf)) for c in s.root_curves)
        which = ("the most of any threshold" if chosen >= best - 1e-9 * max(1.0, abs(best))
                 else "the best of the features this tree was allowed to try")
        return (f"scikit-learn splits the root on {rule(tree, 0, s.features)}: the "
                f"{s.criterion} falls by {chosen:.3g}, {which}")

    def _say_grow(self, p: float, depth: int | None = None) -> str:
        s = self.story
        depth = depth or s.depth_at(p)
        error = s.train_error(depth)
        fit = (f"{1 - error:.0%} of training rows land in a leaf of their own class"
               if s.classify else f"squared error on the training rows {error:.4g}")
        leaves = s.leaves(depth)
        return (f"Depth {depth}: {leaves} {'leaf' if leaves == 1 else 'leaves'}, each a region "
                f"of the plane; {fit}")

    def _say_path(self, p: float) -> str:
        s = self.story
        path, reached = s.path(), s.reached(p)
        tree, row = s.tree, s.x_train[s.sample]
        if len(reached) < len(path):
            node = reached[-1]
            value = float(row[tree.feature[node]])
            yes = path[len(reached)] == tree.left[node]
            sign = ("<" if yes else "≥") if tree.compare == "lt32" else ("≤" if yes else ">")
            return (f"Row {s.sample}: {s.features[tree.feature[node]]} = {value:.4g} "
                    f"{sign} {tree.threshold[node]:.4g}, so it goes "
                    f"{'left' if yes else 'right'}")
        leaf = tree.value[path[-1]]
        said = (s.classes[int(np.argmax(leaf))] if s.classify else f"{leaf[0]:.4g}")
        truth = (s.classes[int(s.y_train[s.sample])] if s.classify
                 else f"{s.y_train[s.sample]:.4g}")
        return (f"Row {s.sample} (truth: {truth}) met {len(path) - 1} rules and ends in a "
                f"leaf that predicts {said}")

    def _say_depth(self, p: float) -> str:
        s = self.story
        curve = s.depth_curve
        best = s.best_depths()
        what = "error" if s.classify else "squared error"
        if p < 0.7:
            return (f"A tree fitted anew at each max_depth: training {what} falls as trees "
                    "grow deeper; held-out rows tell whether they generalise")
        depths = " and ".join(str(b) for b in best)
        onset = curve.overfits_from
        if onset is not None:
            return (f"Held-out {what} is lowest at depth{'s' if len(best) > 1 else ''} "
                    f"{depths}; from depth {onset} it rises while training error keeps "
                    "falling: deeper trees overfit")
        if len(best) > 1:
            return f"Held-out {what} ties for lowest at depths {depths}"
        return (f"Held-out {what} is lowest at depth {best[0]}; deeper trees do not make it "
                "rise for good, so this tree does not overfit")

    def _say_bootstrap(self, p: float) -> str:
        s = self.story
        member = s.member_at(p)
        counts = s.bootstrap[member]
        seen = int(np.sum(counts > 0))
        return (f"Tree {member + 1} grew on a bootstrap sample: {seen} of {len(counts)} rows, "
                "some drawn more than once (bigger dots); grey rings: rows it never saw")

    def _say_vote(self, p: float) -> str:
        s = self.story
        total = s.ensemble.stages
        count = s.trees_at(p)
        error = s.oob_error[count - 1]
        shown = f"{error:.1%}" if s.classify else f"{error:.4g}"
        mean = "class shares" if s.classify else "predictions"
        oob = f"out-of-bag error {shown}" if np.isfinite(error) else "no row is out of bag yet"
        return f"{count} of {total} trees vote: the plane shows their averaged {mean}; {oob}"
