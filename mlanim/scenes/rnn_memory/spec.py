"""The ``rnn_memory`` spec: the temporal-order task, the two recurrent networks' width, training
counted in steps (plain gradient descent with momentum by default, as in the classic
experiments), and which views to show."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlanim.spec.sections import (
    OptimizerSpec,
    PositiveInt,
    RecordedSceneSpec,
    Section,
    StepsTrain,
)

MAX_STEPS_DRAWN = 30  # sequence steps the unrolled networks can show side by side
MAX_HIDDEN = 16  # hidden units drawn as a heatmap column per step


class OrderTask(Section):
    """The temporal-order problem: random distractors with two marked symbols (X or Y) hidden
    among them; the class is their order (XX, XY, YX or YY), told only at the end, so the
    network must remember the first marked symbol for as many steps as follow it."""

    name: Literal["temporal_order"] = "temporal_order"
    length: int = Field(24, description=f"steps per sequence (2 to {MAX_STEPS_DRAWN})")
    samples: int = Field(4000, ge=100, le=200_000, description="training sequences")
    distractors: int = Field(4, ge=1, le=8, description="distractor symbols (a, b, c, ...)")

    @model_validator(mode="after")
    def _drawable_length(self) -> OrderTask:
        if self.length < 2:
            raise ValueError(f"task.length {self.length}: a temporal order needs at least 2 "
                             "steps")
        if self.length > MAX_STEPS_DRAWN:
            raise ValueError(f"task.length {self.length}: at most {MAX_STEPS_DRAWN} steps can "
                             f"be drawn unrolled; use a length of {MAX_STEPS_DRAWN} or less")
        return self


class RecurrentModel(Section):
    """A vanilla RNN (tanh) and an LSTM of the same width, each read out by one linear layer
    from its last hidden state."""

    type: Literal["rnn"] = Field("rnn", description="rnn: a vanilla RNN and an LSTM, side by "
                                 "side")
    hidden: int = Field(8, description=f"hidden units of each network (1 to {MAX_HIDDEN})")

    @model_validator(mode="after")
    def _drawable_width(self) -> RecurrentModel:
        if not 1 <= self.hidden <= MAX_HIDDEN:
            raise ValueError(f"model.hidden {self.hidden}: use 1 to {MAX_HIDDEN} hidden units "
                             "(each is a row of the drawn state)")
        return self


class RecurrentTrain(StepsTrain):
    """Training counted in steps; both networks see the same batches."""

    steps: PositiveInt | None = Field(2000, le=1_000_000)
    batch_size: PositiveInt | Literal["full"] = 64
    optimizer: OptimizerSpec = OptimizerSpec(name="momentum", lr=0.1, momentum=0.9)
    loss: Literal["auto", "cross_entropy"] = "auto"


View = Literal["training", "forward", "backward", "lag"]


class RecurrentShow(Section):
    """What the scene shows, in order."""

    views: list[View] = Field(["training", "forward", "backward", "lag"], min_length=1,
                              description="training | forward | backward | lag, in this order")


class RnnMemorySpec(RecordedSceneSpec):
    """A vanilla RNN and an LSTM side by side on a task that needs memory: states, gates and
    the backpropagated gradient over time, recorded while both learn."""

    scene: Literal["rnn_memory"] = "rnn_memory"
    task: OrderTask = OrderTask()
    model: RecurrentModel = RecurrentModel()
    train: RecurrentTrain = RecurrentTrain()
    show: RecurrentShow = RecurrentShow()
