"""The network as drawn: its layers, which neurons are shown, and where they sit.

Layers up to `SHOW_ALL` neurons wide are drawn in full. Wider ones show their `SHOW_TOP` most
active neurons (for the focus sample, at the first animated step) and a "... n more" marker.
Layers wider than `BLOCK_ABOVE` become one block whose heatmap shows every activation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.trace import Trace

SHOW_ALL = 12
SHOW_TOP = 10
BLOCK_ABOVE = 64


@dataclass(frozen=True)
class Layer:
    """One column of the diagram."""

    index: int
    title: str
    width: int
    shown: np.ndarray  # indices of the neurons drawn as nodes (empty for a block)
    x: float
    ys: np.ndarray  # y of each shown node
    linear: str | None  # name of the Linear module producing this layer (None for inputs)
    activation: str | None  # name of the module applying the activation, if any
    names: tuple[str, ...]

    @property
    def block(self) -> bool:
        """Drawn as a heatmap block rather than as nodes."""
        return self.width > BLOCK_ABOVE

    @property
    def hidden_count(self) -> int:
        """Neurons not drawn as nodes."""
        return self.width - len(self.shown)


@dataclass(frozen=True)
class Network:
    """The drawn network: layers left to right and the node radius in points."""

    layers: tuple[Layer, ...]
    radius: float
    area: tuple[float, float, float, float]  # left, bottom, width, height

    def weight_name(self, layer: int) -> str:
        """Parameter name of the weights into ``layer`` (1..L)."""
        return f"{self.layers[layer].linear}.weight"

    def bias_name(self, layer: int) -> str:
        """Parameter name of the biases of ``layer`` (1..L)."""
        return f"{self.layers[layer].linear}.bias"


def build_network(trace: Trace, area: tuple[float, float, float, float],
                  activation_name: str, task: str) -> Network:
    """Lay out the model recorded in ``trace`` inside ``area`` (figure fractions)."""
    meta = trace.meta
    widths = meta["model"]["widths"]
    modules = meta["model"]["layers"]
    linears = [m for m in modules if m.startswith("fc") or m == "out"]
    acts = {m.replace("act", "fc"): m for m in modules if m.startswith("act")}
    dataset = meta["dataset"]
    first = trace.channel("focus/x").values[0]
    count = len(widths)
    left, bottom, width, height = area
    xs = [left + width * i / (count - 1) for i in range(count)]
    layers = []
    for i, size in enumerate(widths):
        if i == 0:
            score = np.abs(first)
            title, names = "input", tuple(dataset["feature_names"])
            linear, act = None, None
        else:
            linear = linears[i - 1]
            act = acts.get(linear)
            score = np.abs(trace.channel(f"focus/out/{act or linear}").values[0])
            last = i == count - 1
            title = ("output" + (" (softmax)" if task == "classification" else "")) if last \
                else f"hidden {i} ({activation_name})"
            names = tuple(dataset["class_names"]) if last and task == "classification" else \
                tuple(f"{'o' if last else 'h'}{k + 1}" for k in range(size))
        shown = _shown(size, score)
        ys = _spread(len(shown) + (1 if size - len(shown) > 0 and size <= BLOCK_ABOVE else 0),
                     bottom, height)
        layers.append(Layer(i, title, size, shown, xs[i], ys, linear, act, names))
    most = max(max(len(layer.shown) + 1, 1) for layer in layers)
    radius = float(min(15.0, 0.36 * min(height, 0.6) * 720 * 0.72 / most))
    return Network(tuple(layers), radius, area)


def _shown(size: int, score: np.ndarray) -> np.ndarray:
    if size <= SHOW_ALL:
        return np.arange(size)
    if size > BLOCK_ABOVE:
        return np.arange(0)
    return np.sort(np.argsort(-score, kind="stable")[:SHOW_TOP])


def _spread(count: int, bottom: float, height: float) -> np.ndarray:
    if count <= 1:
        return np.array([bottom + height / 2])
    gap = min(height / (count - 1), height / 5)
    middle = bottom + height / 2
    return middle + (np.arange(count)[::-1] - (count - 1) / 2) * gap
