"""Trains the spec's model once per seed (on the same data split) and stacks the runs' metrics
into one trace: channel ``runs/NAME`` holds, per snapshot, one value per run."""

from __future__ import annotations

import numpy as np

from mlanim.data import Dataset
from mlanim.executor import run_tasks, task_workers
from mlanim.progress import Progress
from mlanim.scenes.loss_curves.spec import LossCurvesSpec
from mlanim.trace import Trace, TraceWriter


def train_one(task: tuple[dict, Dataset, int]) -> dict[str, object]:
    """One run (picklable: spec as plain data, the dataset's arrays, a seed): its metrics, the
    steps and epochs of its snapshots, and its model's description."""
    import torch

    from mlanim import models
    from mlanim.train.loop import fit, seed_everything
    from mlanim.train.plan import RecordingPlan
    from mlanim.train.recorder import Recorder
    from mlanim.train.run import describe_model

    spec_data, dataset, seed = task
    spec = LossCurvesSpec.model_validate(spec_data)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same arithmetic whether runs share a process or not
    try:
        seed_everything(seed)
        model = models.build(spec.model, dataset)
        plan = RecordingPlan(metrics=True, store_data=False,
                             every_epochs=spec.train.record_every,
                             every_steps=spec.train.record_every_steps)
        recorder = Recorder(model, plan, dataset, spec.train.loss)
        result = fit(model, dataset, spec.train, seed, recorder)
        trace = recorder.finish()
    finally:
        torch.set_num_threads(threads)
    names = list(trace.channels_with_prefix("metrics/"))
    first = trace.channel(names[0])
    return {"metrics": {n.removeprefix("metrics/"): np.asarray(trace.values(n), np.float64)
                        for n in names},
            "steps": first.steps, "epochs": first.epochs, "total_steps": result.steps,
            "total_epochs": result.epochs, "model": describe_model(model),
            "diverged_at_epoch": result.diverged_at_epoch}


def record_runs(spec: LossCurvesSpec, dataset: Dataset, progress: Progress) -> Trace:
    """Every seed's run, through the executor (one process per core when there are several)."""
    seeds = list(range(spec.seed, spec.seed + spec.seeds))
    tasks = [(spec.model_dump(mode="json"), dataset, seed) for seed in seeds]
    with progress.task(f"training {len(seeds)} run{'s' if len(seeds) > 1 else ''}",
                       total=len(seeds)) as bar:
        workers = task_workers(len(tasks)) if len(tasks) > 2 else 1  # spawning costs ~2 s
        runs = run_tasks(train_one, tasks, workers, bar.advance)
    first = min(runs, key=lambda run: len(run["steps"]))  # a run that diverged stops early
    stopped = [run["diverged_at_epoch"] for run in runs if run["diverged_at_epoch"] is not None]
    writer = TraceWriter(meta={
        "scene": spec.scene, "seed": spec.seed, "seeds": seeds, "model": first["model"],
        "train": spec.train.model_dump(mode="json"), "dataset": dataset.describe(),
        "steps": first["total_steps"], "epochs": first["total_epochs"],
        "diverged_at_epoch": min(stopped) if stopped else None})
    shown = len(first["steps"])  # every run up to the snapshots they all reached
    for name in first["metrics"]:
        stacked = np.stack([run["metrics"][name][:shown] for run in runs], axis=1)  # (S, R)
        for k, (step, epoch) in enumerate(zip(first["steps"], first["epochs"], strict=True)):
            writer.add(f"runs/{name}", stacked[k], int(step), float(epoch))
    return writer.freeze()
