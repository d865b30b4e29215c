"""The Recorder: what training looks at, for every run mlanim records.

The built-in loop drives it through its `Watcher` protocol; ``mlanim.watch`` adapts a user's
own loop to the same calls (`mlanim.recording.Watch`)::

    recorder = Recorder(model, plan, dataset)     # or Recorder(model, plan), then use_rows()
    recorder.snapshot(step=0, epoch=0)              # the initial state
    for each batch:
        loss.backward(); recorder.before_update(step, epoch, rows)
        recorder.capture_grads(step, epoch)         # when a snapshot is due
        optimizer.step(); recorder.after_update(step, epoch)
        recorder.snapshot(step, epoch)              # at the plan's cadence
    trace = recorder.finish(**meta)

A snapshot runs the rows (a dataset's training then validation rows, or a user's probe rows)
and the input plane's grid through the model in one pass, in eval mode under inference mode,
with hooks that exist only during that pass (`mlanim.train.hooks`). It draws no random numbers,
so recording does not change the training run: a recorded run and a plain run end with
identical weights.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from mlanim.data import Dataset
from mlanim.errors import UsageError
from mlanim.trace import Trace, TraceWriter
from mlanim.train.gradients import GradientLog, alive_units, dead_shares, relu_layers
from mlanim.train.hooks import evaluating, hooked
from mlanim.train.losses import make_loss
from mlanim.train.plan import Grid, RecordingPlan
from mlanim.train.run_file import RunFile, claim


class Recorder:
    """Records the channels of ``plan`` from ``model`` into a trace: on ``dataset``'s rows, or
    on rows given later (`use_rows`) when a user's loop supplies them."""

    def __init__(self, model: nn.Module, plan: RecordingPlan, dataset: Dataset | None = None,
                 loss: str = "auto") -> None:
        self.model, self.plan, self.dataset = model, plan, dataset
        self.writer = TraceWriter(meta={"dataset": dataset.describe()} if dataset else {})
        self.gradients = GradientLog(model, plan.gradient_bins) if plan.gradient_bins else None
        self.relus = [name for name, _ in relu_layers(model)] if plan.dead_units else []
        self.losses: list[float] = []  # each step's training loss, for the gradient log
        self.first_bad_output: dict | None = None
        self.embedding = plan.hidden_layers[0] if plan.find_embedding and plan.hidden_layers \
            else None
        self._y: torch.Tensor | None = None
        self._train_rows = 0
        self._grid: Grid | None = None
        self._snapshot_rows: torch.Tensor | None = None  # none until use_rows
        self._row_count = 0
        self.run_file: RunFile | None = None  # set by write_as_it_goes
        self._steps_per_epoch = 0
        self.loss_fn = make_loss(loss, dataset.task) if dataset is not None else None
        if dataset is not None:
            self._x_train = torch.from_numpy(dataset.x_train)
            self._y_train = torch.from_numpy(dataset.y_train)
            x_val, y_val = torch.from_numpy(dataset.x_val), torch.from_numpy(dataset.y_val)
            self.use_rows(torch.cat([self._x_train, x_val]), torch.cat([self._y_train, y_val]),
                          plan.grid, len(self._x_train))
            self._store_statics()

    def use_rows(self, x: torch.Tensor, y: torch.Tensor | None, grid: Grid | None = None,
                 train_rows: int | None = None) -> None:
        """The rows snapshots run (the first ``train_rows`` are training rows; all when not
        given), their targets, and the input plane's grid to run with them."""
        self._y, self._grid = y, grid
        self._train_rows = len(x) if train_rows is None else train_rows
        needs_rows = self.plan.needs_rows
        parts = ([x] if needs_rows else []) + \
            ([torch.from_numpy(grid.points())] if grid is not None else [])
        # One forward pass per snapshot serves every row channel and the grid: fewer, larger
        # operations (each torch call has a fixed cost).
        self._snapshot_rows = torch.cat(parts) if parts else None
        self._row_count = len(x) if needs_rows else 0

    @property
    def grid(self) -> Grid | None:
        """The input plane the model's output is recorded on, if any."""
        return self._grid

    def _store_statics(self) -> None:
        assert self.dataset is not None
        for name in ("x_train", "y_train", "x_val", "y_val") if self.plan.store_data else ():
            self.writer.static(f"data/{name}", getattr(self.dataset, name))
        if self._grid is not None:
            xs, ys = self._grid.axes()
            self.writer.static("grid/x", xs)
            self.writer.static("grid/y", ys)

    def write_as_it_goes(self, steps_per_epoch: int) -> None:
        """Append each snapshot to the run file asked for around this recording (`mlanim
        render --live`; `mlanim.train.run_file`), if one is and no other recording took it.
        ``writer.meta`` should already say what the run is (scene, model, training)."""
        self.run_file = claim(self)
        self._steps_per_epoch = steps_per_epoch

    # -- the Watcher protocol --------------------------------------------------------------

    @torch.inference_mode()
    def snapshot(self, step: int, epoch: float) -> torch.Tensor | None:
        """Record every planned channel of the model's current state; returns the model's
        output on the rows (on the CPU), or None when the plan runs no rows."""
        output = None
        with evaluating(self.model):
            if self._snapshot_rows is not None:
                n = self._row_count
                out, layers, alive = self._pass(self._snapshot_rows, n)
                if n:
                    output = out[:n]
                    self._record_rows(output, layers, step, epoch)
                if self.relus and all(name in alive for name in self.relus):
                    self.writer.add("flow/dead", dead_shares(alive, self.relus), step, epoch)
                if self._grid is not None:  # raw outputs (logits): probabilities come later
                    self.writer.add("grid/output", out[n:].numpy(), step, epoch, "half")
            if self.plan.params:
                for name, param in self.model.named_parameters():
                    self.writer.add(f"params/{name}", _np(param), step, epoch,
                                    "half" if self.plan.params_precision == "half" else "full")
        if self.run_file is not None:
            self._append(step, epoch)
        return output

    def _append(self, step: int, epoch: float) -> None:
        """This snapshot, and the step summaries since the last, to the run file."""
        assert self.run_file is not None
        meta = {**self.writer.meta, "steps": step, "epochs": epoch}
        if self.gradients is not None:
            meta["flow"] = self.gradients.describe([name for name, _ in relu_layers(self.model)],
                                                   self.first_bad_output)
        state = {"meta": meta, "metrics": [], "steps_per_epoch": self._steps_per_epoch}
        self.run_file.append(self.writer.statics(), state, step)

    def before_update(self, step: int, epoch: float, rows: torch.Tensor | None) -> None:
        """Call after ``backward`` and before ``optimizer.step`` with the 0-based step index
        and the batch's row indices: keeps the step's gradient summary, and the focus
        channels if ``step`` is a focus step."""
        if self.gradients is not None:
            self.gradients.keep()
        if step not in self.plan.focus_steps or rows is None:
            return
        for name, param in self.model.named_parameters():
            self.writer.add(f"focus/params_pre/{name}", _np(param), step, epoch)
            if param.grad is not None:
                self.writer.add(f"focus/grads/{name}", _np(param.grad), step, epoch)
        batch = torch.zeros(len(self._x_train), dtype=torch.bool)
        batch[rows] = True
        self.writer.add("focus/batch", _np(batch), step, epoch)
        self._sample_pass(step, epoch)

    def capture_grads(self, step: int, epoch: float) -> None:
        """Record the gradients now in ``param.grad`` (call after backward, before step)."""
        if not self.plan.grads:
            return
        for name, param in self.model.named_parameters():
            if param.grad is not None:
                self.writer.add(f"grads/{name}", _np(param.grad), step, epoch)

    def after_update(self, step: int, epoch: float) -> None:
        """Call after ``optimizer.step``: the post-update weights of a focus step."""
        if step in self.plan.focus_steps:
            for name, param in self.model.named_parameters():
                self.writer.add(f"focus/params_post/{name}", _np(param), step, epoch)

    def keep_loss(self, value: float) -> None:
        """A step's training loss, kept beside its gradient summary (NaN: unknown)."""
        self.losses.append(value)

    def finish(self, **meta: object) -> Trace:
        """The trace, with the gradient log's arrays and ``meta`` added."""
        if self.gradients is not None:
            self.gradients.write(self.writer, self.losses,
                                 [name for name, _ in relu_layers(self.model)],
                                 self.first_bad_output)
        self.writer.meta.update(meta)
        return self.writer.freeze()

    def release(self) -> None:
        """Let go of the kept gradients (a closed recording keeps none)."""
        self.gradients = GradientLog(nn.Module(), 1) if self.gradients is not None else None

    # -- inside a snapshot -----------------------------------------------------------------

    def _pass(self, x: torch.Tensor, n: int
              ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """The model's output on ``x`` (moved to the model's device, copied back), the first
        ``n`` rows of the outputs of the module calls the plan reads (copies: an in-place
        activation rewrites its input after the hook saw it; a module called twice is named
        ``name#2`` the second time), and each followed ReLU's alive units over the training
        rows, reduced inside the hook."""
        outputs: dict[str, torch.Tensor] = {}
        alive: dict[str, torch.Tensor] = {}
        calls: dict[str, int] = {}
        wanted = self._wanted()
        relus, train_rows = set(self.relus), min(self._train_rows, n)

        def keep(name: str):
            def hook(_module: nn.Module, _inputs: tuple, output: object) -> None:
                tensor = first_tensor(output)
                if tensor is None:
                    return
                calls[name] = calls.get(name, 0) + 1
                call = name if calls[name] == 1 else f"{name}#{calls[name]}"
                if name in relus and calls[name] == 1:
                    alive[name] = alive_units(tensor[:train_rows])
                if wanted is None or call in wanted:
                    outputs[call] = cpu_copy(tensor[:n])
            return hook

        modules = [(module, keep(name)) for name, module in self.model.named_modules()
                   if name and (wanted is None or name in relus
                                or any(w.split("#")[0] == name for w in wanted))]
        with hooked(modules):
            result = self.model(x.to(_device(self.model)))
        output = first_tensor(result)
        if output is None:
            raise UsageError(f"the model returned a {type(result).__name__}; mlanim reads a "
                             "tensor, a tuple or list whose first item is one, or an output "
                             "with .logits", hint="wrap the model so that forward returns the "
                                                  "logits tensor")
        return cpu_copy(output).float(), outputs, alive

    def _wanted(self) -> set[str] | None:
        """The module calls whose outputs a snapshot keeps: every one (None) while the
        embedding layer is to be found or activations are recorded, else the hidden
        layers."""
        plan = self.plan
        if plan.activation_samples or (plan.find_embedding and self.embedding is None):
            return None
        return set(plan.hidden_layers if not plan.find_embedding else [self.embedding])

    def _record_rows(self, out: torch.Tensor, layers: dict[str, torch.Tensor], step: int,
                     epoch: float) -> None:
        """Metrics, activations of the planned samples, hidden layers and probabilities,
        from one pass over the rows."""
        plan = self.plan
        self._metrics(out, step, epoch)
        samples = list(plan.activation_samples)
        for name, value in layers.items():
            if samples:
                self.writer.add(f"activations/{name}", _np(value[samples]), step, epoch)
        followed = torch.tensor(plan.rows) if plan.rows else slice(None)
        for name in self._hidden_layers(layers):
            self.writer.add(f"hidden/{name}", _np(layers[name][followed].flatten(1).float()),
                            step, epoch, "half")
        if plan.probabilities is True or (plan.probabilities == "auto"
                                          and is_classifier(out, self._y)):
            self.writer.add("outputs/probabilities",
                            _np(torch.softmax(out[followed].flatten(1), dim=1)), step, epoch,
                            "half")

    def _hidden_layers(self, layers: dict[str, torch.Tensor]) -> list[str]:
        """The layers kept whole: the plan's, or the embedding layer (``find_embedding``:
        the one given, else the module whose output the last linear layer reads, found on
        the first snapshot)."""
        if not self.plan.find_embedding:
            return [name for name in layers if name in self.plan.hidden_layers]
        if self.embedding is None:
            self.embedding = layer_before_last_linear(self.model, layers)
        if self.embedding is not None and self.embedding not in layers:
            names = ", ".join(list(layers)[:12])
            raise UsageError(f"embed={self.embedding!r} is not a module the forward pass "
                             f"calls", hint=f"pass one of: {names}")
        return [self.embedding] if self.embedding is not None else []

    def _metrics(self, out_all: torch.Tensor, step: int, epoch: float) -> None:
        """Loss and accuracy of each split, from the model's output on train + val rows."""
        if not self.plan.metrics or self.loss_fn is None or self.dataset is None:
            return
        n_train = self._train_rows
        y = self._y
        assert y is not None
        for split, out, targets in (("train", out_all[:n_train], y[:n_train]),
                                    ("val", out_all[n_train:], y[n_train:])):
            if len(targets) == 0:
                continue
            self.writer.add(f"metrics/{split}_loss", self.loss_fn(out, targets).item(), step,
                            epoch)
            if self.dataset.task == "classification":
                accuracy = (out.argmax(dim=1) == targets).float().mean().item()
                self.writer.add(f"metrics/{split}_acc", accuracy, step, epoch)

    def _sample_pass(self, step: int, epoch: float) -> None:
        """The focus sample's forward and backward pass through a copy of the model (eval
        mode, so no dropout and no random numbers; the model's own gradients stay as they
        are): every layer's output, and dL/d(output) for this sample's loss."""
        assert self.loss_fn is not None
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


PASS_THROUGH = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity)
"""Modules that hand their input on unchanged when the model is evaluated: never the layer a
picture names."""


