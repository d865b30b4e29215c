"""Recording your own training loop: ``rec = mlanim.watch(model)``, then ``rec.step(loss, x=x,
y=y)`` after each ``optimizer.step()``.

Every step keeps the loss and each weight layer's gradient norm and |gradient| histogram (a few
numbers a layer: memory stays bounded however long the run). Every ``every`` steps, and at each
``rec.epoch()``, a snapshot runs the probe rows (the first rows the loop saw, or ``probe=``)
through the model in eval mode with forward hooks on every module, which exist only during that
pass: the class probabilities, the embedding layer's output, dead ReLU units, the output over
the input plane when inputs are 2-D, and the weights when ``weights=True``. Tensors are detached
and copied to the CPU; the model's own state (training mode, gradients, random numbers) is left
as it was. ``rec.save(path)`` writes the trace the scene kinds draw, the same layout the
built-in recordings have.

`Watch` is an adapter: it turns the loop's calls into the `Watcher` calls the built-in loop
makes on the one `mlanim.train.recorder.Recorder`, and keeps what only a user's loop needs
(probe rows gathered from the batches, losses reported step by step, epochs said at the end).
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from mlanim.errors import OutputError, UsageError
from mlanim.trace import TraceWriter
from mlanim.trace.format import assemble
from mlanim.trace.journal import is_journal
from mlanim.train.gradients import relu_layers
from mlanim.train.plan import Grid, RecordingPlan
from mlanim.train.recorder import Recorder, cpu_copy, is_classifier
from mlanim.train.run import describe_model, versions
from mlanim.train.run_file import RunFile

if TYPE_CHECKING:
    from mlanim.api import Run
    from mlanim.live import LiveServer

GRID_RESOLUTION = 80
"""Points a side of the input plane on which a 2-D model's output is recorded."""


def watch(model: nn.Module, every: int = 50, *, optimizer: torch.optim.Optimizer | None = None,
          probe: tuple[Any, Any] | None = None, probe_rows: int = 256, embed: str | None = None,
          weights: bool = False, grads: bool = False, classes: list[str] | None = None,
          data_name: str = "your data", steps_per_epoch: int | None = None,
          bins: int = 40, path: str | Path | None = None,
          live: bool | Sequence[str] = False) -> Watch:
    """Start recording ``model`` in your own training loop; returns a `Watch`.

    Parameters
    ----------
    model
        Any ``nn.Module``, on any device, named layers or not.
    every
        Optimizer steps between snapshots (each ``rec.epoch()`` takes one too).
    optimizer
        Your optimizer: its name and learning rate are recorded, so labels say them.
    probe
        ``(x, y)`` rows every snapshot runs through the model (default: the first
        ``probe_rows`` rows passed to ``rec.step``).
    embed
        The module whose output ``embedding_evolution`` shows (default: the input of the last
        linear layer).
    weights
        Keep every snapshot's weights.
    grads
        Keep every snapshot's raw gradients too (by default only their per-step norms and
        histograms are kept, so memory stays bounded however long the run).
    classes
        Class names, for legends.
    data_name
        What the data is called in titles.
    steps_per_epoch
        Optimizer steps an epoch (``len(loader)``), when you do not call ``rec.epoch()``;
        without either, pictures count steps, not epochs.
    bins
        Bins of the gradient histograms.
    path
        The ``.mlanim`` file the run is written to as it goes (each snapshot appended as it is
        taken; ``rec.save()`` finishes it): a run that crashes is readable up to its last
        snapshot. Default: a new file in the cache folder's ``runs/``, named on stderr.
    live
        Serve the run's page while it trains (True: every kind it can draw; or a list of
        kinds, ``["gradient_flow", "embedding_evolution"]``): its address, on this machine
        only, is printed at the first snapshot (in a notebook, the page shows in the cell).
    """
    return Watch(model, every, optimizer=optimizer, probe=probe, probe_rows=probe_rows,
                 embed=embed, weights=weights, grads=grads, classes=classes,
                 data_name=data_name, steps_per_epoch=steps_per_epoch, bins=bins, path=path,
                 live=live)


