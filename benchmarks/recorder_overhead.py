"""recorder_overhead: the quickstart training run with every channel recorded, against the same
run with no recorder. Target: at most 1.10x (issue 31; 1.3x before it).

Channels: metrics on train and validation, all parameters and gradients, activations of 8
samples, the output on the scene's 80x80 grid, and every layer's output for all 400 samples; one
snapshot per epoch (the default cadence).

Run: .venv/bin/python benchmarks/recorder_overhead.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import QUICKSTART, print_machine, stopwatch

from mlanim import data, models, pipeline, scenes
from mlanim.train import Recorder, RecordingPlan, fit, seed_everything

REPEATS = 15


def run(spec, dataset, plan: RecordingPlan | None) -> float:
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    recorder = Recorder(model, plan, dataset) if plan else None
    with stopwatch() as elapsed:
        fit(model, dataset, spec.train, spec.seed, recorder)
        if recorder:
            recorder.finish()
    return elapsed[0]


def main() -> None:
    print_machine()
    loaded = pipeline.load(QUICKSTART)
    spec = loaded.spec
    dataset = data.load(spec.data, spec.seed, loaded.resolve)
    scene_grid = scenes.get(spec.scene).plan(spec, dataset).grid
    layers = tuple(name for name, _ in models.build(spec.model, dataset).named_children())
    everything = RecordingPlan(metrics=True, params=True, grads=True,
                               activation_samples=tuple(range(8)),
                               grid=scene_grid,
                               hidden_layers=layers)
    run(spec, dataset, None)  # warm up
    plain, recorded = [], []
    for _ in range(REPEATS):  # interleaved, so machine noise hits both alike
        plain.append(run(spec, dataset, None))
        recorded.append(run(spec, dataset, everything))
    p, r = statistics.median(plain), statistics.median(recorded)
    # each pair ran back to back: the median of their ratios is steadiest on a shared machine
    pairs = sorted(b / a for a, b in zip(plain, recorded, strict=True))
    ratio = statistics.median(pairs)
    steps = spec.train.total_epochs * -(-len(dataset.x_train) // spec.train.batch_size)
    print(f"{spec.train.total_epochs} epochs, {steps} steps, {len(layers)} layers recorded")
    print(f"plain loop     {p * 1000:8.1f} ms (median of {REPEATS})")
    print(f"all channels   {r * 1000:8.1f} ms")
    print(f"pairs          {pairs[0]:.2f}x to {pairs[-1]:.2f}x; ratio of medians {r / p:.2f}x")
    print(f"recorder_overhead: {ratio:.2f}x (median of {REPEATS} pairs; target 1.10x)")


if __name__ == "__main__":
    main()
