"""Trains the small CNN on images and records what the scene draws.

Every snapshot (one per epoch) keeps each layer's weights and biases, the probe image's maps
after every stage (convolution, activation, pooling) and its logits, the held-out confusion
matrix, and the loss and accuracy on both splits. After training, the first misclassified
held-out image is kept with its saliency: the gradient of the predicted class's score with
respect to the input pixels, by autograd.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mlanim import data
from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.scenes.cnn_filters.spec import CnnFiltersSpec, CnnModel
from mlanim.trace import Trace, TraceWriter
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.run import versions
from mlanim.train.schedule import Schedule

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


class ConvNet(nn.Module):
    """Convolutions (size-keeping padding), each followed by the activation and a max-pool,
    then the dense ``hidden`` layers (each followed by the activation) and a linear layer from
    the flattened maps (channel, row, column order) to the classes. Rows come in flat, as the
    shared datasets hold them."""

    def __init__(self, side: int, model: CnnModel, classes: int) -> None:
        super().__init__()
        self.side = side
        depths = [1, *model.channels]
        self.convs = nn.ModuleList(
            nn.Conv2d(depths[i], depths[i + 1], model.kernel, padding=model.kernel // 2)
            for i in range(len(model.channels)))
        self.act = ACTIVATIONS[model.activation]()
        self.pool = nn.MaxPool2d(model.pool) if model.pool > 1 else nn.Identity()
        final = map_sides(side, model)[-1]
        widths = [model.channels[-1] * final * final, *model.hidden]
        self.dense = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.head = nn.Linear(widths[-1], classes)

    def stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every stage's output for a batch of flat rows: ``conv{i}``, ``act{i}``,
        ``pool{i}`` (1-based), ``flat``, ``dense{i}`` and ``logits``."""
        out: dict[str, torch.Tensor] = {}
        h = x.reshape(len(x), 1, self.side, self.side)
        for i, conv in enumerate(self.convs, start=1):
            h = out[f"conv{i}"] = conv(h)
            h = out[f"act{i}"] = self.act(h)
            h = out[f"pool{i}"] = self.pool(h)
        h = out["flat"] = h.flatten(1)
        for i, dense in enumerate(self.dense, start=1):
            h = out[f"dense{i}"] = self.act(dense(h))
        out["logits"] = self.head(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (logits) for a batch of flat image rows."""
        return self.stages(x)["logits"]


def map_sides(side: int, model: CnnModel) -> list[int]:
    """The side of the maps after each pooling stage, from the input's: [8, 4, 2]."""
    sides = [side]
    for _ in model.channels:
        sides.append(sides[-1] // model.pool)
    return sides


def load_images(spec: CnnFiltersSpec, resolve: Callable[..., Path]) -> Dataset:
    """The spec's image data, checked square and scaled to 0..1 (unless standardised)."""
    dataset = data.load(spec.data, spec.seed, resolve)
    if dataset.image_shape is None:
        raise SpecError(f"data.name {spec.data.name} holds rows of features; cnn_filters "
                        "needs images", key_path=("data", "name"),
                        hint="use name: digits, or an npz (X of shape n, h, w) or idx file")
    if dataset.task != "classification":
        raise SpecError("cnn_filters classifies images; this data's targets are not classes",
                        key_path=("data", "task"), hint="use labels that are classes")
    height, width = dataset.image_shape
    if height != width:
        raise SpecError(f"data.path: the images are {height}x{width}; cnn_filters needs "
                        "square images", key_path=("data", "path"),
                        hint="crop or pad them to a square")
    if spec.show.probe >= len(dataset.x_val):
        raise SpecError(f"show.probe {spec.show.probe} is not a held-out image: there are "
                        f"{len(dataset.x_val)} (0..{len(dataset.x_val) - 1})",
                        key_path=("show", "probe"), hint="use a smaller index")
    if spec.data.standardize:
        return dataset
    scale = float(np.abs(dataset.x_train).max()) or 1.0
    return replace(dataset, x_train=dataset.x_train / np.float32(scale),
                   x_val=dataset.x_val / np.float32(scale))


def check_layers(spec: CnnFiltersSpec, side: int) -> None:
    """Every convolution's kernel fits its input map and every pool leaves at least a pixel;
    otherwise a `SpecError` naming the layer and the sizes."""
    model = spec.model
    for i, map_side in enumerate(map_sides(side, model)[:-1], start=1):
        if model.kernel > map_side:
            raise SpecError(f"model.kernel {model.kernel} is larger than the {map_side}x"
                            f"{map_side} map conv{i} reads ({side}x{side} images)",
                            key_path=("model", "kernel"),
                            hint=f"use kernel {largest_odd(map_side)}"
                                 f"{' or less' if map_side > 1 else ''}, fewer layers, or a "
                                 "smaller pool")
        if map_side // model.pool < 1:
            raise SpecError(f"model.pool {model.pool}: pool{i} would shrink conv{i}'s "
                            f"{map_side}x{map_side} map to nothing", key_path=("model", "pool"),
                            hint="use fewer channels entries (layers) or a smaller pool")


def largest_odd(side: int) -> int:
    """The largest odd kernel side that fits a map of ``side``."""
    return side if side % 2 else side - 1


class CnnWatcher:
    """Snapshots for the training loop: weights, the probe's maps, confusion and metrics."""

    def __init__(self, writer: TraceWriter, model: ConvNet, dataset: Dataset,
                 probe: int) -> None:
        self.writer, self.model, self.dataset = writer, model, dataset
        self.probe = torch.from_numpy(dataset.x_val[probe:probe + 1])
        self.classes = len(dataset.class_names) or dataset.n_outputs

    @torch.inference_mode()
    def snapshot(self, step: int, epoch: float) -> None:
        """Record the network's state after ``step`` optimizer steps."""
        add = self.writer.add
        was_training = self.model.training
        self.model.eval()
        try:
            for i, conv in enumerate(self.model.convs, start=1):
                add(f"weights/conv{i}", conv.weight.numpy(), step, epoch)
                add(f"bias/conv{i}", conv.bias.numpy(), step, epoch)
            add("weights/head", self.model.head.weight.numpy(), step, epoch)
            add("bias/head", self.model.head.bias.numpy(), step, epoch)
            for name, value in self.model.stages(self.probe).items():
                add(f"probe/{name}", value[0].numpy(), step, epoch)
            for split in ("train", "val"):
                loss, accuracy, confusion = self._evaluate(split)
                add(f"metrics/{split}_loss", loss, step, epoch)
                add(f"metrics/{split}_acc", accuracy, step, epoch)
            add("confusion", confusion, step, epoch)
        finally:
            self.model.train(was_training)

    def _evaluate(self, split: str) -> tuple[float, float, np.ndarray]:
        x = torch.from_numpy(getattr(self.dataset, f"x_{split}"))
        y = torch.from_numpy(getattr(self.dataset, f"y_{split}"))
        logits = self.model(x)
        predicted = logits.argmax(1)
        confusion = np.zeros((self.classes, self.classes), np.float32)
        np.add.at(confusion, (y.numpy(), predicted.numpy()), 1)
        return (functional.cross_entropy(logits, y).item(),
                (predicted == y).float().mean().item(), confusion)

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Nothing to keep before an update."""

    def capture_grads(self, step: int, epoch: float) -> None:
        """Training gradients are not drawn."""

    def after_update(self, step: int, epoch: float) -> None:
        """Nothing to keep after an update."""


def saliency(model: ConvNet, image: torch.Tensor, target: int) -> np.ndarray:
    """The gradient of class ``target``'s score with respect to each input pixel."""
    x = image.clone().requires_grad_(True)
    model.eval()
    model(x)[0, target].backward()
    return x.grad[0].reshape(model.side, model.side).numpy()


def first_mistake(model: ConvNet, dataset: Dataset) -> tuple[int, int]:
    """The first held-out image the trained model gets wrong and its predicted class; when it
    gets none wrong, the one whose right answer is least certain."""
    with torch.inference_mode():
        model.eval()
        probs = torch.softmax(model(torch.from_numpy(dataset.x_val)), 1)
    predicted = probs.argmax(1).numpy()
    wrong = np.flatnonzero(predicted != dataset.y_val)
    if len(wrong):
        return int(wrong[0]), int(predicted[wrong[0]])
    index = int(probs.max(1).values.argmin())
    return index, int(predicted[index])


def record_cnn(spec: CnnFiltersSpec, dataset: Dataset, progress: Progress) -> Trace:
    """Train the CNN on ``dataset`` and return its trace."""
    seed_everything(spec.seed)
    side = dataset.image_shape[0]  # type: ignore[index]
    classes = dataset.n_outputs
    model = ConvNet(side, spec.model, classes)
    writer = TraceWriter(meta=_meta(spec, dataset, model))
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    schedule = Schedule.of(spec.train, len(x))
    due = schedule.regular(schedule.every(spec.train))
    watcher = CnnWatcher(writer, model, dataset, spec.show.probe)
    result = train_steps(model, schedule,
                         lambda rows: functional.cross_entropy(model(x[rows]), y[rows]),
                         spec.train, spec.seed, watcher, due, progress)
    index, predicted = first_mistake(model, dataset)
    image = torch.from_numpy(dataset.x_val[index:index + 1])
    writer.static("probe/image", dataset.x_val[spec.show.probe].reshape(side, side))
    writer.static("probe/label", np.array(dataset.y_val[spec.show.probe]))
    writer.static("mistake/image", dataset.x_val[index].reshape(side, side))
    writer.static("mistake/label", np.array(dataset.y_val[index]))
    writer.static("mistake/predicted", np.array(predicted))
    writer.static("mistake/saliency", saliency(model, image, predicted))
    with torch.inference_mode():
        writer.static("mistake/probs", torch.softmax(model(image), 1)[0].numpy())
    writer.meta.update(steps=result.steps, epochs=result.epochs, mistake_index=index)
    return writer.freeze()


def _meta(spec: CnnFiltersSpec, dataset: Dataset, model: ConvNet) -> dict:
    m = spec.model
    return {
        "scene": spec.scene, "seed": spec.seed, "dataset": dataset.describe(),
        "classes": list(dataset.class_names) or [str(c) for c in range(dataset.n_outputs)],
        "model": {"type": "cnn", "channels": list(m.channels), "kernel": m.kernel,
                  "pool": m.pool, "activation": m.activation, "hidden": list(m.hidden),
                  "sides": map_sides(model.side, m),
                  "parameters": sum(p.numel() for p in model.parameters())},
        "scaled": not spec.data.standardize,
        "train": spec.train.model_dump(mode="json"),
        "versions": versions(),
    }
