"""Trains the tiny transformer on its sequence task and records attention for one example.

Every snapshot keeps, for each layer and head: the attention weights and pre-softmax scores
(the Softmax module's output and input), Q, K, V and the weighted values (the Linear and
``mix`` modules' outputs), and the layer's input X; plus the example's output logits and the
loss and accuracy on training and held-out sequences. All through forward hooks that exist
only during a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mlanim.data.sequences import (
    SequenceTask,
    digit_task,
    induction_task,
    split_corpus,
    text_task,
)
from mlanim.errors import DataError, SpecError
from mlanim.progress import Progress
from mlanim.scenes.attention.spec import DEFAULT_CORPUS, AttentionSpec
from mlanim.trace import Trace, TraceWriter
from mlanim.train.hooks import evaluating, hooked
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.run import versions
from mlanim.train.schedule import Schedule

HELD_OUT = 500  # sequences for the held-out accuracy
SNAPSHOTS = 60  # default number of snapshots over training
HELD_OUT_SEED = 1_000_003  # held-out sequences come from another random stream


def build_task(spec: AttentionSpec, resolve: Callable[..., Path]
               ) -> tuple[SequenceTask, SequenceTask, list[int]]:
    """The training task, held-out sequences, and the example's token ids."""
    t = spec.task
    length = t.sequence_length
    if t.name == "text":
        corpus = _corpus(spec, resolve)
        try:
            task = text_task(corpus, length, spec.seed, n=t.samples, level=t.level)
        except ValueError as err:
            raise SpecError(f"task.corpus: {err}", key_path=("task", "corpus"),
                            hint="give a longer corpus or a smaller task.length") from None
        held_out = text_task(corpus, length, spec.seed + HELD_OUT_SEED, n=HELD_OUT,
                             level=t.level)
    elif t.name == "induction":
        if length < 4:
            raise SpecError("task.length must be at least 4 for induction (a half of 2 or "
                            "more, repeated)", key_path=("task", "length"), hint="length: 12")
        task = induction_task(t.samples, length, t.vocab, spec.seed)
        held_out = induction_task(HELD_OUT, length, t.vocab, spec.seed + HELD_OUT_SEED)
    else:
        task = digit_task(t.name, t.samples, length, t.vocab, spec.seed)
        held_out = digit_task(t.name, HELD_OUT, length, t.vocab, spec.seed + HELD_OUT_SEED)
    opening = ""
    if t.name == "text":
        words = split_corpus(corpus, t.level)[:length]
        opening = "".join(words) if t.level == "char" else " ".join(words)
    return task, held_out, example_ids(spec, task, held_out, opening)


def _corpus(spec: AttentionSpec, resolve: Callable[..., Path]) -> str:
    if spec.task.corpus_path:
        path = resolve(spec.task.corpus_path, ("task", "corpus_path"))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataError(f"corpus file not found: {path}", key_path=("task", "corpus_path"),
                            hint="check the path (relative to the spec file)") from None
        except (UnicodeDecodeError, IsADirectoryError):
            raise DataError(f"{path} is not a UTF-8 text file",
                            key_path=("task", "corpus_path")) from None
        if not text.strip():
            raise DataError(f"corpus file {path} is empty", key_path=("task", "corpus_path"),
                            hint="write a sentence or a few into it")
        return " ".join(text.split())
    return spec.task.corpus if spec.task.corpus is not None else DEFAULT_CORPUS


def example_ids(spec: AttentionSpec, task: SequenceTask, held_out: SequenceTask,
                opening: str = "") -> list[int]:
    """The example as model input ids: as written (checked against the vocabulary and the
    trained length); by default the first held-out sequence, or for text ``opening``."""
    key = ("show", "example") if spec.show.example else ("task", "example")
    if spec.example is None:
        if task.name == "text":  # the corpus's opening words, where a reader starts
            return task.encode(opening)
        return [int(i) for i in held_out.inputs[0]]
    try:
        ids = task.encode(spec.example)
    except ValueError as err:
        raise SpecError(f"{key[0]}.{key[1]}: {err}", key_path=key,
                        hint="use tokens from the vocabulary") from None
    return _fit_to_task(ids, task, key)


