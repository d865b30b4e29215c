"""Records gradient flow while the spec's model trains: every step, each layer's weight-gradient
norm and a histogram of its |gradient| on log-spaced bins (`mlanim.train.gradients`); at each
snapshot the loss and the share of dead ReLU units; and, when a value stops being finite, where
it happened first."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from mlanim import models
from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.scenes.gradient_flow.spec import GradientFlowSpec
from mlanim.trace import Trace
from mlanim.train.gradients import (
    GradientLog,
    alive_units,
    dead_shares,
    first_non_finite_output,
    relu_layers,
)
from mlanim.train.hooks import evaluating, hooked
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.losses import make_loss
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder
from mlanim.train.run import describe_model, versions
from mlanim.train.schedule import Schedule


class FlowProbe:
    """The training loop's watcher: keeps each step's gradients in a `GradientLog`, and at
    snapshots lets the `Recorder` take the metrics and counts dead units itself."""

    def __init__(self, model: nn.Module, recorder: Recorder, x_train: torch.Tensor,
                 bins: int) -> None:
        self.model, self.recorder, self.x_train = model, recorder, x_train
        self.log = GradientLog(model, bins)
        self.relus = relu_layers(model)
        self.losses: list[float] = []
        self.first_bad_output: dict | None = None

    @property
    def steps_done(self) -> int:
        """Optimizer steps whose gradients are kept."""
        return self.log.steps

    def batch_loss(self, loss: torch.Tensor, step: int, inputs: torch.Tensor) -> torch.Tensor:
        """Keep the batch's loss; if it is not finite, find the module that broke first."""
        value = loss.item()
        if math.isfinite(value):
            self.losses.append(value)
        elif self.first_bad_output is None:
            self.first_bad_output = first_non_finite_output(self.model, inputs, step)
        return loss

    def snapshot(self, step: int, epoch: float) -> None:
        """Metrics through the recorder, then the dead-unit shares on the training rows."""
        self.recorder.snapshot(step, epoch)
        if self.relus:
            self.recorder.writer.add("flow/dead", self.dead_shares(), step, epoch)

    @torch.inference_mode()
    def dead_shares(self) -> np.ndarray:
        """Per ReLU module, the share of its units that output 0 on every training row."""
        alive: dict[str, torch.Tensor] = {}

        def keep(name: str):
            def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
                alive[name] = alive_units(output)
            return hook

        with evaluating(self.model), hooked((module, keep(name)) for name, module in self.relus):
            self.model(self.x_train)
        return dead_shares(alive, [name for name, _ in self.relus])

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Keep this step's weight gradients (summarised when the chunk is full)."""
        self.log.keep()

    def capture_grads(self, step: int, epoch: float) -> None:
        """Nothing: gradients are kept every step in `before_update`."""

    def after_update(self, step: int, epoch: float) -> None:
        """Nothing after the update."""

    def finish(self, **meta: object) -> Trace:
        """The trace: the recorder's snapshots plus the per-step arrays."""
        self.log.write(self.recorder.writer, self.losses, [name for name, _ in self.relus],
                       self.first_bad_output)
        return self.recorder.finish(**meta)


def record_flow(spec: GradientFlowSpec, dataset: Dataset, progress: Progress) -> Trace:
    """Train the spec's model with the probe watching every step; the trace it leaves."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    schedule = Schedule.of(spec.train, len(dataset.x_train))
    plan = RecordingPlan(metrics=True, store_data=False, every_epochs=spec.train.record_every,
                         every_steps=spec.train.record_every_steps)
    recorder = Recorder(model, plan, dataset, spec.train.loss)
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    probe = FlowProbe(model, recorder, x, spec.flow.bins)
    loss_fn = make_loss(spec.train.loss, dataset.task)
    due = schedule.regular(schedule.every(spec.train))
    result = train_steps(
        model, schedule,
        lambda rows: probe.batch_loss(loss_fn(model(x[rows]), y[rows]), probe.steps_done,
                                      x[rows]),
        spec.train, spec.seed, probe, due, progress)
    return probe.finish(
        scene=spec.scene, seed=spec.seed, model=describe_model(model),
        train=spec.train.model_dump(mode="json"), steps=result.steps, epochs=result.epochs,
        diverged_at_epoch=result.diverged_at_epoch, steps_per_epoch=schedule.steps_per_epoch,
        versions=versions())
