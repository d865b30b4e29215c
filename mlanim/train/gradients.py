"""Every step's gradients, summarised as they come: each weight layer's gradient norm and a
histogram of its |gradient| on log-spaced bins, kept in bounded memory (a few numbers a layer
and a step, never the raw gradients). The built-in ``gradient_flow`` recording and
`mlanim.watch` in a user's own loop both keep them through a `GradientLog`, and write the same
``flow/*`` arrays to the trace."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mlanim.trace import TraceWriter
from mlanim.train.hooks import hooked

LOW, HIGH = -12.0, 8.0
"""The histograms' range of log10 |gradient|: smaller values fall in the first bin, larger in
the last; exact zeros and non-finite values have a column each."""

CHUNK_VALUES = 1 << 22
"""Steps' gradients are kept (float32) and summarised in chunks of at most this many values:
a few vectorised operations per chunk cost less than a dozen small ones per step."""


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers whose weight gradients are followed: linear and convolution layers that
    train (a frozen layer gets no gradient by design), in the order the model lists them."""
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d)
            and isinstance(getattr(module, "weight", None), nn.Parameter)
            and module.weight.requires_grad]


def relu_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The ReLU modules, whose units can die."""
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, nn.ReLU)]


def gradient_histograms(block: torch.Tensor, owner: torch.Tensor, layers: int, bins: int
                        ) -> torch.Tensor:
    """Per row of ``block`` (one step's gradients, all layers' flattened side by side) and per
    layer, counts of log10 |g| in ``bins`` equal bins over [LOW, HIGH), after a column of
    exact zeros and before a column of non-finite values: shape (rows, layers, bins + 2).
    ``owner`` gives each column's layer index; one bincount serves every step and layer."""
    size = block.abs()
    position = ((torch.log10(size) - LOW) * (bins / (HIGH - LOW))).floor().clamp(0, bins - 1) + 1
    column = torch.where(size == 0, 0.0, position)
    column = torch.where(torch.isfinite(block), column, float(bins + 1))
    rows = torch.arange(len(block)).unsqueeze(1)
    index = (rows * layers + owner.unsqueeze(0)) * (bins + 2) + column.long()
    counts = torch.bincount(index.reshape(-1), minlength=len(block) * layers * (bins + 2))
    return counts.view(len(block), layers, bins + 2)


def layer_norms(block: torch.Tensor, owner: torch.Tensor, layers: int) -> torch.Tensor:
    """Per row of ``block`` and per layer, the L2 norm of the layer's columns (summed in
    float64, so that an exploding gradient's squares do not overflow before it does)."""
    squares = block.double().square()
    return torch.zeros(len(block), layers, dtype=torch.float64).index_add_(
        1, owner, squares).sqrt()