class Watch:
    """Records a training run driven by your own loop; made by `mlanim.watch`.

    Call `step` after every optimizer step, `epoch` at the end of each epoch (optional), and
    `save` at the end; `close` (or a ``with`` block) ends the recording. See `mlanim.watch`.
    """

    def __init__(self, model: nn.Module, every: int = 50, *,
                 optimizer: torch.optim.Optimizer | None = None,
                 probe: tuple[Any, Any] | None = None, probe_rows: int = 256,
                 embed: str | None = None, weights: bool = False, grads: bool = False,
                 classes: list[str] | None = None, data_name: str = "your data",
                 steps_per_epoch: int | None = None, bins: int = 40,
                 path: str | Path | None = None, live: bool | Sequence[str] = False) -> None:
        _check_model(model)
        kinds = live_kinds(live)
        _check_count("every", every)
        _check_count("probe_rows", probe_rows)
        _check_count("bins", bins)
        if steps_per_epoch is not None:
            _check_count("steps_per_epoch", steps_per_epoch)
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise UsageError(f"optimizer is a {type(optimizer).__name__}, not a "
                             "torch.optim.Optimizer", hint="pass the optimizer your loop steps")
        self.model, self.every, self.optimizer = model, every, _unwrapped(optimizer)
        self.data_name = data_name
        self.classes = list(classes) if classes is not None else None
        self.recorder = Recorder(model, RecordingPlan(
            metrics=False, params=weights, grads=grads, probabilities="auto",
            hidden_layers=(embed,) if embed else (), find_embedding=True,
            gradient_bins=bins, dead_units=True, store_data=False))
        self.steps = 0
        self.rows_seen = 0
        self.rows_first_epoch: int | None = None
        self.steps_per_epoch = steps_per_epoch
        self.snapshot_steps: list[int] = []
        self.epoch_steps: list[int] = []
        self.points: list[dict[str, float]] = []  # metrics at each snapshot, written at save
        self.epoch_points: list[dict[str, float]] = []
        self.window: list[float] = []  # losses since the last snapshot
        self.epoch_window: list[float] = []
        self.diverged_at: int | None = None
        self.rates: tuple[float, float] | None = None  # the first and the latest lr
        self.closed = False
        self._probe_limit = probe_rows
        self._probe_x: torch.Tensor | None = None
        self._probe_y: torch.Tensor | None = None
        self._frozen: Any = None  # the trace, once `save` has made it
        self.path = _run_path(path)
        self._named = path is not None
        self._run_file = RunFile(self.path, self.recorder)  # written from the first snapshot
        self._live_kinds = kinds
        self.live: LiveServer | None = None  # the page's server, from the first snapshot
        if probe is not None:
            x, y = probe
            self._use_probe(_rows("probe x", x), _labels("probe y", y))
            self.snapshot()

    @property
    def writer(self) -> TraceWriter:
        """Where the recording is kept until `save`."""
        return self.recorder.writer

    # -- the loop's calls ------------------------------------------------------------------

    def step(self, loss: torch.Tensor | float | None, x: Any = None, y: Any = None) -> None:
        """Record one optimizer step: call it after ``optimizer.step()`` with the batch's loss
        (and its inputs ``x`` and targets ``y``, which the first snapshots use as probe rows).
        ``loss`` may be None when the loop reports it elsewhere (`report_loss`)."""
        self._check_open()
        value = math.nan if loss is None else _loss_value(loss)
        if self.steps == 0:
            self._check_gradients()
        self.recorder.before_update(self.steps, float(self.steps), None)
        self.steps += 1
        self.recorder.keep_loss(value)
        if math.isfinite(value):
            self.report_loss(value)
        elif loss is not None and self.diverged_at is None:
            self.diverged_at = self.steps
        if self.optimizer is not None:
            rate = float(self.optimizer.param_groups[0]["lr"])
            self.rates = (self.rates[0] if self.rates else rate, rate)
        self._take_probe(x, y)
        if self._probe_x is None:
            return
        probe_full = len(self._probe_x) >= self._probe_limit
        if (self.last_snapshot < 0 and probe_full) or self.steps % self.every == 0:
            self.snapshot()

    def report_loss(self, value: float) -> None:
        """Count a training loss towards the next metric point (`step` does this with the
        loss it is given; a loop that logs its loss every few steps calls this instead)."""
        self.window.append(value)
        self.epoch_window.append(value)

    def epoch(self, **metrics: float) -> None:
        """Mark the end of an epoch, with any metrics you computed (``val_loss=0.3,
        val_acc=0.9``): loss curves then have one point an epoch."""
        self._check_open()
        values = {metric_name(name): _metric(name, value) for name, value in metrics.items()}
        if self.epoch_points and set(values) != set(self.epoch_points[-1]) - {"train_loss",
                                                                               "train_acc"}:
            raise UsageError(f"rec.epoch() got {sorted(values) or 'no metrics'} at epoch "
                             f"{len(self.epoch_steps) + 1}, but "
                             f"{sorted(set(self.epoch_points[-1]) - {'train_loss', 'train_acc'})}"
                             " before", hint="pass the same metrics every epoch")
        self.epoch_steps.append(self.steps)
        if self.rows_first_epoch is None:
            self.rows_first_epoch = self.rows_seen
            self.steps_per_epoch = self.steps_per_epoch or self.steps or None
        if self._probe_x is not None and self.last_snapshot != self.steps:
            self.snapshot()
        point = {"train_loss": _mean(self.epoch_window), **values}
        if self.points and self.last_snapshot == self.steps and "train_acc" in self.points[-1]:
            point["train_acc"] = self.points[-1]["train_acc"]
        self.epoch_points.append(point)
        self.epoch_window = []
        self._append()

    def snapshot(self) -> None:
        """Record the model's state now (`step` and `epoch` call this at their cadence)."""
        self._check_open()
        if self._probe_x is None:
            raise UsageError("rec.snapshot() has no rows to run through the model",
                             hint="pass x= to rec.step(), or probe=(x, y) to mlanim.watch")
        self.recorder.capture_grads(*self._when())
        output = self.recorder.snapshot(*self._when())
        point: dict[str, float] = {"train_loss": _mean(self.window)}
        self.window = []
        labels = self._probe_y
        if output is not None and is_classifier(output, labels):
            point["train_acc"] = float((output.argmax(dim=1) == labels).float().mean())
        self.points.append(point)
        self.snapshot_steps.append(self.steps)
        self._append()

    def save(self, path: str | Path | None = None) -> Run:
        """Finish the recording and end it; returns a `Run` to render. It is written to
        ``path`` (a ``.mlanim`` file; folders are made), or without one to the ``path`` given
        to `mlanim.watch`, where the run was written as it went."""
        from mlanim.api import Run

        self._check_open()
        if not self.steps:
            raise UsageError("nothing to save: rec.step() was never called",
                             hint="call rec.step(loss, x=x, y=y) after each optimizer step")
        if path is None and not self._named:
            raise UsageError("rec.save() needs a path: this run was written as it went to "
                             f"{self.path}", hint="pass rec.save(\"runs/mine.mlanim\"), or "
                                                 "mlanim.watch(model, path=...)")
        if self._frozen is None:
            if self.last_snapshot != self.steps and self._probe_x is not None:
                self.snapshot()
            self._frozen = self._trace()
        target = Path(path).expanduser() if path is not None else self.path
        if target.exists() and not _is_run(target):
            raise UsageError(f"rec.save({str(target)!r}): that file exists and is not an mlanim "
                             "run; it is left as it is",
                             hint="save to a new path; the recording is kept until then")
        for place in dict.fromkeys([target, self.path] if self._named else [target]):
            _write_trace(self._frozen, place)  # a failure leaves the recorder open
        if self.live is not None:
            self.live.moved(target)  # its pages read the saved run
        if not self._named:
            self.path.unlink(missing_ok=True)  # the run is kept where it was saved
        self.close()
        return Run(target)

    def close(self) -> None:
        """End the recording: no hook stays on the model (they exist only during snapshots),
        the kept gradients are let go, and the run's file keeps what was recorded (readable
        as a run that did not finish, unless `save` finished it)."""
        self.closed = True
        self.recorder.release()
        self._run_file.close()
        if self.live is not None:
            from mlanim.live import SETTLE_SECONDS

            self.live.end()
            self.live.settle(SETTLE_SECONDS)  # a script ending now leaves its pages whole

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def last_snapshot(self) -> int:
        """The step of the latest snapshot (-1 before the first)."""
        return self.snapshot_steps[-1] if self.snapshot_steps else -1

    def _when(self) -> tuple[int, float]:
        """This moment's step; its epoch is set at `save`, once epochs are known."""
        return self.steps, float(self.steps)

    def _epoch_of(self, step: int) -> float:
        """The (fractional) epoch after ``step`` optimizer steps; the step itself when the
        run never said how long an epoch is (the trace's ``unit`` is then ``step``)."""
        return step / self.steps_per_epoch if self.steps_per_epoch else float(step)

    # -- bookkeeping ----------------------------------------------------------------------

    def _take_probe(self, x: Any, y: Any) -> None:
        """Count the batch's rows; until the first snapshot, add them to the probe rows (at
        most ``probe_rows``; the first snapshot is taken once there are that many)."""
        if not isinstance(x, torch.Tensor):
            return
        self.rows_seen += len(x)
        if self.last_snapshot >= 0 or (self._probe_x is not None and
                                       len(self._probe_x) >= self._probe_limit):
            return
        room = self._probe_limit - (len(self._probe_x) if self._probe_x is not None else 0)
        rows = _rows("x", x)[:room]
        labels = _labels("y", y)[: len(rows)] if isinstance(y, torch.Tensor) else None
        if self._probe_x is not None:
            rows = torch.cat([self._probe_x, rows])
            labels = torch.cat([self._probe_y, labels]) if labels is not None and \
                self._probe_y is not None else None
        self._use_probe(rows, labels)

    def _use_probe(self, rows: torch.Tensor, labels: torch.Tensor | None) -> None:
        """The rows snapshots run, with the input plane around them when they have two
        features."""
        self._probe_x, self._probe_y = rows, labels
        self.recorder.use_rows(rows, labels, _input_plane(rows))

    def _check_gradients(self) -> None:
        """A `UsageError` when the first step finds no gradient in a weight layer."""
        weights = self.recorder.gradients.weights if self.recorder.gradients else []
        if weights and all(w.grad is None for w in weights):
            raise UsageError("rec.step() found no gradients in the model",
                             hint="call it after loss.backward() and optimizer.step(), "
                                  "before the next optimizer.zero_grad()")

    def _check_open(self) -> None:
        if self.closed:
            raise UsageError("this recorder is closed", hint="start a new one with mlanim.watch")

    def _append(self) -> None:
        """Append what was recorded since the last record to the run's file."""
        if not self._run_file.started and not self._named:
            print(f"mlanim: recording to {self.path} (written as it goes)", file=sys.stderr)
        self._run_file.append(self._statics(), self._state(), self.steps)
        if self._live_kinds is not None:
            if self.live is None:
                from mlanim.live import serve

                self.live = serve(self.path, self._live_kinds or None)
                _show_in_notebook(self.live.address)
            self.live.changed(self.steps)

    def _trace(self):
        """The recorded trace: snapshots, per-step gradient summaries, metrics, metadata;
        made as a run read from its file is (`mlanim.trace.format.assemble`)."""
        statics = self._statics()
        if self.recorder.gradients is not None:
            statics.update(self.recorder.gradients.rows_since(0, self.recorder.losses))
        return assemble(self.writer.rows_since({}), statics, self._state())

    def _state(self) -> dict[str, Any]:
        """The metadata, metric points and epoch length as of now."""
        points = self.epoch_points or self.points
        steps = self.epoch_steps if self.epoch_points else self.snapshot_steps
        # inside rec.epoch() the epoch's step is counted before its point is made
        metrics = [[name, value, step] for step, point in zip(steps, points, strict=False)
                   for name, value in point.items() if not math.isnan(value)]
        meta = dict(self.writer.meta)
        if self.recorder.gradients is not None:
            meta["flow"] = self.recorder.gradients.describe(
                [name for name, _ in relu_layers(self.model)], self.recorder.first_bad_output)
        return {"meta": {**meta, **self._meta()}, "metrics": metrics,
                "steps_per_epoch": self.steps_per_epoch}

    def _statics(self) -> dict[str, np.ndarray]:
        """The arrays that do not change over the run: the probe rows' labels and, for 2-D
        inputs, the rows and the plane their outputs are recorded on."""
        statics: dict[str, np.ndarray] = {}
        if self._probe_y is not None:
            labels = self._probe_y.numpy()
            statics["samples/labels"] = labels.astype(np.int16 if labels.dtype.kind in "iu"
                                                      else np.float32)
            statics["samples/held_out"] = np.zeros(len(labels), bool)
        grid = self.recorder.grid
        if grid is not None and self._probe_x is not None:
            xs, ys = grid.axes()
            statics.update({
                "grid/x": xs, "grid/y": ys, "data/x_train": self._probe_x.numpy(),
                "data/y_train": self._probe_y.numpy() if self._probe_y is not None
                else np.zeros(len(self._probe_x)),
                "data/x_val": np.zeros((0, 2), np.float32),
                "data/y_val": np.zeros(0, np.int64)})
        return statics

    def _meta(self) -> dict[str, Any]:
        """What labels need: model, optimizer, data, and how long the run was."""
        model = describe_model(self.model)
        outputs = self.writer.snapshots("outputs/probabilities")
        n_classes = outputs[0].shape[-1] if outputs else 0
        classes = self.classes or [str(k) for k in range(n_classes)]
        x = self._probe_x
        features = int(np.prod(x.shape[1:])) if x is not None else 0
        per_epoch = self.steps_per_epoch
        embed = self.recorder.embedding
        meta: dict[str, Any] = {
            "source": "watch",
            "model": model,
            "train": {"optimizer": self._optimizer()} if self.optimizer is not None else {},
            "dataset": {"name": self.data_name,
                        "task": "classification" if n_classes else "regression",
                        "n_train": self.rows_first_epoch or self.rows_seen, "n_val": 0,
                        "class_names": classes,
                        "feature_names": [f"x{k + 1}" for k in range(features)],
                        "input_shape": list(x.shape[1:]) if x is not None else []},
            "steps": self.steps,
            "epochs": self._epoch_of(self.steps),
            "unit": "epoch" if per_epoch else "step",
            "steps_per_epoch": per_epoch,
            "diverged_at_epoch": self._epoch_of(self.diverged_at) if self.diverged_at else None,
            "probe_rows": len(x) if x is not None else 0,
            "versions": versions(),
        }
        if embed is not None or n_classes:
            meta["embed"] = {"layer": embed or "output", "network": model["summary"],
                             "channel": f"hidden/{embed}" if embed else "outputs/probabilities",
                             "points": meta["probe_rows"]}
        return meta

    def _optimizer(self) -> dict[str, Any]:
        """The optimizer's name and its (first, and last if scheduled) learning rate."""
        assert self.optimizer is not None
        rate = float(self.optimizer.param_groups[0]["lr"])
        rates = self.rates or (rate, rate)
        found = {"name": type(self.optimizer).__name__.lower(), "lr": rates[0]}
        if rates[-1] != rates[0]:
            found["lr_final"] = rates[-1]
        return found