def _fit_to_task(ids: list[int], task: SequenceTask, key: tuple[str, str]) -> list[int]:
    """Complete an example to the model's input: copy's blanks, induction's repeat."""
    n = task.length
    where = f"{key[0]}.{key[1]}"
    if task.name == "copy":
        half = n // 2
        if len(ids) != half:
            raise SpecError(f"{where} has {len(ids)} tokens; copy was trained on {half}",
                            key_path=key, hint=f"give {half} digits (the blanks are added)")
        return ids + [len(task.vocabulary) - 1] * half
    if task.name == "induction":
        half = (n + 1) // 2
        if len(ids) == half:
            return (ids + ids)[:-1]
        if len(ids) != n:
            raise SpecError(f"{where} has {len(ids)} tokens; induction was trained on halves "
                            f"of {half}", key_path=key,
                            hint=f"give the {half} tokens to repeat")
        return ids
    if task.name == "text":
        if not 2 <= len(ids) <= n:
            raise SpecError(f"{where} has {len(ids)} tokens; the model was trained on {n}",
                            key_path=key, hint=f"use 2 to {n} tokens, or raise task.length")
        return ids
    if len(ids) != n:
        raise SpecError(f"{where} has {len(ids)} tokens; {task.name} was trained on {n}",
                        key_path=key, hint=f"give {n} tokens, or set task.length: {len(ids)}")
    return ids


def build_model(spec: AttentionSpec, task: SequenceTask) -> nn.Module:
    """A freshly initialised transformer for ``task`` (seed torch before calling)."""
    from mlanim.models.transformer import TinyTransformer

    m = spec.model
    return TinyTransformer(len(task.vocabulary), m.d_model, m.heads, m.layers, task.length,
                           m.positional, causal=task.causal)


class AttentionProbe:
    """Records what each attention block computes on one example, through temporary hooks."""

    PARTS: ClassVar[dict[str, str]] = {"query": "q", "key": "k", "value": "v", "mix": "mix"}

    def __init__(self, model: nn.Module, example: list[int]) -> None:
        self.model = model
        self.tokens = torch.tensor([example])

    @torch.inference_mode()
    def capture(self) -> dict[str, np.ndarray]:
        """One forward pass of the example: arrays stacked over layers, (L, H, T, ...)."""
        seen: dict[str, list[torch.Tensor]] = {}

        def keep(short: str, split: Callable | None = None) -> Callable:
            # a forward hook must return None: a returned value would replace the output
            def hook(_module: nn.Module, _args: tuple, out: torch.Tensor) -> None:
                seen.setdefault(short, []).append((split(out) if split else out)[0])
            return hook

        def keep_softmax(_module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            seen.setdefault("scores", []).append(args[0][0])
            seen.setdefault("weights", []).append(out[0])

        def keep_input(_module: nn.Module, args: tuple) -> None:
            seen.setdefault("x", []).append(args[0][0])

        outputs: list[tuple[nn.Module, Callable]] = []
        for block in self.model.blocks:
            att = block.attention
            outputs.append((att.softmax, keep_softmax))
            for module_name, short in self.PARTS.items():
                split = None if short == "mix" else att.split_heads
                outputs.append((getattr(att, module_name), keep(short, split)))
        inputs = [(block.attention, keep_input) for block in self.model.blocks]
        with evaluating(self.model), hooked(outputs, inputs):
            logits = self.model(self.tokens)[0]
        arrays = {name: torch.stack(values).numpy() for name, values in seen.items()}
        arrays["logits"] = logits.numpy()
        return arrays


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor, scored_from: int
                  ) -> torch.Tensor:
    """Cross-entropy over the scored positions of a batch of sequences."""
    scored = logits[:, scored_from:]
    return functional.cross_entropy(scored.reshape(-1, scored.shape[-1]),
                                    targets[:, scored_from:].reshape(-1))


@torch.inference_mode()
def evaluate(model: nn.Module, task: SequenceTask, rows: slice = slice(None)
             ) -> tuple[float, float, float]:
    """Loss, token accuracy and whole-sequence accuracy on ``task``'s scored positions."""
    was_training = model.training
    model.eval()
    x, y = torch.from_numpy(task.inputs[rows]), torch.from_numpy(task.targets[rows])
    logits = model(x)
    model.train(was_training)
    right = logits.argmax(-1)[:, task.scored_from:] == y[:, task.scored_from:]
    return (sequence_loss(logits, y, task.scored_from).item(), right.float().mean().item(),
            right.all(dim=1).float().mean().item())


