"""The recording stage of the pipeline: build the spec's model, train it, return the trace."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path

import torch

from mlanim import __version__, data, models
from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.spec.sections import TrainedSceneSpec
from mlanim.trace import Trace
from mlanim.train.loop import fit, seed_everything
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder


def record(spec: TrainedSceneSpec, plan: RecordingPlan, dataset: Dataset,
           progress: Progress) -> Trace:
    """Build the spec's model, train it with ``plan`` recorded, and return the trace."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    recorder = Recorder(model, plan, dataset, spec.train.loss)
    result = fit(model, dataset, spec.train, spec.seed, recorder, progress)
    return recorder.finish(
        scene=spec.scene,
        seed=spec.seed,
        model=describe_model(model),
        train=spec.train.model_dump(mode="json"),
        steps=result.steps,
        epochs=result.epochs,
        diverged_at_epoch=result.diverged_at_epoch,
        versions={"mlanim": __version__, "torch": torch.__version__,
                  "python": platform.python_version()},
    )


def load_dataset(spec: TrainedSceneSpec, resolve: Callable[..., Path]) -> Dataset:
    """The spec's dataset (seeded by the spec's seed)."""
    return data.load(spec.data, spec.seed, resolve)


def describe_model(model: torch.nn.Module) -> dict[str, object]:
    """Layer names, widths and parameter count, for captions and ``mlanim inspect``."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    widths = [linears[0][1].in_features, *(m.out_features for _, m in linears)] if linears else []
    activations = sorted({type(m).__name__ for n, m in model.named_modules()
                          if n.startswith("act")})
    return {
        "layers": [n for n, _ in model.named_children()],
        "widths": widths,
        "activation": activations[0] if activations else None,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
