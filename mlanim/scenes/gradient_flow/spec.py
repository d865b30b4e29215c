"""The ``gradient_flow`` spec: the shared data/model/train sections (a deep MLP by default, and
a run that stops, rather than fails, when its loss stops being finite), the gradient
histograms' bins and the diagnoses' thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    vanishing_ratio: float = Field(10.0, gt=1, description="vanishing: the last layer's "
                                   "gradient norm over the first's is above this ...")
    vanishing_share: float = Field(0.5, gt=0, le=1, description="... for more than this share "
                                   "of the steps")
    exploding_norm: float = Field(100.0, gt=0, description="exploding: a layer's gradient "
                                  "norm above this, or not finite")
    dead_share: float = Field(0.5, gt=0, le=1, description="dead ReLUs: more than this share "
                              "of a layer's units output 0 on every training row")


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