class GradientLog:
    """Keeps each step's weight gradients of ``model`` (on the CPU, in chunks) and summarises
    them into norms and histograms; notes the first step whose gradient is not finite."""

    def __init__(self, model: nn.Module, bins: int) -> None:
        self.layers = weight_layers(model)
        self.bins = bins
        self.weights = [module.weight for _, module in self.layers]
        sizes = torch.tensor([w.numel() for w in self.weights], dtype=torch.long)
        total = max(int(sizes.sum()), 1)
        self.owner = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
        self.buffer = torch.empty(max(1, min(64, CHUNK_VALUES // total)), total)
        self.filled = 0
        self.steps = 0
        self.shapes = [(int(w.shape[0]) if w.dim() else 1, int(w.numel())) for w in self.weights]
        self.norms: list[torch.Tensor] = []
        self.histograms: list[torch.Tensor] = []
        self.silent: list[torch.Tensor] = []
        self.first_bad_gradient: dict | None = None

    def keep(self) -> None:
        """Keep the gradients now in the weights' ``.grad`` (zeros where there is none)."""
        if not self.weights:
            return
        torch.cat([_flat(w) for w in self.weights], out=self.buffer[self.filled])
        self.filled += 1
        self.steps += 1
        if self.filled == len(self.buffer):
            self.summarise()

    def summarise(self) -> None:
        """Norms and histograms of the kept steps; note the first non-finite gradient."""
        if not self.filled:
            return
        block, layers = self.buffer[: self.filled], len(self.weights)
        norms = layer_norms(block, self.owner, layers)
        self.norms.append(norms)
        self.histograms.append(gradient_histograms(block, self.owner, layers, self.bins))
        self.silent.append(silent_shares(block, self.shapes))
        bad = ~torch.isfinite(norms)
        if self.first_bad_gradient is None and bool(bad.any()):
            row, layer = (int(i) for i in torch.nonzero(bad)[0])
            self.first_bad_gradient = {"layer": self.layers[layer][0],
                                       "step": self.steps - self.filled + row + 1,
                                       "value": str(float(norms[row, layer]))}
        self.filled = 0

    def write(self, writer: TraceWriter, losses: list[float], relus: list[str],
              first_bad_output: dict | None) -> None:
        """The ``flow/*`` arrays (one row per step) and the ``flow`` metadata."""
        for name, value in self.rows_since(0, losses).items():
            writer.static(name, value)
        writer.meta["flow"] = self.describe(relus, first_bad_output)

    def rows_since(self, chunk: int, losses: list[float]) -> dict[str, np.ndarray]:
        """The ``flow/*`` rows of the steps summarised from the ``chunk``-th chunk on (all,
        from 0), with those steps' ``losses``: what a recording written as it goes appends.
        Summarises the steps kept so far first."""
        self.summarise()
        done = sum(len(block) for block in self.norms[:chunk])
        norms, histograms, silent = self.norms[chunk:], self.histograms[chunk:], \
            self.silent[chunk:]
        layers = len(self.layers)
        return {
            "flow/norms": torch.cat(norms).numpy() if norms else np.zeros((0, layers)),
            "flow/histograms": torch.cat(histograms).numpy().astype(np.int32) if histograms
            else np.zeros((0, layers, self.bins + 2), np.int32),
            "flow/loss": np.asarray(losses[done: self.steps], dtype=np.float64),  # NaN: unknown
            "flow/silent": torch.cat(silent).numpy().astype(np.float32) if silent
            else np.zeros((0, layers), np.float32),
        }

    @property
    def chunks(self) -> int:
        """Chunks summarised so far (where the next `rows_since` starts)."""
        return len(self.norms)

    def describe(self, relus: list[str], first_bad_output: dict | None) -> dict:
        """The ``flow`` metadata: the followed layers, the histograms' bins, and where the
        gradient or the output first stopped being finite."""
        return {
            "layers": [name for name, _ in self.layers], "relus": relus,
            "kinds": [type(module).__name__ for _, module in self.layers],
            "sizes": [size for _, size in self.shapes],
            "bins": self.bins, "low": LOW, "high": HIGH,
            "first_bad_gradient": self.first_bad_gradient,
            "first_bad_output": first_bad_output,
        }


def silent_shares(block: torch.Tensor, shapes: list[tuple[int, int]]) -> torch.Tensor:
    """Per row of ``block`` (one step's gradients, all layers side by side) and per layer of
    ``shapes`` (units, weights), the share of the layer's units (rows of its weight: output
    features or channels) whose gradient was exactly zero: units that received no gradient."""
    shares, start = [], 0
    for units, size in shapes:
        rows = block[:, start: start + size].reshape(len(block), units, -1)
        shares.append(1.0 - (rows != 0).any(dim=2).float().mean(dim=1))
        start += size
    return torch.stack(shares, dim=1) if shares else torch.zeros(len(block), 0)


def alive_units(output: torch.Tensor) -> torch.Tensor:
    """Which units (channels on axis 1) of a ReLU's output are above 0 for some row and
    position: computed in the forward hook, so no copy of the output is kept."""
    units = output.reshape(len(output), output.shape[1] if output.dim() > 1 else 1, -1)
    return (units > 0).any(dim=2).any(dim=0).cpu()


def _flat(weight: torch.Tensor) -> torch.Tensor:
    """A weight's gradient as one float32 row on the CPU (copied only when it is not one)."""
    grad = weight.grad
    if grad is None:
        return torch.zeros(weight.numel())
    if grad.requires_grad:  # a higher-order gradient (create_graph=True)
        grad = grad.detach()
    if grad.device.type != "cpu" or grad.dtype != torch.float32:
        grad = grad.to("cpu", torch.float32)
    return grad.reshape(-1)


def dead_shares(alive: dict[str, torch.Tensor], relus: list[str]) -> np.ndarray:
    """Per ReLU module, the share of its units that were never above 0 (from `alive_units`)."""
    return np.array([1.0 - alive[name].float().mean().item() for name in relus])


@torch.no_grad()
def first_non_finite_output(model: nn.Module, inputs: object, step: int) -> dict | None:
    """Run ``inputs`` through ``model`` again with forward hooks on every leaf module and
    name the first (in call order) whose output holds a NaN or infinity: where it broke."""
    found: list[dict] = []

    def check(name: str, module: nn.Module):
        def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
            if found or not isinstance(output, torch.Tensor) or not output.is_floating_point():
                return
            bad = ~torch.isfinite(output)
            if bool(bad.any()):
                value = "nan" if bool(torch.isnan(output[bad]).any()) else "inf"
                weights_bad = any(not bool(torch.isfinite(p).all())
                                  for p in module.parameters(recurse=False))
                found.append({"module": name, "step": step + 1, "value": value,
                              "weights": weights_bad})
        return hook

    leaves = [(module, check(name, module)) for name, module in model.named_modules()
              if name and not any(True for _ in module.children())]
    with hooked(leaves):
        model(inputs)
    return found[0] if found else None
