"""Record a PyTorch Lightning run: ``Trainer(callbacks=[MlanimCallback("runs/mine.mlanim")])``.

Needs the ``lightning`` extra (``pip install 'mlanim[lightning]'``); importing this module is
what imports Lightning, so ``import mlanim`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlanim.extras import require

require("pytorch_lightning", "lightning", "mlanim.lightning")

import pytorch_lightning as pl  # noqa: E402

from mlanim.api import Run  # noqa: E402
from mlanim.recording import Watch, metric_name, watch  # noqa: E402


class MlanimCallback(pl.Callback):
    """Records the run with `mlanim.watch` and saves it to ``path`` when fitting ends (then
    ``callback.run.render("loss_curves")``). Each training batch's loss is read from what
    ``training_step`` returns, its inputs from ``batch[0]`` and ``batch[1]``; metrics logged
    under names starting with ``val_`` become each epoch's held-out values. ``options`` go to
    `mlanim.watch` (``embed=``, ``weights=``, ...)."""

    def __init__(self, path: str | Path, every: int = 50, **options: Any) -> None:
        super().__init__()
        self.path, self.every, self.options = Path(path), every, options
        self.recorder: Watch | None = None
        self.run: Run | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start recording the module, with the trainer's first optimizer."""
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        self.recorder = watch(pl_module, self.every, optimizer=optimizer, path=self.path,
                              **self.options)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           outputs: Any, batch: Any, batch_idx: int) -> None:
        """One optimizer step: the returned loss and the batch."""
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        x, y = (batch[0], batch[1]) if isinstance(batch, list | tuple) and len(batch) >= 2 \
            else (batch, None)
        if self.recorder is not None:
            self.recorder.step(loss, x=x, y=y)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """The epoch's held-out metrics (logged as ``val_*``, ``val/*``, ``valid_*``, ...:
        any name that `metric_name` reads as ``val_...``)."""
        if self.recorder is None:
            return
        held_out = {name: float(value) for name, value in trainer.callback_metrics.items()
                    if metric_name(name).startswith("val_")
                    and getattr(value, "numel", lambda: 1)() == 1}
        self.recorder.epoch(**held_out)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Save the recording."""
        if self.recorder is not None and self.recorder.steps:
            self.run = self.recorder.save(self.path)