def live_kinds(live: object) -> list[str] | None:
    """None when not live; the kinds asked for (empty: every kind the run can draw)."""
    from mlanim.api import drawable_kinds

    if live is False or live is None:
        return None
    if live is True:
        return []
    if isinstance(live, str) or not isinstance(live, Sequence) or \
            not all(isinstance(kind, str) for kind in live):
        raise UsageError(f"live={live!r} is neither True nor a list of kinds",
                         hint='pass live=True, or live=["gradient_flow", "loss_curves"]')
    unknown = [kind for kind in live if kind not in drawable_kinds()]
    if unknown:
        raise UsageError(f"live: {', '.join(map(repr, unknown))} cannot draw a run of yours",
                         hint=f"one of: {', '.join(drawable_kinds())}")
    return list(live)


def _show_in_notebook(address: str) -> None:
    """In a notebook, the live page in the cell's output."""
    shell = sys.modules.get("IPython")
    if shell is None or getattr(shell, "get_ipython", lambda: None)() is None:
        return
    from IPython.display import IFrame, display

    display(IFrame(address, width="100%", height=800))


def _run_path(path: str | Path | None) -> Path:
    """Where a recording is written as it goes: ``path`` (a user's file is replaced only
    when it is an mlanim run), else a new file in the cache folder's ``runs/``."""
    if path is None:
        from mlanim.trace.cache import cache_dir

        stamp = time.strftime("%Y%m%d-%H%M%S")
        return cache_dir() / "runs" / f"watch-{stamp}-{os.getpid()}-{next(_RUNS)}.mlanim"
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"mlanim.watch(path={str(path)!r}) is a folder",
                         hint="name a file, e.g. runs/mine.mlanim")
    if target.exists() and not _is_run(target):
        raise UsageError(f"mlanim.watch(path={str(path)!r}): {target} exists and is not an "
                         "mlanim run; it is left as it is", hint="name a new file")
    return target


