"""The Lightning and Hugging Face callbacks record real runs of those trainers, which then
render; the dev extras install both libraries, so these tests always run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlanim.trace import load_trace

pytestmark = pytest.mark.slow  # trains with Lightning and Hugging Face


def blobs(rows: int = 96) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (rows,), generator=generator)
    x = torch.randn(rows, 4, generator=generator) * 0.5 + nn.functional.one_hot(y, 4).float()
    return x, y


def test_lightning_callback_records_and_renders(tmp_path: Path) -> None:
    import pytorch_lightning as pl

    from mlanim.lightning import MlanimCallback

    class Classifier(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return nn.functional.cross_entropy(self(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", nn.functional.cross_entropy(self(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.2)

    x, y = blobs()
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=32)
    callback = MlanimCallback(tmp_path / "lightning.mlanim", every=4, probe_rows=64)
    trainer = pl.Trainer(max_epochs=3, callbacks=[callback], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(Classifier(), train, val)
    trace = load_trace(callback.run.path)
    assert trace.static("flow/norms").shape == (12, 2)  # 3 epochs x 4 steps, 2 linear layers
    assert trace.channel("metrics/val_loss").epochs.tolist() == [1.0, 2.0, 3.0]
    assert trace.meta["train"]["optimizer"] == {"name": "sgd", "lr": 0.2}
    written = callback.run.render("loss_curves", formats=["png"], quality="low", duration=1)
    assert written[0].suffix == ".png" and written[0].stat().st_size > 0


def test_huggingface_callback_records_and_renders(tmp_path: Path) -> None:
    from transformers import Trainer, TrainingArguments

    from mlanim.huggingface import MlanimTrainerCallback

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

        def forward(self, inputs, labels=None):
            logits = self.net(inputs)
            loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
            return {"loss": loss, "logits": logits}

    x, y = blobs()
    rows = [{"inputs": x[i], "labels": y[i]} for i in range(64)]
    held = [{"inputs": x[i], "labels": y[i]} for i in range(64, 96)]
    callback = MlanimTrainerCallback(tmp_path / "hf.mlanim", every=4, probe=(x[:32], y[:32]))
    args = TrainingArguments(output_dir=str(tmp_path / "hf"), num_train_epochs=2,
                             per_device_train_batch_size=16, learning_rate=0.05,
                             logging_steps=1, eval_strategy="epoch", save_strategy="no",
                             report_to=[], use_cpu=True, disable_tqdm=True, seed=0)
    Trainer(model=Classifier(), args=args, train_dataset=rows, eval_dataset=held,
            callbacks=[callback]).train()
    trace = load_trace(callback.run.path)
    assert trace.static("flow/norms").shape == (8, 2)  # 2 epochs x 4 steps
    assert np.isfinite(trace.static("flow/norms")).all()
    assert trace.channel("metrics/val_loss").epochs.tolist() == [1.0, 2.0]
    assert trace.meta["train"]["optimizer"]["name"] == "adamw"
    written = callback.run.render("gradient_flow", formats=["png"], quality="low", duration=1)
    assert written[0].stat().st_size > 0


@pytest.mark.slow
def test_a_tiny_bert_through_the_trainer_gets_no_false_diagnosis(tmp_path: Path) -> None:
    from transformers import Trainer, TrainingArguments

    from mlanim.huggingface import MlanimTrainerCallback
    from mlanim.progress import SilentProgress
    from mlanim.scenes.base import data_line
    from mlanim.scenes.gradient_flow.spec import FlowSettings
    from mlanim.scenes.gradient_flow.story import FlowRun
    from tests.strangers.models import tiny_bert, tokens

    torch.manual_seed(0)
    x, y = tokens()
    rows = [{"input_ids": x[i], "labels": y[i]} for i in range(256)]
    held = [{"input_ids": x[i], "labels": y[i]} for i in range(256, 320)]
    callback = MlanimTrainerCallback(tmp_path / "bert.mlanim", every=8, probe=(x[:32], y[:32]))
    args = TrainingArguments(output_dir=str(tmp_path / "hf"), num_train_epochs=3,
                             per_device_train_batch_size=16, learning_rate=2e-3,
                             logging_steps=1, eval_strategy="epoch", save_strategy="no",
                             report_to=[], use_cpu=True, disable_tqdm=True, seed=0)
    Trainer(model=tiny_bert(), args=args, train_dataset=rows, eval_dataset=held,
            callbacks=[callback]).train()
    trace = load_trace(callback.run.path)
    run = FlowRun(trace)
    claims = run.findings(len(run.steps) - 1, FlowSettings())
    assert not [c.text for c in claims if c.fired]
    assert trace.meta["model"]["activation"] == "GELU"
    assert "0 rows" not in data_line(trace.meta)
    progress = SilentProgress()
    callback.run.render("gradient_flow", formats=["png"], quality="low", duration=1,
                        progress=progress)
    assert not [w for w in progress.warnings if w.startswith(("layout:", "training div"))]
