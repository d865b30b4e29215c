"""Scene kind ``feature_space``: how a network's last hidden layer (2 or 3 units) arranges the
data.

The output layer is linear in that layer's numbers, so its decision boundaries are straight
lines there (flat planes in 3-D, drawn from an orbiting camera); training moves the points until
the classes sit on their own sides. Points and boundaries come from the recorded layer outputs
and output-layer weights of each epoch.
"""

from __future__ import annotations

import numpy as np

from mlanim.analysis.derived import Derived
from mlanim.data import Dataset
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import SpecError
from mlanim.scenes.base import require_classification, require_mlp
from mlanim.scenes.feature_space.spec import FeatureSpaceSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace
from mlanim.train.plan import RecordingPlan


def feature_layer(spec: FeatureSpaceSpec) -> str:
    """The recorded layer: the activation after the last hidden linear layer."""
    return f"act{len(spec.model.hidden)}"


class FeatureSpace(PictureScene):
    """A 2- or 3-unit hidden layer's view of the data, the output's boundaries in it."""

    Spec = FeatureSpaceSpec
    live = True
    own_recording = "trains an MLP with a 2-unit hidden layer it builds from the spec"

    def check(self, spec: FeatureSpaceSpec, dataset: Dataset) -> None:
        """A classifier MLP whose last hidden layer has 2 or 3 units."""
        require_classification(self.name, dataset)
        require_mlp(self.name, spec)
        hidden = spec.model.hidden
        if not hidden or hidden[-1] not in (2, 3):
            ends = f"ends with {hidden[-1]} units" if hidden else "is empty"
            raise SpecError(f"feature_space draws a 2- or 3-unit layer, but model.hidden {ends}",
                            key_path=("model", "hidden"),
                            hint=f"end it with 2, e.g. hidden: [{hidden[0] if hidden else 16}, 2]")

    def plan(self, spec: FeatureSpaceSpec, dataset: Dataset) -> RecordingPlan:
        """The layer's outputs for every row and all parameters (the output layer's), each
        epoch."""
        return RecordingPlan(metrics=True, params=True, hidden_layers=(feature_layer(spec),),
                             every_epochs=spec.train.record_every,
                             every_steps=spec.train.record_every_steps)

    def clock(self, spec: FeatureSpaceSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        channel = trace.channel(f"hidden/{feature_layer(spec)}")
        return channel.steps, channel.epochs

    def story(self, spec: FeatureSpaceSpec, trace: Trace, video: VideoSettings, theme: Theme,
              derived: Derived | None = None):
        """The recorded representation and lines, laid out in the shared frame."""
        from mlanim.scenes.feature_space.picture import FeaturePicture, FeaturePicture3D
        from mlanim.scenes.feature_space.story import FeatureStory

        story = FeatureStory(spec, trace, feature_layer(spec), video, theme)
        return (FeaturePicture if story.dims == 2 else FeaturePicture3D)(story)


KIND = FeatureSpace()
