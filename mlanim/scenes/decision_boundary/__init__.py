"""Scene kind ``decision_boundary``: the class-probability field forming over epochs.

Left, the network's predicted class probabilities over the input plane, shaded by confidence, with
the boundary where the prediction flips and the training (dots) and validation (rings) points.
Right, the train and validation loss and accuracy up to the current epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.base import Frames, SceneKind
from mlanim.scenes.decision_boundary.story import Story
from mlanim.spec.sections import Section, TrainedSceneSpec
from mlanim.trace import Trace
from mlanim.train.plan import Grid, RecordingPlan


class BoundaryShow(Section):
    """What the decision-boundary scene shows."""

    resolution: int = Field(80, ge=20, le=400, description="grid points per axis of the field")
    margin: float = Field(0.15, ge=0, le=2, description="room around the data, as a fraction")
    validation: bool = Field(True, description="draw held-out points as rings")


class DecisionBoundarySpec(TrainedSceneSpec):
    """A classifier on 2-D data: the boundary forming over epochs, with loss curves."""

    scene: Literal["decision_boundary"] = "decision_boundary"
    show: BoundaryShow = BoundaryShow()


class DecisionBoundary(SceneKind):
    """Registry entry for ``decision_boundary``."""

    name = "decision_boundary"
    description = "the boundary forming over epochs, with loss curves beside it"
    Spec = DecisionBoundarySpec
    default_backend = "matplotlib"

    def check(self, spec: DecisionBoundarySpec, dataset: Dataset) -> None:
        """The scene needs a classification task on exactly two features."""
        if dataset.task != "classification":
            raise SpecError("decision_boundary needs a classification dataset",
                            key_path=("data", "task"), hint="use moons, circles, iris, ... or "
                            "a csv whose target holds classes")
        if dataset.n_features != 2:
            names = ", ".join(dataset.feature_names[:6])
            raise SpecError(
                f"decision_boundary draws a 2-D input plane, but {dataset.name} has "
                f"{dataset.n_features} features", key_path=("data", "name"),
                hint=f"pick two with data.features: [a, b] (features: {names}, ...)")

    def plan(self, spec: DecisionBoundarySpec, dataset: Dataset) -> RecordingPlan:
        """Metrics and the model's output on a grid covering the data, every epoch."""
        x = np.concatenate([dataset.x_train, dataset.x_val])
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = (hi - lo) * spec.show.margin
        grid = Grid((float(lo[0] - pad[0]), float(hi[0] + pad[0])),
                    (float(lo[1] - pad[1]), float(hi[1] + pad[1])), spec.show.resolution)
        return RecordingPlan(metrics=True, grid=grid, every_epochs=spec.train.record_every,
                             every_steps=spec.train.record_every_steps)

    def frames(self, spec: DecisionBoundarySpec, trace: Trace, video: VideoSettings,
               theme: Theme, backend: str) -> Frames:
        """The animation, drawn by matplotlib or manim."""
        story = Story(spec, trace, video)
        if backend == "manim":
            from mlanim.scenes.decision_boundary.manim_draw import ManimBoundary

            return ManimBoundary(story, video, theme)
        from mlanim.scenes.decision_boundary.mpl_draw import MplBoundary

        return MplBoundary(story, video, theme)

    def figure(self, spec: DecisionBoundarySpec, trace: Trace, video: VideoSettings,
               theme: Theme, path: Path) -> None:
        """The final state as a vector figure."""
        from mlanim.scenes.decision_boundary.mpl_draw import MplBoundary

        drawing = MplBoundary(Story(spec, trace, video), video, theme)
        try:
            drawing.save_final(path)
        finally:
            drawing.close()


KIND = DecisionBoundary()