class AttentionWatcher:
    """Snapshots for the training loop: the probe's attention on the example, and the loss and
    accuracy on training and held-out sequences (the loop's other hooks are not needed)."""

    def __init__(self, writer: TraceWriter, model: nn.Module, probe: AttentionProbe,
                 task: SequenceTask, held_out: SequenceTask) -> None:
        self.writer, self.model, self.probe = writer, model, probe
        self.task, self.held_out = task, held_out

    def snapshot(self, step: int, epoch: float) -> None:
        """Record attention and metrics after ``step`` optimizer steps."""
        _snapshot(self.writer, self.model, self.probe, self.task, self.held_out, step, epoch)

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Nothing to keep before an update."""

    def capture_grads(self, step: int, epoch: float) -> None:
        """Gradients are not part of this scene."""

    def after_update(self, step: int, epoch: float) -> None:
        """Nothing to keep after an update."""


def record_attention(spec: AttentionSpec, task: SequenceTask, held_out: SequenceTask,
                     example: list[int], progress: Progress) -> Trace:
    """Train the transformer on ``task`` and return the trace of its attention on ``example``."""
    seed_everything(spec.seed)
    model = build_model(spec, task)
    writer = TraceWriter(meta=_meta(spec, task, example))
    writer.meta["model"]["parameters"] = sum(p.numel() for p in model.parameters())
    x, y = torch.from_numpy(task.inputs), torch.from_numpy(task.targets)
    schedule = Schedule.of(spec.train, len(x))
    due = snapshot_steps(spec, schedule)
    watcher = AttentionWatcher(writer, model, AttentionProbe(model, example), task, held_out)
    result = train_steps(model, schedule,
                         lambda rows: sequence_loss(model(x[rows]), y[rows], task.scored_from),
                         spec.train, spec.seed, watcher, due, progress)
    stopped_at = result.steps if result.diverged_at_epoch is not None else None
    if stopped_at is not None and stopped_at not in due:
        watcher.snapshot(stopped_at, result.epochs)
    for name, value in model.state_dict().items():
        writer.static(f"model/{name}", value.numpy())
    writer.static("example/tokens", np.array(example, dtype=np.int64))
    writer.meta.update(steps=result.steps, epochs=result.epochs, diverged_at_step=stopped_at)
    return writer.freeze()


def snapshot_steps(spec: AttentionSpec, schedule: Schedule) -> set[int]:
    """The steps after which a snapshot is taken (step 0, before training, always).

    As the spec says with ``record_every_steps`` or ``record_every`` (epochs); by default about
    `SNAPSHOTS`, half evenly spaced and half geometrically, because attention patterns often
    form in the first tenth of training and would otherwise pass in two snapshots.
    """
    train = spec.train
    if train.record_every_steps or train.record_every:
        return schedule.regular(schedule.every(train))
    return schedule.dense_early(SNAPSHOTS)


def _snapshot(writer: TraceWriter, model: nn.Module, probe: AttentionProbe,
              task: SequenceTask, held_out: SequenceTask, step: int, epoch: float) -> None:
    for name, value in probe.capture().items():
        writer.add(f"attention/{name}", value, step, epoch)
    train_loss, train_acc, _ = evaluate(model, task, slice(0, HELD_OUT))
    val_loss, val_acc, val_seq = evaluate(model, held_out)
    for name, value in (("train_loss", train_loss), ("train_acc", train_acc),
                        ("val_loss", val_loss), ("val_acc", val_acc), ("val_seq_acc", val_seq)):
        writer.add(f"metrics/{name}", value, step, epoch)


def _meta(spec: AttentionSpec, task: SequenceTask, example: list[int]) -> dict:
    m = spec.model
    return {
        "scene": spec.scene, "seed": spec.seed,
        "task": {"name": task.name, "length": task.length, "causal": task.causal,
                 "scored_from": task.scored_from, "level": task.level,
                 "vocabulary": list(task.vocabulary), "pattern": task.pattern(),
                 "samples": len(task.inputs)},
        "example": task.decode(np.array(example)),
        "example_targets": [None if i is None else task.vocabulary[i]
                            for i in task.targets_for(example)],
        "model": {"type": "transformer", "layers": m.layers, "heads": m.heads,
                  "d_model": m.d_model, "positional": m.positional},
        "train": spec.train.model_dump(mode="json"),
        "versions": versions(),
    }
