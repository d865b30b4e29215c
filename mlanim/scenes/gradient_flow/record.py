"""Records gradient flow while the spec's model trains: every step, each layer's weight-gradient
norm and a histogram of its |gradient| on log-spaced bins; at each snapshot the loss and the
share of dead ReLU units; and, when a value stops being finite, where it happened first."""

from __future__ import annotations

import math
import platform

import numpy as np
import torch
from torch import nn

from mlanim import __version__, models
from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.scenes.gradient_flow.spec import GradientFlowSpec
from mlanim.trace import Trace
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.losses import make_loss
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder
from mlanim.train.run import describe_model
from mlanim.train.schedule import Schedule

LOW, HIGH = -12.0, 8.0
"""The histograms' range of log10 |gradient|: smaller values fall in the first bin, larger in
the last; exact zeros and non-finite values have a column each."""


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers whose weight gradients are followed: linear and convolution layers, in
    the order the model lists them."""
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, nn.Linear | nn.Conv1d | nn.Conv2d)]


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


CHUNK_VALUES = 1 << 22
"""Steps' gradients are kept (float32) and summarised in chunks of at most this many values:
a few vectorised operations per chunk cost less than a dozen small ones per step."""


class FlowProbe:
    """The training loop's watcher: keeps each step's norms and histograms, and at snapshots
    lets the `Recorder` take the metrics and counts dead units itself."""

    def __init__(self, model: nn.Module, recorder: Recorder, x_train: torch.Tensor,
                 bins: int) -> None:
        self.model, self.recorder, self.x_train, self.bins = model, recorder, x_train, bins
        self.layers = weight_layers(model)
        self.relus = relu_layers(model)
        self.weights = [module.weight for _, module in self.layers]
        sizes = torch.tensor([w.numel() for w in self.weights])
        self.owner = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
        self.buffer = torch.empty(max(1, min(64, CHUNK_VALUES // int(sizes.sum()))),
                                  int(sizes.sum()))
        self.filled = 0
        self.norms: list[torch.Tensor] = []
        self.histograms: list[torch.Tensor] = []
        self.losses: list[float] = []
        self.steps_done = 0
        self.first_bad_gradient: dict | None = None
        self.first_bad_output: dict | None = None

    def batch_loss(self, loss: torch.Tensor, step: int, inputs: torch.Tensor) -> torch.Tensor:
        """Keep the batch's loss; if it is not finite, find the module that broke first."""
        value = loss.item()
        if math.isfinite(value):
            self.losses.append(value)
        elif self.first_bad_output is None:
            self.first_bad_output = first_non_finite_output(self.model, inputs, step)
        return loss

    def snapshot(self, step: int, epoch: float) -> None:
        """Metrics through the recorder, then the dead-unit shares on the training rows."""
        self.recorder.snapshot(step, epoch)
        if self.relus:
            self.recorder.writer.add("flow/dead", self.dead_shares(), step, epoch)

    @torch.inference_mode()
    def dead_shares(self) -> np.ndarray:
        """Per ReLU module, the share of its units that output 0 on every training row."""
        alive: dict[str, torch.Tensor] = {}

        def watch(name: str):
            def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
                units = output.reshape(len(output), output.shape[1], -1)
                alive[name] = (units > 0).any(dim=2).any(dim=0)
            return hook

        was_training = self.model.training
        self.model.eval()
        hooks = [module.register_forward_hook(watch(name)) for name, module in self.relus]
        try:
            self.model(self.x_train)
        finally:
            for hook in hooks:
                hook.remove()
            self.model.train(was_training)
        return np.array([1.0 - alive[name].float().mean().item() for name, _ in self.relus])

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Keep this step's weight gradients (summarised when the chunk is full)."""
        grads = [w.grad.reshape(-1) if w.grad is not None else torch.zeros(w.numel())
                 for w in self.weights]
        torch.cat(grads, out=self.buffer[self.filled])
        self.filled += 1
        self.steps_done += 1
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
        bad = ~torch.isfinite(norms)
        if self.first_bad_gradient is None and bool(bad.any()):
            row, layer = (int(i) for i in torch.nonzero(bad)[0])
            self.first_bad_gradient = {"layer": self.layers[layer][0],
                                       "step": self.steps_done - self.filled + row + 1,
                                       "value": str(float(norms[row, layer]))}
        self.filled = 0

    def capture_grads(self, step: int, epoch: float) -> None:
        """Nothing: gradients are kept every step in `before_update`."""

    def after_update(self, step: int, epoch: float) -> None:
        """Nothing after the update."""

    def finish(self, **meta: object) -> Trace:
        """The trace: the recorder's snapshots plus the per-step arrays."""
        self.summarise()
        writer = self.recorder.writer
        count = self.steps_done
        writer.static("flow/norms", torch.cat(self.norms).numpy() if count
                      else np.zeros((0, len(self.layers))))
        writer.static("flow/histograms", torch.cat(self.histograms).numpy().astype(np.int32)
                      if count else np.zeros((0, len(self.layers), self.bins + 2), np.int32))
        writer.static("flow/loss", np.asarray(self.losses[:count], dtype=np.float64))
        writer.meta["flow"] = {
            "layers": [name for name, _ in self.layers],
            "relus": [name for name, _ in self.relus],
            "bins": self.bins, "low": LOW, "high": HIGH,
            "first_bad_gradient": self.first_bad_gradient,
            "first_bad_output": self.first_bad_output,
        }
        return self.recorder.finish(**meta)


