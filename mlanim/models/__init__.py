"""Models built from the spec's ``model:`` section: ``build(spec.model, dataset)``."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.spec.sections import ModelSpec

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "linear": nn.Identity,
}


TRAINING_COPIES = 6
"""Bytes per weight while training, in float32 words: the weight, its gradient, two optimizer
moments (Adam), a recorded snapshot and slack."""


def build(spec: ModelSpec, dataset: Dataset) -> nn.Module:
    """A freshly initialised model for ``dataset`` (seed torch before calling); a `SpecError`
    first if training it would take more memory than the machine has free."""
    check_memory(spec, dataset)
    model = initialise(architecture(spec, dataset), spec.init, spec.activation)
    if spec.checkpoint:
        from mlanim.models.checkpoint import load_weights

        load_weights(model, Path(spec.checkpoint))
    return model


def check_memory(spec: ModelSpec, dataset: Dataset) -> None:
    """Count the model's weights without allocating them (on torch's meta device) and refuse
    a model whose training would not fit in the memory this machine has free."""
    with torch.device("meta"):
        weights = sum(p.numel() for p in architecture(spec, dataset).parameters())
    need = weights * 4 * TRAINING_COPIES
    free = available_memory()
    if free and need > free * 0.8:
        key = "channels" if spec.type == "cnn" and spec.channels else "hidden"
        raise SpecError(f"this model has {weights:,} weights: training it needs about "
                        f"{size_text(need)}, and this machine has {size_text(free)} free",
                        key_path=("model", key), hint="use fewer or narrower layers")


def available_memory() -> int | None:
    """Bytes of memory free for a new allocation (Linux's MemAvailable), if known."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def size_text(size: float) -> str:
    """A byte count in words: ``21.8 TB``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if size < 1024 or unit == "PB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} PB"


def initialise(model: nn.Module, init: str, activation: str) -> nn.Module:
    """Re-initialise the weights of ``model``'s linear and convolution layers by ``init``
    (``default`` keeps torch's), biases at zero; returns ``model``."""
    if init == "default":
        return model
    for module in model.modules():
        if isinstance(module, nn.Linear | nn.Conv2d):
            if init == "kaiming":
                slope = "leaky_relu" if activation == "leaky_relu" else "relu"
                nn.init.kaiming_normal_(module.weight, nonlinearity=slope)
            else:
                gain = nn.init.calculate_gain(activation if activation in
                                              ("tanh", "sigmoid", "relu") else "linear")
                nn.init.xavier_normal_(module.weight, gain=gain)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def architecture(spec: ModelSpec, dataset: Dataset) -> nn.Module:
    """The spec's layers with torch's default initialisation (build on the meta device to
    count or size them without allocating)."""
    if spec.type == "cnn":
        if dataset.image_shape is None:
            raise SpecError("model.type cnn needs image data", key_path=("model", "type"),
                            hint="use data: {name: digits}, an npz or idx file of images, or "
                                 "type: mlp")
        return cnn(dataset.image_shape, spec.channels, spec.hidden, dataset.n_outputs,
                   spec.activation, spec.dropout)
    return mlp(dataset.n_features, spec.hidden, dataset.n_outputs, spec.activation, spec.dropout)


def cnn(image_shape: tuple[int, ...], channels: list[int], hidden: list[int], n_out: int,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """A small convolutional network on flattened ``image_shape`` rows, layers named
    ``image, conv1, act1, pool1, ..., flat, fc1, act{k}, ..., out``: 3x3 convolutions that keep
    the size, each followed by a 2x2 max-pool while the image is at least 4 pixels high."""
    height, width = image_shape
    layers: OrderedDict[str, nn.Module] = OrderedDict(image=nn.Unflatten(1, (1, height, width)))
    depth = 1
    for i, out_channels in enumerate(channels, start=1):
        layers[f"conv{i}"] = nn.Conv2d(depth, out_channels, 3, padding=1)
        layers[f"act{i}"] = ACTIVATIONS[activation]()
        if min(height, width) >= 4:
            layers[f"pool{i}"] = nn.MaxPool2d(2)
            height, width = height // 2, width // 2
        depth = out_channels
    layers["flat"] = nn.Flatten()
    _add_dense(layers, depth * height * width, hidden, n_out, activation, dropout,
               first_act=len(channels) + 1)
    return nn.Sequential(layers)


def mlp(
    n_in: int, hidden: list[int], n_out: int, activation: str = "tanh", dropout: float = 0.0
) -> nn.Sequential:
    """A multilayer perceptron whose layers are named ``fc1, act1, ..., out``.

    The names are what traces and scene specs use to refer to layers.
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    _add_dense(layers, n_in, hidden, n_out, activation, dropout)
    return nn.Sequential(layers)


def _add_dense(layers: OrderedDict[str, nn.Module], width: int, hidden: list[int], n_out: int,
               activation: str, dropout: float, first_act: int = 1) -> None:
    """Append ``fc1, act{first_act}, [drop1], ..., out`` to ``layers``."""
    for i, size in enumerate(hidden, start=1):
        layers[f"fc{i}"] = nn.Linear(width, size)
        layers[f"act{first_act + i - 1}"] = ACTIVATIONS[activation]()
        if dropout > 0:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = size
    layers["out"] = nn.Linear(width, n_out)