_RUNS = itertools.count(1)


def _is_run(path: Path) -> bool:
    """Whether ``path`` holds an mlanim run, finished or not (what a new run may replace)."""
    if is_journal(path):
        return True
    try:
        with zipfile.ZipFile(path) as box:
            return "meta.json" in box.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _write_trace(trace: Any, target: Path) -> None:
    """Write ``trace`` to ``target``, making its folder; an `OutputError` when it cannot."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot make the folder {target.parent}: {error.strerror}",
                          hint="save to another path; the recording is kept until then") \
            from None
    trace.save(target)


def _input_plane(rows: torch.Tensor) -> Grid | None:
    """The plane around the finite rows of two features (15% margin), where the output is
    recorded; None when no row is finite."""
    if rows.dim() != 2 or rows.shape[1] != 2 or not rows.is_floating_point():
        return None
    rows = rows[torch.isfinite(rows).all(dim=1)]  # a NaN or inf row has no place on it
    if len(rows) == 0:
        return None
    low, high = rows.min(dim=0).values, rows.max(dim=0).values
    pad = (high - low) * 0.15 + 1e-3
    return Grid((float(low[0] - pad[0]), float(high[0] + pad[0])),
                (float(low[1] - pad[1]), float(high[1] + pad[1])), GRID_RESOLUTION)


def _check_model(model: object) -> None:
    """A `UsageError` unless ``model`` is an ``nn.Module`` whose weights hold values."""
    if not isinstance(model, nn.Module):
        raise UsageError(f"mlanim.watch(model): model is a {type(model).__name__}, not a "
                         "torch.nn.Module", hint="pass the network your loop trains")
    if any(p.is_meta for p in model.parameters()):
        raise UsageError("mlanim.watch(model): the model's weights are on the meta device and "
                         "hold no values", hint="materialise them first, e.g. "
                         "model.to_empty(device='cpu') and load a state dict")


def _unwrapped(optimizer: torch.optim.Optimizer | None) -> torch.optim.Optimizer | None:
    """The torch optimizer inside a trainer's wrapper (accelerate's, Lightning's)."""
    for _ in range(4):
        inner = getattr(optimizer, "optimizer", None) or getattr(optimizer, "_optimizer", None)
        if not isinstance(inner, torch.optim.Optimizer):
            break
        optimizer = inner
    return optimizer


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{name}={value!r} is not a positive whole number",
                         hint=f"pass e.g. {name}=50" if name == "every" else None)


