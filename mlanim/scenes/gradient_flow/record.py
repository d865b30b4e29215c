"""Records gradient flow while the spec's model trains: every step, each layer's weight-gradient
norm and a histogram of its |gradient| on log-spaced bins (`mlanim.train.gradients`); at each
snapshot the loss and the share of dead ReLU units; and, when a value stops being finite, where
it happened first."""

from __future__ import annotations

import math

import torch
from torch import nn

from mlanim import models
from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.scenes.gradient_flow.spec import GradientFlowSpec
from mlanim.trace import Trace
from mlanim.train.gradients import (
    first_non_finite_output,
)
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.losses import make_loss
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder
from mlanim.train.run import about_run
from mlanim.train.schedule import Schedule


class LossWatch:
    """Keeps each batch's finite loss beside the recorder's gradient log; when a loss stops
    being finite, finds the module whose output broke first."""

    def __init__(self, model: nn.Module, recorder: Recorder) -> None:
        self.model, self.recorder = model, recorder

    def batch_loss(self, loss: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """``loss``, kept when finite; otherwise the first module that broke is noted."""
        value = loss.item()
        if math.isfinite(value):
            self.recorder.keep_loss(value)
        elif self.recorder.first_bad_output is None:
            step = len(self.recorder.losses)
            self.recorder.first_bad_output = first_non_finite_output(self.model, inputs, step)
        return loss


def record_flow(spec: GradientFlowSpec, dataset: Dataset, progress: Progress) -> Trace:
    """Train the spec's model with the probe watching every step; the trace it leaves."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    schedule = Schedule.of(spec.train, len(dataset.x_train))
    plan = RecordingPlan(metrics=True, store_data=False, every_epochs=spec.train.record_every,
                         every_steps=spec.train.record_every_steps,
                         gradient_bins=spec.flow.bins, dead_units=True)
    recorder = Recorder(model, plan, dataset, spec.train.loss)
    recorder.writer.meta.update(about_run(spec, model), steps_per_epoch=schedule.steps_per_epoch)
    recorder.write_as_it_goes(schedule.steps_per_epoch)
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    watch = LossWatch(model, recorder)
    loss_fn = make_loss(spec.train.loss, dataset.task)
    due = schedule.regular(schedule.every(spec.train))
    result = train_steps(
        model, schedule, lambda rows: watch.batch_loss(loss_fn(model(x[rows]), y[rows]), x[rows]),
        spec.train, spec.seed, recorder, due, progress)
    return recorder.finish(steps=result.steps, epochs=result.epochs,
                           diverged_at_epoch=result.diverged_at_epoch)
