"""What each moment of the tree_growth scene shows, read from the trace: the views in order,
the regions of the tree cut at each depth (or of the first trees of a forest), the root's
split search, one row's path, and the sentences, each from a stated rule."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from mlanim.analysis.claims import lowest
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import Segment, segment_at, split_frames
from mlanim.draw.video import VideoSettings
from mlanim.scenes.tree_growth.spec import TreeGrowthSpec
from mlanim.trace import Trace
from mlanim.trees.depth import DepthCurve
from mlanim.trees.plane import pick_features, plane
from mlanim.trees.recording import ensemble_of
from mlanim.trees.splits import SplitCurve, split_curves
from mlanim.trees.structure import LEAF

WEIGHTS = {"split": 3.0, "grow": 4.0, "path": 2.5, "depth": 2.0, "bootstrap": 4.0,
           "vote": 4.0}
CRITERIA = {"gini": "gini", "entropy": "entropy", "log_loss": "entropy",
            "squared_error": "variance"}


class TreeStory:
    """The fitted model, its data and plane, and the views the video shows in turn."""

    def __init__(self, spec: TreeGrowthSpec, trace: Trace, video: VideoSettings,
                 theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        self.ensemble = e = ensemble_of(trace)
        self.tree = self.ensemble.trees[0]
        self.forest = self.ensemble.family == "forest"
        dataset = meta["dataset"]
        self.features, self.classes = dataset["feature_names"], tuple(dataset["class_names"])
        self.classify = self.ensemble.task == "classification"
        self.x_train, self.y_train = trace.static("data/x_train"), trace.static("data/y_train")
        self.x_val, self.y_val = trace.static("data/x_val"), trace.static("data/y_val")
        self.params = meta.get("params", {})
        self.criterion = CRITERIA.get(str(self.params.get("criterion")), "impurity")
        self.plane = plane(self.x_train, self.x_val,
                           pick_features(spec.show.plane, self.features,
                                         importance=e.importance(len(self.features))))
        self.depth_curve = (DepthCurve(*(trace.static(f"depth/{p}") for p in
                                         ("depths", "train", "held_out")))
                            if "depth/depths" in trace else None)
        if self.forest:
            self.bootstrap = trace.static("forest/bootstrap")[: spec.show.forest_trees]
            self.oob_error = trace.static("forest/oob_error")
            views = ["bootstrap", "vote"]
        else:
            views = ["split", "grow", "path"] + (["depth"] if self.depth_curve else [])
            if self.tree.max_depth == 0:  # a single leaf: nothing grows, nothing to follow
                views = ["split"]
        self.segments = split_frames(views, WEIGHTS, video.count)
        self.sample = min(spec.show.sample, len(self.x_train) - 1)
        self._single: dict[int, np.ndarray] = {}
        self._errors: dict[int, float] = {}
        self._sum: tuple[int, np.ndarray] | None = None
        self.title = spec.title or (
            f"A random forest of {self.ensemble.stages} trees votes" if self.forest
            else "A decision tree grows, split by split")
        self.subtitle = self._subtitle(meta)
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=self._counter_sample())


    def _subtitle(self, meta: dict) -> str:
        data = meta["dataset"]
        model = (f"{self.ensemble.stages} trees, max depth {self.params.get('max_depth')}"
                 if self.forest else f"depth {self.tree.max_depth}, {len(self.tree.feature)} "
                 "nodes")
        held = f"{data['n_train']} train / {data['n_val']} held out"
        return " · ".join([data["name"], held, f"{self.ensemble.estimator} ({model})",
                           self.criterion if self.criterion != "impurity" else ""]).strip(" ·")

    def _counter_sample(self) -> str:
        if self.forest:
            return f"tree {self.ensemble.stages} / {self.ensemble.stages}"
        return f"depth {self.tree.max_depth} / {self.tree.max_depth}"

    def segment(self, frame: int) -> Segment:
        """The view ``frame`` belongs to."""
        return segment_at(self.segments, frame)

    # -- what the views show ---------------------------------------------------------------
    @cached_property
    def held_features(self) -> list[str]:
        """``bp 0.0057``: each feature off the plane that the model splits on, with the value
        (its training median) it is held at on the plane."""
        used = {int(f) for tree in self.ensemble.trees for f in tree.feature if f >= 0}
        return [f"{self.features[j]} {v:.3g}" for j, v in self.plane.held.items() if j in used]

    @property
    def held_note(self) -> str:
        """The other features' values on the plane, said when the model uses more than two."""
        held = self.held_features
        return ("other features held at their median: " + ", ".join(held)) if held else ""

    @property
    def held_short(self) -> str:
        """`held_note` in a few words, for a plane too narrow for the list."""
        count = len(self.held_features)
        return (f"the model's other {count} features held at their training median"
                if count else "")

    def regions(self, depth: int | None = None, trees: int | None = None) -> np.ndarray:
        """The model's prediction on the plane's grid, (res, res, classes) or (res, res), for
        the tree cut at ``depth`` or the first ``trees`` trees."""
        res = self.plane.resolution
        if trees is None:
            values = self.ensemble.predict(self.plane.rows, None, depth)
        else:
            values = self._running(trees) / trees
        return values.reshape(res, res, -1) if self.classify else values.reshape(res, res)

    def _running(self, trees: int) -> np.ndarray:
        """The sum of the first ``trees`` trees' predictions on the grid, carried forward
        from the last count asked for (frames ask for more and more trees)."""
        if self._sum is None or self._sum[0] > trees:
            self._sum = (0, np.zeros(1))
        count, total = self._sum
        for index in range(count, trees):
            tree = self.ensemble.trees[index].predict(self.plane.rows)
            total = total + (tree if self.classify else tree[:, 0])
        self._sum = (trees, total)
        return total

    def tree_regions(self, index: int) -> np.ndarray:
        """Tree ``index`` of a forest alone on the plane."""
        if index not in self._single:
            res = self.plane.resolution
            values = self.ensemble.trees[index].predict(self.plane.rows)
            self._single[index] = (values.reshape(res, res, -1) if self.classify
                                   else values[:, 0].reshape(res, res))
        return self._single[index]

    @cached_property
    def root_curves(self) -> list[SplitCurve]:
        """The impurity decrease at every candidate threshold of every feature, at the root
        (computed as scikit-learn computes it)."""
        criterion = str(self.params.get("criterion", "gini"))
        return split_curves(self.x_train, self.y_train, criterion, len(self.classes),
                            int(self.params.get("min_samples_leaf", 1)))

    def searched(self) -> list[int]:
        """The features whose search the split view shows: the plane's two, then the chosen
        one if it is neither."""
        chosen = int(self.tree.feature[0])
        shown = list(self.plane.features)
        return shown + ([chosen] if chosen >= 0 and chosen not in shown else [])

    def path(self) -> list[int]:
        """The nodes the followed row passes, root to leaf."""
        return self.tree.path(self.x_train[self.sample])

    def depth_at(self, p: float) -> int:
        """The depth the grow view shows at progress ``p``: 1 first, the whole tree last."""
        deepest = max(self.tree.max_depth, 1)
        return min(deepest, 1 + int(p * deepest))

    def member_at(self, p: float) -> int:
        """The forest's tree the bootstrap view is on at progress ``p``."""
        return min(len(self.bootstrap) - 1, int(p * len(self.bootstrap)))

    def train_error(self, depth: int) -> float:
        """The tree cut at ``depth`` on its training rows: 1 - accuracy, or squared error
        (kept: every frame of a depth's caption asks)."""
        if depth not in self._errors:
            predicted = self.ensemble.predict(self.x_train, depth=depth)
            self._errors[depth] = float(
                np.mean(np.argmax(predicted, axis=1) != self.y_train) if self.classify
                else np.mean((predicted - self.y_train) ** 2))
        return self._errors[depth]

    def leaves(self, depth: int) -> int:
        """Leaves of the tree cut at ``depth``."""
        tree = self.tree
        inner = (tree.left != LEAF) & (tree.depth < depth)
        return int(np.sum((tree.depth <= depth) & ~inner))

    def best_depths(self) -> list[int]:
        """The depths of lowest held-out error (several when they tie)."""
        curve = self.depth_curve
        return [int(curve.depths[k]) for k in lowest(list(curve.held_out))] if curve else []

    def root_decrease(self) -> float:
        """How much the root's split lowered the impurity (children weighted by rows)."""
        tree = self.tree
        left, right = int(tree.left[0]), int(tree.right[0])
        share = tree.weighted[[left, right]] / tree.weighted[0]
        return float(tree.impurity[0] - share @ tree.impurity[[left, right]])

    def reached(self, p: float) -> list[int]:
        """The nodes of the followed row's path reached at progress ``p`` of the path view."""
        path = self.path()
        return path[: 1 + min(len(path) - 1, int(p * 1.25 * len(path)))]

    def trees_at(self, p: float) -> int:
        """Trees voting at progress ``p`` of the vote view: one, then more, then all."""
        total = self.ensemble.stages
        return max(1, min(total, round(1 + (total - 1) * min(p / 0.85, 1.0) ** 2)))

