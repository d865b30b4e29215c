"""The recording stage of the pipeline: build the spec's model, train it, return the trace."""

from __future__ import annotations

import platform

import numpy as np
import torch

from mlanim import __version__, models
from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.spec.sections import TrainedSceneSpec
from mlanim.trace import Trace
from mlanim.train.loop import fit, seed_everything
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder
from mlanim.train.schedule import Schedule


def versions() -> dict[str, str]:
    """What recorded a trace: mlanim's, torch's and Python's versions (every trace's meta)."""
    return {"mlanim": __version__, "torch": torch.__version__,
            "python": platform.python_version()}


def record(spec: TrainedSceneSpec, plan: RecordingPlan, dataset: Dataset,
           progress: Progress,
           beside: tuple[dict[str, np.ndarray], dict[str, object]] = ({}, {})) -> Trace:
    """Build the spec's model, train it with ``plan`` recorded, and return the trace, with
    the static arrays and metadata ``beside`` it."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    recorder = Recorder(model, plan, dataset, spec.train.loss)
    statics, meta = beside
    for name, value in statics.items():
        recorder.writer.static(name, value)
    recorder.writer.meta.update(about_run(spec, model), **meta)
    recorder.write_as_it_goes(Schedule.of(spec.train, len(dataset.x_train)).steps_per_epoch)
    result = fit(model, dataset, spec.train, spec.seed, recorder, progress)
    return recorder.finish(steps=result.steps, epochs=result.epochs,
                           diverged_at_epoch=result.diverged_at_epoch)


def about_run(spec: TrainedSceneSpec, model: torch.nn.Module) -> dict[str, object]:
    """What a recorded run's metadata says of it before it trains: its scene, seed, model,
    training settings and the versions that record it."""
    return {"scene": spec.scene, "seed": spec.seed, "model": describe_model(model),
            "train": spec.train.model_dump(mode="json"), "versions": versions()}


ACTIVATIONS = (torch.nn.ReLU, torch.nn.Tanh, torch.nn.Sigmoid, torch.nn.GELU, torch.nn.LeakyReLU,
               torch.nn.ELU, torch.nn.SiLU, torch.nn.Softplus)


def describe_model(model: torch.nn.Module) -> dict[str, object]:
    """Layer names, widths, a one-line summary and the parameter count, for captions and
    ``mlanim inspect``."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    widths = [linears[0][1].in_features, *(m.out_features for _, m in linears)] if linears else []
    return {
        "layers": [n for n, _ in model.named_children()],
        "widths": widths,
        "activation": activation_name(model),
        "parameters": sum(p.numel() for p in model.parameters()),
        "summary": model_summary(model, widths),
    }


def activation_name(model: torch.nn.Module) -> str | None:
    """The activation the model's modules use, when it is known: the one type of more than
    half of its activation modules (torch's, or a library's ``*Activation`` class such as
    Hugging Face's ``GELUActivation``). None when there are none (``torch.relu`` called in
    ``forward`` leaves no module) or no type is the majority: a caption then names none."""
    counts: dict[str, int] = {}
    for module in model.modules():
        name = type(module).__name__
        library_made = name.endswith("Activation") and name != "Activation"
        if isinstance(module, ACTIVATIONS) or library_made:
            key = "GELU" if "GELU" in name else name.removesuffix("Activation")
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None
    name, count = max(counts.items(), key=lambda item: item[1])
    return name if count * 2 > sum(counts.values()) else None


def model_summary(model: torch.nn.Module, widths: list[int]) -> str:
    """``MLP 2-16-16-2`` for a chain of linear layers, else the class name and what its
    layers are: ``DigitsCNN (2 conv, 1 linear)``."""
    counts: dict[str, int] = {}
    for module in model.modules():
        for label, types in (("conv", (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)),
                             ("linear", (torch.nn.Linear,)),
                             ("recurrent", (torch.nn.RNNBase,)),
                             ("attention", (torch.nn.MultiheadAttention,)),
                             ("embedding", (torch.nn.Embedding,))):
            if isinstance(module, types):
                counts[label] = counts.get(label, 0) + 1
    if set(counts) == {"linear"}:
        return "MLP " + "-".join(map(str, widths))
    parts = ", ".join(f"{n} {label}" for label, n in counts.items())
    return f"{type(model).__name__} ({parts})" if parts else type(model).__name__
