"""The Recorder: snapshots of any ``nn.Module`` through hooks, driven by a training loop.

The built-in loop and a user's own loop use it the same way::

    recorder = Recorder(model, plan, dataset)
    recorder.snapshot(step=0, epoch=0)              # the initial state
    for each batch:
        loss.backward(); recorder.capture_grads(step, epoch); optimizer.step()
    recorder.snapshot(step, epoch)                  # at the planned cadence
    trace = recorder.finish()

Snapshots run in eval mode under ``no_grad`` and draw no random numbers, so recording does not
change the training run: a recorded run and a plain run end with identical weights.
"""

from __future__ import annotations

import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.trace import Trace, TraceWriter
from mlanim.train.plan import RecordingPlan


class Recorder:
    """Records the channels of ``plan`` from ``model`` on ``dataset`` into a trace."""

    def __init__(self, model: nn.Module, plan: RecordingPlan, dataset: Dataset,
                 loss_fn: nn.Module | None = None) -> None:
        self.model, self.plan, self.dataset = model, plan, dataset
        self.loss_fn = loss_fn or default_loss(dataset)
        self.writer = TraceWriter(meta={"dataset": dataset.describe()})
        self._x_train = torch.from_numpy(dataset.x_train)
        self._y_train = torch.from_numpy(dataset.y_train)
        self._x_val = torch.from_numpy(dataset.x_val)
        self._y_val = torch.from_numpy(dataset.y_val)
        self._grid = torch.from_numpy(plan.grid.points()) if plan.grid else None
        self._captured: dict[str, torch.Tensor] = {}
        self._capturing = False
        self._hooks = [module.register_forward_hook(self._hook(name))
                       for name, module in model.named_modules() if name]
        self._store_statics()

    def _hook(self, name: str):
        def keep_output(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            if self._capturing and isinstance(output, torch.Tensor):
                self._captured[name] = output.detach()
        return keep_output

    def _store_statics(self) -> None:
        for name in ("x_train", "y_train", "x_val", "y_val"):
            self.writer.static(f"data/{name}", getattr(self.dataset, name))
        if self.plan.grid:
            xs, ys = self.plan.grid.axes()
            self.writer.static("grid/x", xs)
            self.writer.static("grid/y", ys)

    @torch.no_grad()
    def snapshot(self, step: int, epoch: float) -> None:
        """Record every planned channel of the model's current state."""
        was_training = self.model.training
        self.model.eval()
        try:
            if self.plan.metrics:
                self._metrics(step, epoch)
            if self.plan.params:
                for name, param in self.model.named_parameters():
                    self.writer.add(f"params/{name}", param.detach().numpy(), step, epoch)
            if self.plan.activation_samples:
                self._layer_outputs("activations", list(self.plan.activation_samples), None,
                                    step, epoch, "full")
            if self.plan.hidden_layers:
                self._layer_outputs("hidden", None, self.plan.hidden_layers, step, epoch, "half")
            if self._grid is not None:
                out = self.model(self._grid)
                self.writer.add("grid/output", self._as_prediction(out), step, epoch, "half")
        finally:
            self.model.train(was_training)

    def capture_grads(self, step: int, epoch: float) -> None:
        """Record the gradients now in ``param.grad`` (call after backward, before step)."""
        if not self.plan.grads:
            return
        for name, param in self.model.named_parameters():
            if param.grad is not None:
                self.writer.add(f"grads/{name}", param.grad.detach().numpy(), step, epoch)

    def _metrics(self, step: int, epoch: float) -> None:
        for split, x, y in (("train", self._x_train, self._y_train),
                            ("val", self._x_val, self._y_val)):
            if len(x) == 0:
                continue
            out = self.model(x)
            self.writer.add(f"metrics/{split}_loss", self._loss(out, y), step, epoch)
            if self.dataset.task == "classification":
                accuracy = (out.argmax(dim=1) == y).float().mean().item()
                self.writer.add(f"metrics/{split}_acc", accuracy, step, epoch)

    def _layer_outputs(self, prefix: str, rows: list[int] | None, layers: tuple[str, ...] | None,
                       step: int, epoch: float, precision) -> None:
        x = torch.cat([self._x_train, self._x_val]) if rows is None else self._x_train[rows]
        self._capturing, self._captured = True, {}
        try:
            self.model(x)
        finally:
            self._capturing = False
        for name, value in self._captured.items():
            if layers is None or name in layers:
                self.writer.add(f"{prefix}/{name}", value.numpy(), step, epoch, precision)

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> float:
        if self.dataset.task == "regression":
            out = out.squeeze(-1)
        return float(self.loss_fn(out, y).item())

    def _as_prediction(self, out: torch.Tensor) -> torch.Tensor:
        if self.dataset.task == "classification":
            return torch.softmax(out, dim=-1)
        return out

    def finish(self, **meta: object) -> Trace:
        """Detach the hooks and return the trace, with ``meta`` added to its metadata."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        self.writer.meta.update(meta)
        return self.writer.freeze()


def default_loss(dataset: Dataset) -> nn.Module:
    """Cross-entropy for classes, mean squared error for regression."""
    return nn.CrossEntropyLoss() if dataset.task == "classification" else nn.MSELoss()
