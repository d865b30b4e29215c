"""The built-in loop's recorder: snapshots of the spec's model through hooks, at the steps the
recording plan asks for, driven by `mlanim.train.loop` through its `Watcher` protocol::

    recorder = Recorder(model, plan, dataset)
    recorder.snapshot(step=0, epoch=0)              # the initial state
    for each batch:
        loss.backward(); recorder.before_update(step, epoch, rows)
        recorder.capture_grads(step, epoch); optimizer.step(); recorder.after_update(...)
    recorder.snapshot(step, epoch)                  # at the planned cadence
    trace = recorder.finish()

A user's own loop is recorded by `mlanim.recording` (``mlanim.watch``), which shares its hook
helpers (`mlanim.train.hooks`) and run metadata; the two are not yet one class.

Snapshots run in eval mode under inference mode and draw no random numbers, so recording does not
change the training run: a recorded run and a plain run end with identical weights.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.trace import Trace, TraceWriter
from mlanim.train.hooks import evaluating, hooked
from mlanim.train.losses import make_loss
from mlanim.train.plan import RecordingPlan


class Recorder:
    """Records the channels of ``plan`` from ``model`` on ``dataset`` into a trace."""

    def __init__(self, model: nn.Module, plan: RecordingPlan, dataset: Dataset,
                 loss: str = "auto") -> None:
        self.model, self.plan, self.dataset = model, plan, dataset
        self.loss_fn = make_loss(loss, dataset.task)
        self.writer = TraceWriter(meta={"dataset": dataset.describe()})
        self._x_train = torch.from_numpy(dataset.x_train)
        self._y_train = torch.from_numpy(dataset.y_train)
        self._x_val = torch.from_numpy(dataset.x_val)
        self._y_val = torch.from_numpy(dataset.y_val)
        self._x_all = torch.cat([self._x_train, self._x_val])
        self._rows = torch.tensor(plan.rows) if plan.rows else slice(None)
        self._grid = torch.from_numpy(plan.grid.points()) if plan.grid else None
        self._needs_rows = bool(plan.metrics or plan.activation_samples or plan.hidden_layers
                                or plan.probabilities)
        parts = ([self._x_all] if self._needs_rows else []) + \
            ([self._grid] if self._grid is not None else [])
        # One forward pass per snapshot serves metrics, activations, hidden layers and the
        # grid: fewer, larger operations (each torch call has a fixed cost).
        self._snapshot_rows = torch.cat(parts) if parts else None
        self._store_statics()

    def _forward_capturing(self, x: torch.Tensor, capture: bool) -> tuple[torch.Tensor, dict]:
        """One forward pass; with ``capture``, every named submodule's output too. The hooks
        exist only during this call, so training steps run without them."""
        captured: dict[str, torch.Tensor] = {}

        def keep(name: str):
            def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
                if isinstance(output, torch.Tensor):
                    captured[name] = output.detach()
            return hook

        modules = [(module, keep(name)) for name, module in self.model.named_modules()
                   if name] if capture else []
        with hooked(modules):
            return self.model(x), captured

    def _store_statics(self) -> None:
        for name in ("x_train", "y_train", "x_val", "y_val") if self.plan.store_data else ():
            self.writer.static(f"data/{name}", getattr(self.dataset, name))
        if self.plan.grid:
            xs, ys = self.plan.grid.axes()
            self.writer.static("grid/x", xs)
            self.writer.static("grid/y", ys)

    @torch.inference_mode()
    def snapshot(self, step: int, epoch: float) -> None:
        """Record every planned channel of the model's current state."""
        with evaluating(self.model):
            plan, needs_rows = self.plan, self._needs_rows
            if self._snapshot_rows is not None:
                out, layers = self._forward_capturing(
                    self._snapshot_rows, bool(plan.activation_samples or plan.hidden_layers))
                n = len(self._x_all) if needs_rows else 0
                if needs_rows:
                    self._record_rows(out[:n], {k: v[:n] for k, v in layers.items()},
                                      step, epoch)
                if self._grid is not None:  # raw outputs (logits): probabilities come later
                    self.writer.add("grid/output", _np(out[n:]), step, epoch, "half")
            if plan.params:
                for name, param in self.model.named_parameters():
                    self.writer.add(f"params/{name}", _np(param), step, epoch,
                                    "half" if plan.params_precision == "half" else "full")

    def _record_rows(self, out: torch.Tensor, layers: dict[str, torch.Tensor], step: int,
                     epoch: float) -> None:
        """Metrics, activations of the planned samples, and hidden layers, from one pass
        over the training and validation rows."""
        self._metrics(out, step, epoch)
        rows = list(self.plan.activation_samples)
        for name, value in layers.items():
            if rows:
                self.writer.add(f"activations/{name}", _np(value[rows]), step, epoch)
            if name in self.plan.hidden_layers:
                self.writer.add(f"hidden/{name}", _np(value[self._rows].flatten(1)), step,
                                epoch, "half")
        if self.plan.probabilities:
            self.writer.add("outputs/probabilities",
                            _np(torch.softmax(out[self._rows], dim=1)), step, epoch, "half")

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Call after ``backward`` and before ``optimizer.step`` with the 0-based step index
        and the batch's row indices; records the focus channels if ``step`` is a focus step."""
        if step not in self.plan.focus_steps:
            return
        for name, param in self.model.named_parameters():
            self.writer.add(f"focus/params_pre/{name}", _np(param), step, epoch)
            if param.grad is not None:
                self.writer.add(f"focus/grads/{name}", _np(param.grad), step, epoch)
        batch = torch.zeros(len(self._x_train), dtype=torch.bool)
        batch[rows] = True
        self.writer.add("focus/batch", _np(batch), step, epoch)
        self._sample_pass(step, epoch)

    def after_update(self, step: int, epoch: float) -> None:
        """Call after ``optimizer.step``: the post-update weights of a focus step."""
        if step in self.plan.focus_steps:
            for name, param in self.model.named_parameters():
                self.writer.add(f"focus/params_post/{name}", _np(param), step, epoch)

    def _sample_pass(self, step: int, epoch: float) -> None:
        """The focus sample's forward and backward pass through a copy of the model (eval
        mode, so no dropout and no random numbers; the model's own gradients stay as they
        are): every layer's output, and dL/d(output) for this sample's loss."""
        twin = copy.deepcopy(self.model).eval()
        outputs: dict[str, torch.Tensor] = {}

        def keep(name: str):
            def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
                if isinstance(output, torch.Tensor):
                    output.retain_grad()
                    outputs[name] = output
            return hook

        row = self.plan.focus_sample
        x, y = self._x_train[row: row + 1], self._y_train[row: row + 1]
        modules = [(module, keep(name)) for name, module in twin.named_modules() if name]
        with torch.enable_grad(), hooked(modules):
            out = twin(x.clone().requires_grad_(False))
            loss = self.loss_fn(out, y)
            loss.backward()
        self.writer.add("focus/x", _np(x[0]), step, epoch)
        self.writer.add("focus/loss", loss.item(), step, epoch)
        for name, value in outputs.items():
            self.writer.add(f"focus/out/{name}", _np(value[0]), step, epoch)
            if value.grad is not None:
                self.writer.add(f"focus/grad/{name}", _np(value.grad[0]), step, epoch)

    def capture_grads(self, step: int, epoch: float) -> None:
        """Record the gradients now in ``param.grad`` (call after backward, before step)."""
        if not self.plan.grads:
            return
        for name, param in self.model.named_parameters():
            if param.grad is not None:
                self.writer.add(f"grads/{name}", _np(param.grad), step, epoch)

    def _metrics(self, out_all: torch.Tensor, step: int, epoch: float) -> None:
        """Loss and accuracy of each split, from the model's output on train + val rows."""
        if not self.plan.metrics:
            return
        n_train = len(self._x_train)
        for split, out, y in (("train", out_all[:n_train], self._y_train),
                              ("val", out_all[n_train:], self._y_val)):
            if len(y) == 0:
                continue
            self.writer.add(f"metrics/{split}_loss", self.loss_fn(out, y).item(), step, epoch)
            if self.dataset.task == "classification":
                accuracy = (out.argmax(dim=1) == y).float().mean().item()
                self.writer.add(f"metrics/{split}_acc", accuracy, step, epoch)

    def finish(self, **meta: object) -> Trace:
        """The trace, with ``meta`` added to its metadata."""
        self.writer.meta.update(meta)
        return self.writer.freeze()


def _np(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as numpy, from any device (a CUDA model's too)."""
    return tensor.detach().cpu().numpy()
