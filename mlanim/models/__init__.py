"""Models built from the spec's ``model:`` section: ``build(spec.model, dataset)``."""

from __future__ import annotations

from collections import OrderedDict

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


def build(spec: ModelSpec, dataset: Dataset) -> nn.Module:
    """A freshly initialised model for ``dataset`` (seed torch before calling)."""
    if spec.type != "mlp":
        raise SpecError(f"model type '{spec.type}' is not available for this scene yet",
                        key_path=("model", "type"), hint="use type: mlp")
    return mlp(dataset.n_features, spec.hidden, dataset.n_outputs, spec.activation, spec.dropout)


def mlp(
    n_in: int, hidden: list[int], n_out: int, activation: str = "tanh", dropout: float = 0.0
) -> nn.Sequential:
    """A multilayer perceptron whose layers are named ``fc1, act1, ..., out``.

    The names are what traces and scene specs use to refer to layers.
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = n_in
    for i, size in enumerate(hidden, start=1):
        layers[f"fc{i}"] = nn.Linear(width, size)
        layers[f"act{i}"] = ACTIVATIONS[activation]()
        if dropout > 0:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = size
    layers["out"] = nn.Linear(width, n_out)
    return nn.Sequential(layers)
