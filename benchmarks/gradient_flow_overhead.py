"""gradient_flow_overhead: the vanishing example's run (6 sigmoid layers of 32 on 400 moons, 600
SGD steps) with gradient_flow's recording, against the same loop with no watcher. Target: at
most 1.3x.

Recorded: every step, each layer's weight-gradient norm and its |gradient| histogram (60 log
bins plus zeros and non-finite values); every epoch, train and validation loss and accuracy
and the dead-ReLU count (a forward pass over the training rows).

Run: .venv/bin/python benchmarks/gradient_flow_overhead.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from _common import ROOT, interleaved_medians, print_machine, stopwatch

from mlanim import data, models, pipeline
from mlanim.progress import SilentProgress
from mlanim.scenes.gradient_flow.record import record_flow
from mlanim.train import seed_everything
from mlanim.train.loop import train_steps
from mlanim.train.losses import make_loss
from mlanim.train.schedule import Schedule

SPEC = ROOT / "scenes" / "gradients_vanishing.yaml"
REPEATS = 7


def plain(spec, dataset) -> float:
    """The training loop alone, on the same model, data and batches."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    loss_fn = make_loss(spec.train.loss, dataset.task)
    schedule = Schedule.of(spec.train, len(x))
    with stopwatch() as elapsed:
        train_steps(model, schedule, lambda rows: loss_fn(model(x[rows]), y[rows]), spec.train,
                    spec.seed)
    return elapsed[0]


def recorded(spec, dataset) -> float:
    """The same run through gradient_flow's recording (seeding and model building included,
    as in `plain`'s untimed part, are a few milliseconds)."""
    with stopwatch() as elapsed:
        record_flow(spec, dataset, SilentProgress())
    return elapsed[0]


def main() -> None:
    print_machine()
    loaded = pipeline.load(SPEC)
    spec = loaded.spec
    dataset = data.load(spec.data, spec.seed, loaded.resolve)
    p, r = interleaved_medians(lambda: plain(spec, dataset), lambda: recorded(spec, dataset),
                               REPEATS)
    steps = Schedule.of(spec.train, len(dataset.x_train)).total_steps
    print(f"{steps} steps, {len(spec.model.hidden) + 1} layers followed")
    print(f"plain loop      {p * 1000:8.1f} ms (median of {REPEATS})")
    print(f"gradient flow   {r * 1000:8.1f} ms")
    print(f"gradient_flow_overhead: {r / p:.2f}x (target 1.30x)")


if __name__ == "__main__":
    main()