@torch.no_grad()
def first_non_finite_output(model: nn.Module, inputs: torch.Tensor, step: int) -> dict | None:
    """Run ``inputs`` through ``model`` again with forward hooks on every leaf module and
    name the first (in call order) whose output holds a NaN or infinity: where it broke."""
    found: list[dict] = []

    def check(name: str, module: nn.Module):
        def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
            if found or not isinstance(output, torch.Tensor):
                return
            bad = ~torch.isfinite(output)
            if bool(bad.any()):
                value = "nan" if bool(torch.isnan(output[bad]).any()) else "inf"
                weights_bad = any(not bool(torch.isfinite(p).all())
                                  for p in module.parameters(recurse=False))
                found.append({"module": name, "step": step + 1, "value": value,
                              "weights": weights_bad})
        return hook

    hooks = [module.register_forward_hook(check(name, module))
             for name, module in model.named_modules()
             if name and not any(True for _ in module.children())]
    try:
        model(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return found[0] if found else None


def record_flow(spec: GradientFlowSpec, dataset: Dataset, progress: Progress) -> Trace:
    """Train the spec's model with the probe watching every step; the trace it leaves."""
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    schedule = Schedule.of(spec.train, len(dataset.x_train))
    plan = RecordingPlan(metrics=True, store_data=False, every_epochs=spec.train.record_every,
                         every_steps=spec.train.record_every_steps)
    recorder = Recorder(model, plan, dataset, spec.train.loss)
    x, y = torch.from_numpy(dataset.x_train), torch.from_numpy(dataset.y_train)
    probe = FlowProbe(model, recorder, x, spec.flow.bins)
    loss_fn = make_loss(spec.train.loss, dataset.task)
    due = schedule.regular(schedule.every(spec.train))
    result = train_steps(
        model, schedule,
        lambda rows: probe.batch_loss(loss_fn(model(x[rows]), y[rows]), probe.steps_done,
                                      x[rows]),
        spec.train, spec.seed, probe, due, progress)
    return probe.finish(
        scene=spec.scene, seed=spec.seed, model=describe_model(model),
        train=spec.train.model_dump(mode="json"), steps=result.steps, epochs=result.epochs,
        diverged_at_epoch=result.diverged_at_epoch, steps_per_epoch=schedule.steps_per_epoch,
        versions={"mlanim": __version__, "torch": torch.__version__,
                  "python": platform.python_version()})
