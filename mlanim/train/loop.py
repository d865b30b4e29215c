"""The training loop: seeded batches, real torch.optim, a watcher (the `Recorder`, or the
probe of a kind that records something of its own) snapshotting at the steps the schedule and
the recording plan give."""

from __future__ import annotations

import math
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.errors import TrainingDivergedError
from mlanim.progress import Progress, SilentProgress
from mlanim.spec.sections import TrainSpec
from mlanim.train.losses import make_loss
from mlanim.train.optim import make_optimizer
from mlanim.train.recorder import Recorder
from mlanim.train.schedule import Schedule


@dataclass(frozen=True)
class FitResult:
    """How a run ended."""

    steps: int
    epochs: float
    diverged_at_epoch: float | None = None


def seed_everything(seed: int) -> None:
    """Make CPU training bit-identical for the same seed."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


class Watcher(Protocol):
    """What looks at a run while it trains: the `Recorder` (which `mlanim.watch` drives from a
    user's loop through the same calls), or the probe of a kind that records something of its
    own (attention, rnn_memory, cnn_filters)."""

    def snapshot(self, step: int, epoch: float) -> None:
        """Record the model's state after ``step`` optimizer steps."""

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Gradients of step ``step`` (0-based) are ready; the weights are not yet updated."""

    def capture_grads(self, step: int, epoch: float) -> None:
        """A snapshot is due after this step: keep its gradients."""

    def after_update(self, step: int, epoch: float) -> None:
        """Step ``step`` (0-based) has updated the weights."""


def fit(model: nn.Module, dataset: Dataset, spec: TrainSpec, seed: int,
        recorder: Recorder | None = None, progress: Progress | None = None) -> FitResult:
    """Train ``model`` on ``dataset`` as ``spec`` says, snapshotting into ``recorder`` at the
    steps its recording plan asks for."""
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    schedule = Schedule.of(spec, len(x))
    loss_fn = make_loss(spec.loss, dataset.task)
    due: set[int] = set()
    if recorder is not None:
        plan = recorder.plan
        due = schedule.regular(plan.every_steps or plan.every_epochs * schedule.steps_per_epoch,
                               plan.extra_steps)
    return train_steps(model, schedule, lambda rows: loss_fn(model(x[rows]), y[rows]), spec,
                       seed, recorder, due, progress)


def train_steps(model: nn.Module, schedule: Schedule,
                batch_loss: Callable[[torch.Tensor], torch.Tensor], spec: TrainSpec, seed: int,
                watcher: Watcher | None = None, due: Set[int] = frozenset(),
                progress: Progress | None = None) -> FitResult:
    """The training loop every kind shares: seeded shuffled batches of row indices, the loss
    ``batch_loss(rows)``, ``spec``'s torch.optim optimizer, snapshots after the ``due`` steps
    (and before training), and ``spec.on_divergence`` when the loss stops being finite."""
    progress = progress or SilentProgress()
    optimizer = make_optimizer(spec.optimizer, model.parameters())
    order_rng = torch.Generator().manual_seed(seed)
    total, per_epoch = schedule.total_steps, schedule.steps_per_epoch
    if watcher:
        watcher.snapshot(step=0, epoch=0.0)
    step = 0
    model.train()
    with progress.task("training", total=total) as bar:
        while step < total:
            order = torch.randperm(schedule.rows, generator=order_rng)
            for start in range(0, schedule.rows, schedule.batch):
                rows = order[start:start + schedule.batch]
                loss = batch_loss(rows)
                value = loss.item()
                if not math.isfinite(value):
                    return _diverged(spec, watcher, step, schedule.epoch(step), value)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if watcher:
                    watcher.before_update(step, schedule.epoch(step), rows)
                step += 1
                epoch = schedule.epoch(step)
                if watcher and step in due:
                    watcher.capture_grads(step, epoch)
                optimizer.step()
                if watcher:
                    watcher.after_update(step - 1, epoch)
                    if step in due:
                        watcher.snapshot(step, epoch)
                bar.advance()
                if step % per_epoch == 0:
                    bar.note(f"epoch {step // per_epoch}  loss {value:.4f}")
                if step >= total:
                    break
    return FitResult(step, schedule.epoch(step))


def _diverged(spec: TrainSpec, watcher: Watcher | None, step: int, epoch: float,
              value: float) -> FitResult:
    if spec.on_divergence == "stop" and watcher is not None and step > 0:
        return FitResult(step, epoch, diverged_at_epoch=epoch)
    raise divergence_error(spec, step, epoch, value)


def divergence_error(spec: TrainSpec, step: int, epoch: float,
                     value: float) -> TrainingDivergedError:
    """The user-facing error for a loss that became NaN or infinite at ``step`` (0-based)."""
    lr = spec.optimizer.lr
    return TrainingDivergedError(
        f"the loss became {value} at epoch {epoch:.2f} (step {step + 1}); training stopped",
        key_path=("train", "optimizer", "lr"),
        hint=f"try a smaller learning rate such as lr: {lr / 10:g}, "
             "or set train.on_divergence: stop to render the run up to that point",
    )
