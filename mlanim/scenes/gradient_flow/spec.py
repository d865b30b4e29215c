"""The ``gradient_flow`` spec: the shared data/model/train sections (a deep MLP by default, and
a run that stops, rather than fails, when its loss stops being finite), the gradient
histograms' bins and the diagnoses' thresholds."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from mlanim.analysis.rules import RULES, Rules
from mlanim.spec.sections import (
    Activation,
    ModelSpec,
    Section,
    TrainedSceneSpec,
    TrainSpec,
    Width,
)


class FlowSettings(Section):
    """What the gradient-flow scene records and when its diagnoses fire."""

    bins: int = Field(60, ge=2, le=400, description="histogram bins over |gradient| from "
                      "1e-12 to 1e8 (log spaced)")
    vanishing_ratio: float = Field(RULES.vanishing_ratio, gt=1, description="vanishing: "
                                   "along a chain of layers of one kind, the last layer's "
                                   "gradient per weight over the first's is above this ...")
    vanishing_share: float = Field(RULES.vanishing_share, gt=0, le=1, description="... for "
                                   "more than this share of the steps")
    exploding_norm: float = Field(RULES.exploding_norm, gt=0, description="exploding: a "
                                  "layer's gradient norm above this (and 10x its early "
                                  "level), or not finite")
    dead_share: float = Field(RULES.dead_share, gt=0, le=1, description="dead units: more "
                              "than this share of a layer's units receive no gradient on "
                              "each of the last steps")

    def rules(self) -> Rules:
        """The shared rules with this spec's thresholds."""
        return replace(RULES, vanishing_ratio=self.vanishing_ratio,
                       vanishing_share=self.vanishing_share,
                       exploding_norm=self.exploding_norm, dead_share=self.dead_share)


class DeepModelSpec(ModelSpec):
    """The network: a deep sigmoid MLP unless the spec says otherwise."""

    hidden: list[Width] = Field([32] * 6, description="neurons per hidden layer")
    activation: Activation = "sigmoid"


class StoppingTrainSpec(TrainSpec):
    """Training that keeps a diverging run up to its last finite step (the explosion is what
    this scene shows) unless ``on_divergence: error`` is set."""

    on_divergence: Literal["error", "stop"] = Field(
        "stop", description="NaN/inf loss: fail (error) or keep the run up to that point (stop)")


class GradientFlowSpec(TrainedSceneSpec):
    """Per-layer gradient norms and histograms of every step, and what they diagnose.

    Vanishing and exploding gradients and dead ReLUs are flagged on screen and on stderr."""

    scene: Literal["gradient_flow"] = "gradient_flow"
    model: DeepModelSpec = DeepModelSpec()
    train: StoppingTrainSpec = StoppingTrainSpec()
    flow: FlowSettings = FlowSettings()