def _loss_value(loss: object) -> float:
    """The loss as a float: a one-element tensor or a number."""
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise UsageError(f"rec.step(loss): loss has {loss.numel()} values, not one",
                             hint="pass the scalar your loop calls .backward() on")
        return float(loss.detach().float().cpu())
    if isinstance(loss, int | float) and not isinstance(loss, bool):
        return float(loss)
    raise UsageError(f"rec.step(loss): loss is a {type(loss).__name__}",
                     hint="pass the loss tensor (or a number)")


def _metric(name: str, value: object) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().cpu())
    if isinstance(value, int | float | np.floating) and not isinstance(value, bool):
        return float(value)
    raise UsageError(f"rec.epoch({name}=...) is a {type(value).__name__}, not a number",
                     hint=f"pass {name}=float(...)")


def _rows(name: str, x: object) -> torch.Tensor:
    """Rows of inputs, detached, on the CPU, as float32 (integers kept as they are: tokens)."""
    if not isinstance(x, torch.Tensor) or x.dim() == 0:
        raise UsageError(f"{name} is a {type(x).__name__}, not a batch tensor",
                         hint="pass the tensor your model is called with")
    x = cpu_copy(x)
    return x if not x.is_floating_point() else x.float()


def _labels(name: str, y: object) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise UsageError(f"{name} is a {type(y).__name__}, not a tensor of targets",
                         hint="pass the targets your loss compares with")
    return cpu_copy(y)


METRIC_WORDS = {"accuracy": "acc", "validation": "val", "valid": "val", "eval": "val",
                "test": "val", "training": "train"}
"""Words of the metric names users log (``val_accuracy``, ``val/acc``, ``eval_accuracy``,
``validation-loss``) and the names pictures read (``val_acc``, ``val_loss``)."""


def metric_name(name: str) -> str:
    """A logged metric's name as pictures read it: ``val/accuracy`` is ``val_acc``."""
    words = re.split(r"[/_\-. ]+", name.strip().lower())
    return "_".join(METRIC_WORDS.get(word, word) for word in words if word)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