def layer_before_last_linear(model: nn.Module, outputs: dict[str, torch.Tensor]) -> str | None:
    """The module called just before the model's last linear layer whose output has that
    layer's input width: the representation the classifier reads."""
    linears = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    order = list(outputs)
    called = [name for name in order if name in linears]
    if not called:
        return None
    last = called[-1]
    modules = dict(model.named_modules())
    width = modules[last].in_features
    for name in reversed(order[: order.index(last)]):
        tensor = outputs[name]
        if isinstance(modules.get(name), PASS_THROUGH):
            continue  # a dropout passes its input on: the layer is the one that made it
        if tensor.dim() >= 2 and tensor[0].numel() == width and not last.startswith(f"{name}."):
            return name
    return None


def first_tensor(output: object) -> torch.Tensor | None:
    """A module's output as one tensor: itself, the first of a tuple or list, or
    ``.logits`` / the first tensor value of a mapping (Hugging Face outputs)."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, tuple | list) and output:
        return first_tensor(output[0])
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(output, Mapping):
        return next((v for v in output.values() if isinstance(v, torch.Tensor)), None)
    return None


def is_classifier(output: torch.Tensor, labels: torch.Tensor | None) -> bool:
    """Class scores for integer labels: (rows, classes >= 2) and labels of the same rows."""
    return (labels is not None and output.dim() == 2 and output.shape[1] >= 2
            and not labels.is_floating_point() and labels.dim() == 1
            and len(labels) == len(output))


def cpu_copy(tensor: torch.Tensor) -> torch.Tensor:
    """A detached CPU copy (never a view of live memory)."""
    return tensor.detach().to("cpu", copy=True)


def _device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _np(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as numpy, from any device (a CUDA model's too)."""
    return tensor.detach().cpu().numpy()
