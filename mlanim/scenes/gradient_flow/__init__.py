"""Scene kind ``gradient_flow``: how large each layer's gradient is, step by step.

Every optimizer step records each layer's weight-gradient norm and a histogram of its
|gradient|; the scene draws the norms on a log scale, the histograms as a ridge plot, and
diagnoses vanishing and exploding gradients and dead ReLUs from the same numbers (printed on
stderr too). When the loss stops being finite, forward hooks name the first module whose
output broke.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlanim.progress import Progress
from mlanim.scenes.gradient_flow.spec import GradientFlowSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace


class GradientFlow(PictureScene):
    """Per-layer gradient norms and histograms; vanishing, exploding, dead units."""

    Spec = GradientFlowSpec
    live = True
    drawn_by = ("story.FlowStory", "picture.FlowPicture")
    needs = (("flow/norms", "every step's gradient norms",
              "call rec.step after each optimizer step"),)
    keyed_by = ("seed", "data", "model", "train", "flow.bins")  # thresholds only change drawing

    def check_trace(self, trace: Trace) -> None:
        """As every kind checks a recording of a user's loop, and: at least one weight layer
        (a linear or convolution layer) whose gradients were recorded."""
        from mlanim.errors import UsageError

        super().check_trace(trace)
        layers = trace.meta.get("flow", {}).get("layers") if isinstance(
            trace.meta.get("flow"), dict) else None
        if not layers or not np.asarray(trace.static("flow/norms")).size:
            raise UsageError("gradient_flow draws the gradients of linear and convolution "
                             "layers, and this run recorded none (the model has no such "
                             "layer that trains, or no step was recorded)",
                             hint="watch a model with nn.Linear or nn.Conv layers, and call "
                                  "rec.step after each optimizer step")

    def recording(self, spec: GradientFlowSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """A run of the spec's model with every step's gradients summarised."""
        from mlanim import data
        from mlanim.scenes.gradient_flow.record import record_flow

        dataset = data.load(spec.data, spec.seed, resolve)
        return self.recording_key(spec), lambda progress: record_flow(spec, dataset, progress)

    def findings(self, spec: GradientFlowSpec, trace: Trace) -> list[str]:
        """The diagnoses that fired over the whole run, for stderr (nothing when healthy)."""
        from mlanim.scenes.gradient_flow.story import run_findings

        return [*super().findings(spec, trace),
                *(f"diagnosis: {finding.text}" for finding in run_findings(spec, trace)
                  if finding.fired)]

    def clock(self, spec: GradientFlowSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        steps = np.arange(1, len(trace.static("flow/norms")) + 1, dtype=float)
        return steps, steps / float(trace.meta.get("steps_per_epoch") or 1)


KIND = GradientFlow()
