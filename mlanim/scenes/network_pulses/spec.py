"""The ``network_pulses`` spec: its own sections and defaults, validated by pydantic."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mlanim.spec.sections import DataSpec, ModelSpec, OptimizerSpec, Section, TrainedSceneSpec
from mlanim.spec.sections import TrainSpec as BaseTrainSpec

# Weight snapshots for fast-forwards are kept within this many stored numbers.
SNAPSHOT_BUDGET = 40_000_000


class PulsesShow(Section):
    """What the pulses scene shows."""

    steps: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, min_length=1, description="training steps (0-based) animated pulse by pulse; "
        "default first, second and last")
    sample: int = Field(0, ge=0, description="which training example travels through")
    values: bool = Field(True, description="activations written on nodes")
    equations: bool = Field(True, description="the focused neuron's sum with live numbers")
    edge_width: Literal["weight", "uniform"] = "weight"


class PulsesSpec(TrainedSceneSpec):
    """A small network, one training step at a time, every number real."""

    scene: Literal["network_pulses"] = "network_pulses"
    data: DataSpec = DataSpec(name="iris")
    model: ModelSpec = ModelSpec(hidden=[5], activation="sigmoid")
    train: BaseTrainSpec = BaseTrainSpec(epochs=30, batch_size="full",
                                         optimizer=OptimizerSpec(name="sgd", lr=0.5))
    show: PulsesShow = PulsesShow()
