"""Record a Hugging Face ``Trainer`` run: ``Trainer(..., callbacks=[MlanimTrainerCallback(
"runs/mine.mlanim")])``.

Needs the ``huggingface`` extra (``pip install 'mlanim[huggingface]'``); importing this module
is what imports transformers, so ``import mlanim`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlanim.extras import require

require("transformers", "huggingface", "mlanim.huggingface")

from transformers import TrainerCallback  # noqa: E402

from mlanim.api import Run  # noqa: E402
from mlanim.recording import Watch, watch  # noqa: E402

HELD_OUT = {"eval_loss": "val_loss", "eval_accuracy": "val_acc"}


class MlanimTrainerCallback(TrainerCallback):
    """Records the run with `mlanim.watch` and saves it to ``path`` when training ends (then
    ``callback.run.render("gradient_flow")``).

    The Trainer does not hand callbacks its batches or per-step losses: gradients are kept
    after every optimizer step, the loss as the Trainer logs it (``logging_steps``), and
    ``probe=(x, y)`` gives the rows snapshots run through the model (default: none, so
    scenes of the model's outputs need it). ``eval_loss``/``eval_accuracy`` become each
    epoch's held-out values. ``options`` go to `mlanim.watch`.
    """

    def __init__(self, path: str | Path, every: int = 50, **options: Any) -> None:
        self.path, self.every, self.options = Path(path), every, options
        self.recorder: Watch | None = None
        self.run: Run | None = None
        self.held_out: dict[str, float] = {}
        self.epoch_waits = False  # an epoch ended and its evaluation is still to come

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       optimizer: Any = None, **kwargs: Any) -> None:
        """Start recording the model, with the Trainer's optimizer."""
        self.recorder = watch(model, self.every, optimizer=optimizer, path=self.path,
                              **self.options)

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """The gradients are still in ``.grad``: keep them."""
        if self.recorder is not None:
            self.recorder.step(None)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None,
               **kwargs: Any) -> None:
        """The logged training loss (a mean over ``logging_steps``)."""
        if self.recorder is not None and logs and "loss" in logs:
            self.recorder.report_loss(float(logs["loss"]))

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict | None = None,
                    **kwargs: Any) -> None:
        """The evaluation that follows an epoch's end gives that epoch's held-out values."""
        held_out = {HELD_OUT[k]: float(v) for k, v in (metrics or {}).items() if k in HELD_OUT}
        if self.recorder is not None and self.epoch_waits:
            self.recorder.epoch(**held_out)
            self.epoch_waits = False

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """One metric point an epoch (after its evaluation, when the Trainer runs one)."""
        strategy = getattr(args.eval_strategy, "value", args.eval_strategy)
        if strategy == "epoch":
            self.epoch_waits = True
        elif self.recorder is not None:
            self.recorder.epoch()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Save the recording."""
        if self.recorder is not None and self.recorder.steps:
            self.run = self.recorder.save(self.path)
