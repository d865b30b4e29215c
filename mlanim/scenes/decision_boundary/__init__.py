"""Scene kind ``decision_boundary``: the class-probability field forming over epochs.

The network's predicted class probabilities over the input plane, shaded by confidence, with
the boundary where the prediction flips and the training (dots) and validation (rings) points;
beside it the train and validation loss and accuracy up to the current epoch.
"""

from __future__ import annotations

import numpy as np

from mlanim.analysis.derived import Derived
from mlanim.data import Dataset
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import SpecError
from mlanim.scenes.base import require_classification
from mlanim.scenes.decision_boundary.spec import DecisionBoundarySpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace
from mlanim.train.plan import Grid, RecordingPlan


class DecisionBoundary(PictureScene):
    """The boundary forming over epochs, with loss curves beside it."""

    Spec = DecisionBoundarySpec
    live = True
    needs = (("grid/output", "the model's output over its 2-D input plane",
              "mlanim.watch records it when the model reads two input features and rec.step "
              "gets x="),)

    def check(self, spec: DecisionBoundarySpec, dataset: Dataset) -> None:
        """The scene needs a classification task on exactly two features."""
        require_classification(self.name, dataset, ("data", "task"))
        if dataset.n_features != 2:
            names = ", ".join(dataset.feature_names[:6])
            raise SpecError(
                f"decision_boundary draws a 2-D input plane, but {dataset.name} has "
                f"{dataset.n_features} features", key_path=("data", "name"),
                hint=f"pick two with data.features: [a, b] (features: {names}, ...)")

    def plan(self, spec: DecisionBoundarySpec, dataset: Dataset) -> RecordingPlan:
        """Metrics, the model's output on a grid covering the data, and every row's class
        probabilities (what a page's hover says), every epoch."""
        x = np.concatenate([dataset.x_train, dataset.x_val])
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = (hi - lo) * spec.show.margin
        grid = Grid((float(lo[0] - pad[0]), float(hi[0] + pad[0])),
                    (float(lo[1] - pad[1]), float(hi[1] + pad[1])), spec.show.resolution)
        return RecordingPlan(metrics=True, grid=grid, every_epochs=spec.train.record_every,
                             every_steps=spec.train.record_every_steps, probabilities="auto")

    def clock(self, spec: DecisionBoundarySpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        channel = trace.channel("grid/output")
        return channel.steps, channel.epochs

    def story(self, spec: DecisionBoundarySpec, trace: Trace, video: VideoSettings, theme: Theme,
              derived: Derived | None = None):
        """The recorded field and curves, laid out in the shared frame."""
        from mlanim.scenes.decision_boundary.picture import BoundaryPicture
        from mlanim.scenes.decision_boundary.story import Story

        story = Story(spec, trace, video)
        frame = Frame(video, theme, story.title, story.subtitle,
                      counter_sample=story.counter(story.moment(video.count - 1)))
        return BoundaryPicture(story, frame, theme)


KIND = DecisionBoundary()
