"""Scene kind ``network_pulses``: one training step happening inside a real network.

Green pulses carry a sample's features forward through the weights, each node filling with its
activation; red pulses carry the error back, each node showing its δ = ∂L/∂z and each edge
glowing with its batch gradient ∂L/∂w; then every weight morphs from its value before the
update to its value after it. Between the animated steps, training fast-forwards through the
recorded weight snapshots. Every number is the recorded one.
"""

from __future__ import annotations

import itertools
import math

from mlanim.data import Dataset
from mlanim.errors import SpecError, UsageError
from mlanim.scenes.base import require_mlp
from mlanim.scenes.network_pulses.spec import PulsesSpec
from mlanim.scenes.picture_scene import Move, PictureScene
from mlanim.train.plan import RecordingPlan
from mlanim.train.schedule import Schedule

PASSES = {"forward_pass": ("forward", "loss"), "backward_pass": ("backward", "update")}
"""The stages each of the kind's animations in a manim scene plays."""

# Weight snapshots for fast-forwards are kept within this many stored numbers.
SNAPSHOT_BUDGET = 40_000_000


def focus_steps(spec: PulsesSpec, total_steps: int) -> list[int]:
    """The animated steps: as given, or the first, second and last."""
    if spec.show.steps is not None:
        return sorted(set(spec.show.steps))
    return sorted({0, min(1, total_steps - 1), total_steps - 1})


def total_steps(spec: PulsesSpec, dataset: Dataset) -> int:
    """Optimizer steps the spec's training will take."""
    return Schedule.of(spec.train, len(dataset.x_train)).total_steps


class NetworkPulses(PictureScene):
    """Forward and backward pulses through a real network, weights updating."""

    Spec = PulsesSpec
    drawn_by = ("story.PulseStory", "picture.frame_picture")
    own_recording = "replays one training step of an MLP it builds from the spec"
    default_backend = "manim"
    moves = tuple(PASSES)

    def move(self, story, name: str, step: int | None = None, sample: int | None = None
             ) -> Move:
        """``forward_pass``: the sample's pulses through the layers to the loss;
        ``backward_pass``: the error back through them, then the update; of training step
        ``step`` (from 0, as ``show.steps`` counts; default: the first recorded in detail)."""
        recorded = story.spec.show.sample
        if sample is not None and sample != recorded:
            raise UsageError(f"this run recorded sample #{recorded} travelling through the "
                             f"network, not #{sample}",
                             hint=f"set show: {{sample: {sample}}} in the spec (a new "
                                  "recording), or leave sample out")
        recorded_steps = story.focus_steps
        chosen = recorded_steps[0] if step is None else step
        if chosen not in recorded_steps:
            raise UsageError(f"step {chosen} was not recorded in detail: this run recorded "
                             f"steps {', '.join(map(str, recorded_steps))} (from 0, as in "
                             "show.steps)", hint="pick one of them, or add it to show.steps")
        first, last = story.timeline.span(PASSES[name], recorded_steps.index(chosen))
        return Move(first, last)

    def check(self, spec: PulsesSpec, dataset: Dataset) -> None:
        """The sample and steps must exist; the model must be an MLP."""
        require_mlp(self.name, spec)
        if spec.show.sample >= len(dataset.x_train):
            raise SpecError(f"show.sample {spec.show.sample} is out of range: the training "
                            f"split has {len(dataset.x_train)} examples",
                            key_path=("show", "sample"),
                            hint=f"use 0..{len(dataset.x_train) - 1}")
        total = total_steps(spec, dataset)
        late = [s for s in spec.show.steps or [] if s >= total]
        if late:
            raise SpecError(f"show.steps {late} are beyond training, which takes {total} steps "
                            f"(0..{total - 1})", key_path=("show", "steps"),
                            hint="lower them or train longer")

    def plan(self, spec: PulsesSpec, dataset: Dataset) -> RecordingPlan:
        """Focus channels at the animated steps; weights and the sample's activations at a
        cadence for the fast-forwards (within a storage budget)."""
        total = total_steps(spec, dataset)
        widths = [dataset.n_features, *spec.model.hidden, dataset.n_outputs]
        n_params = sum(a * b + b for a, b in itertools.pairwise(widths))
        snapshots = max(2, min(40, SNAPSHOT_BUDGET // max(n_params, 1)))
        every = max(1, math.ceil(total / snapshots))
        return RecordingPlan(
            metrics=True, params=True, activation_samples=(spec.show.sample,),
            every_steps=every, focus_steps=tuple(focus_steps(spec, total)),
            focus_sample=spec.show.sample,
            params_precision="half" if n_params > 200_000 else "full")


KIND = NetworkPulses()
