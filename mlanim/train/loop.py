"""The built-in training loop: seeded batches, real torch.optim, the Recorder at its cadence."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.errors import TrainingDivergedError
from mlanim.progress import Progress, SilentProgress
from mlanim.spec.sections import TrainSpec
from mlanim.train.losses import make_loss
from mlanim.train.optim import make_optimizer
from mlanim.train.recorder import Recorder


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


def fit(model: nn.Module, dataset: Dataset, spec: TrainSpec, seed: int,
        recorder: Recorder | None = None, progress: Progress | None = None) -> FitResult:
    """Train ``model`` on ``dataset`` as ``spec`` says, snapshotting into ``recorder``."""
    progress = progress or SilentProgress()
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    n = len(x)
    batch = n if spec.batch_size == "full" else min(spec.batch_size, n)
    per_epoch = math.ceil(n / batch)
    total_steps = spec.steps or per_epoch * (spec.total_epochs or 0)
    optimizer = make_optimizer(spec.optimizer, model.parameters())
    loss_fn = make_loss(spec.loss, dataset.task)
    order_rng = torch.Generator().manual_seed(seed)
    cadence = _Cadence(recorder.plan if recorder else None, per_epoch)
    if recorder:
        recorder.snapshot(step=0, epoch=0.0)

    step = 0
    model.train()
    with progress.task("training", total=total_steps) as bar:
        while step < total_steps:
            order = torch.randperm(n, generator=order_rng)
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                out = model(x[rows])
                loss = loss_fn(out, y[rows])
                value = loss.item()
                epoch = step / per_epoch
                if not math.isfinite(value):
                    return _diverged(spec, recorder, step, epoch, value)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if recorder:
                    recorder.before_update(step, epoch, rows)
                step += 1
                epoch = step / per_epoch
                if recorder and cadence.due(step, total_steps):
                    recorder.capture_grads(step, epoch)
                optimizer.step()
                if recorder:
                    recorder.after_update(step - 1, epoch)
                if recorder and cadence.due(step, total_steps):
                    recorder.snapshot(step, epoch)
                bar.advance()
                if step % per_epoch == 0:
                    bar.note(f"epoch {step // per_epoch}  loss {value:.4f}")
                if step >= total_steps:
                    break
    return FitResult(step, step / per_epoch)


class _Cadence:
    """Decides after which optimizer steps a snapshot is due: the recording plan says."""

    def __init__(self, plan, per_epoch: int) -> None:
        self.every = (plan.every_steps or plan.every_epochs * per_epoch) if plan else 0
        self.extra = set(plan.extra_steps) if plan else set()

    def due(self, step: int, total_steps: int) -> bool:
        regular = self.every > 0 and (step % self.every == 0 or step == total_steps)
        return regular or step in self.extra


def _diverged(spec: TrainSpec, recorder: Recorder | None, step: int, epoch: float,
              value: float) -> FitResult:
    if spec.on_divergence == "stop" and recorder is not None and step > 0:
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
