"""The temporal-order task, the two recurrent networks, and what is recorded while they learn.

``nn.RNN`` and ``nn.LSTM`` run the training; to show their insides, `unroll` recomputes every
step from the modules' own ``weight_ih``/``weight_hh``/biases (for the LSTM the input, forget,
cell and output gates in PyTorch's i, f, g, o order), and `bptt_norms` takes the gradient of
the loss with respect to each step's hidden state through that unrolled graph. The tests
check both against the modules and against ``retain_grad`` on cells stepped by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mlanim.progress import Progress
from mlanim.scenes.rnn_memory.spec import RnnMemorySpec
from mlanim.trace import Trace, TraceWriter
from mlanim.train.loop import seed_everything, train_steps
from mlanim.train.run import versions
from mlanim.train.schedule import Schedule

KINDS = ("rnn", "lstm")
MARKED = ("X", "Y")
HELD_OUT = 1000  # sequences for held-out accuracy and accuracy by lag
GRADIENT_ROWS = 256  # held-out sequences whose gradients are averaged
SNAPSHOTS = 40
HELD_OUT_SEED = 1_000_003
LAG_BINS = 6


@dataclass(frozen=True)
class OrderData:
    """Sequences of the temporal-order task: one-hot inputs, classes, and each one's lag (how
    many steps follow its first marked symbol)."""

    inputs: np.ndarray  # (n, T, symbols) float32
    tokens: np.ndarray  # (n, T) int64
    labels: np.ndarray  # (n,) int64: 2 * first + second, first and second in {X: 0, Y: 1}
    lags: np.ndarray  # (n,) int64
    symbols: tuple[str, ...]


def order_task(n: int, length: int, distractors: int, seed: int) -> OrderData:
    """``n`` sequences of ``length`` steps: distractors, then X or Y at a random step and X or
    Y again at a later one."""
    rng = np.random.default_rng(seed)
    symbols = tuple("abcdefgh"[:distractors]) + MARKED
    tokens = rng.integers(0, distractors, (n, length))
    first = rng.integers(0, length - 1, n)
    second = first + 1 + (rng.random(n) * (length - 1 - first)).astype(np.int64)
    which = rng.integers(0, 2, (n, 2))
    rows = np.arange(n)
    tokens[rows, first] = distractors + which[:, 0]
    tokens[rows, second] = distractors + which[:, 1]
    inputs = np.eye(len(symbols), dtype=np.float32)[tokens]
    return OrderData(inputs, tokens.astype(np.int64), (2 * which[:, 0] + which[:, 1]),
                     (length - 1 - first).astype(np.int64), symbols)


CLASS_NAMES = ("XX", "XY", "YX", "YY")


class Recurrent(nn.Module):
    """``nn.RNN`` (tanh) or ``nn.LSTM`` over the sequence, and a linear read-out of the last
    hidden state to the four classes."""

    def __init__(self, kind: str, symbols: int, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        core = nn.RNN if kind == "rnn" else nn.LSTM
        self.core = core(symbols, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(CLASS_NAMES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores for a batch of one-hot sequences (batch, steps, symbols)."""
        out, _ = self.core(x)
        return self.head(out[:, -1])


def unroll(model: Recurrent, x: torch.Tensor) -> dict[str, list[torch.Tensor]]:
    """Every step of ``model``'s recurrence recomputed from its weights: ``h`` (and for the
    LSTM ``c`` and ``gates`` (batch, 4, hidden) in i, f, g, o order), one tensor per step,
    connected in one autograd graph."""
    core = model.core
    w_ih, w_hh = core.weight_ih_l0, core.weight_hh_l0
    bias = core.bias_ih_l0 + core.bias_hh_l0
    batch, hidden = x.shape[0], core.hidden_size
    h = x.new_zeros(batch, hidden)
    c = x.new_zeros(batch, hidden)
    states: dict[str, list[torch.Tensor]] = {"h": [], "c": [], "gates": []}
    for t in range(x.shape[1]):
        pre = x[:, t] @ w_ih.T + h @ w_hh.T + bias
        if model.kind == "rnn":
            h = torch.tanh(pre)
        else:
            i, f, g, o = pre.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            states["c"].append(c)
            states["gates"].append(torch.stack([i, f, g, o], dim=1))
        states["h"].append(h)
    return states


def bptt_norms(model: Recurrent, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """|dL/dh_t| for every step t, averaged over the batch: L is each sequence's own
    cross-entropy, so each row's gradient is its own, not divided by the batch."""
    states = unroll(model, x)
    loss = functional.cross_entropy(model.head(states["h"][-1]), y, reduction="sum")
    grads = torch.autograd.grad(loss, states["h"])
    return np.array([float(g.norm(dim=1).mean()) for g in grads])


class MemoryWatcher:
    """Snapshots of one network: its states, gates and gradients on the example sequence, the
    held-out gradient profile, and the loss and accuracies."""

    def __init__(self, writer: TraceWriter, model: Recurrent, train: OrderData,
                 held_out: OrderData, example: int) -> None:
        self.writer, self.model, self.example = writer, model, example
        self.train_x = torch.from_numpy(train.inputs[:HELD_OUT])
        self.train_y = torch.from_numpy(train.labels[:HELD_OUT])
        self.x, self.y = torch.from_numpy(held_out.inputs), torch.from_numpy(held_out.labels)

    def snapshot(self, step: int, epoch: float) -> None:
        """Record the network after ``step`` optimizer steps."""
        kind, add = self.model.kind, self.writer.add
        model = self.model
        rows = slice(self.example, self.example + 1)
        example_x, example_y = self.x[rows], self.y[rows]
        with torch.no_grad():
            states = unroll(model, example_x)
            add(f"{kind}/h", torch.stack(states["h"], 1)[0].numpy(), step, epoch)
            if kind == "lstm":
                add("lstm/c", torch.stack(states["c"], 1)[0].numpy(), step, epoch)
                add("lstm/gates", torch.stack(states["gates"], 1)[0].numpy(), step, epoch)
            add(f"{kind}/example_probs", torch.softmax(model(example_x), 1)[0].numpy(), step,
                epoch)
            for split, x, y in (("train", self.train_x, self.train_y), ("val", self.x, self.y)):
                logits = model(x)
                add(f"{kind}/{split}_loss", functional.cross_entropy(logits, y).item(), step,
                    epoch)
                add(f"{kind}/{split}_acc", (logits.argmax(1) == y).float().mean().item(), step,
                    epoch)
        with torch.enable_grad():
            add(f"{kind}/grad", bptt_norms(model, example_x, example_y), step, epoch)
            add(f"{kind}/grad_mean", bptt_norms(model, self.x[:GRADIENT_ROWS],
                                                self.y[:GRADIENT_ROWS]), step, epoch)

    def before_update(self, step: int, epoch: float, rows: torch.Tensor) -> None:
        """Nothing to keep before an update."""

    def capture_grads(self, step: int, epoch: float) -> None:
        """Parameter gradients are not drawn."""

    def after_update(self, step: int, epoch: float) -> None:
        """Nothing to keep after an update."""


def lag_accuracy(model: Recurrent, held_out: OrderData, edges: np.ndarray) -> np.ndarray:
    """Held-out accuracy in each lag bin [edges[k], edges[k + 1]); NaN for an empty bin."""
    with torch.no_grad():
        right = (model(torch.from_numpy(held_out.inputs)).argmax(1).numpy() == held_out.labels)
    bins = np.digitize(held_out.lags, edges[1:-1])
    return np.array([right[bins == k].mean() if (bins == k).any() else np.nan
                     for k in range(len(edges) - 1)], dtype=np.float32)


def record_memory(spec: RnnMemorySpec, progress: Progress) -> Trace:
    """Train the RNN and the LSTM on the same sequences and batches; return the trace."""
    t = spec.task
    train = order_task(t.samples, t.length, t.distractors, spec.seed)
    held_out = order_task(HELD_OUT, t.length, t.distractors, spec.seed + HELD_OUT_SEED)
    example = example_index(held_out)
    writer = TraceWriter(meta=_meta(spec, held_out, example))
    x, y = torch.from_numpy(train.inputs), torch.from_numpy(train.labels)
    schedule = Schedule.of(spec.train, len(x))
    due = schedule.dense_early(SNAPSHOTS)
    edges = np.unique(np.linspace(0, t.length, LAG_BINS + 1).round().astype(np.int64))
    for kind in KINDS:
        seed_everything(spec.seed)
        model = Recurrent(kind, len(train.symbols), spec.model.hidden)
        watcher = MemoryWatcher(writer, model, train, held_out, example)
        train_steps(model, schedule,
                    lambda rows, model=model: functional.cross_entropy(model(x[rows]), y[rows]),
                    spec.train, spec.seed, watcher, due, progress)
        writer.static(f"{kind}/lag_accuracy", lag_accuracy(model, held_out, edges))
        for name, value in model.state_dict().items():
            writer.static(f"{kind}/state/{name}", value.numpy())
    writer.static("lag_edges", edges)
    writer.static("example/tokens", held_out.tokens[example])
    writer.static("example/label", held_out.labels[example:example + 1])
    writer.meta.update(steps=schedule.total_steps)
    return writer.freeze()


def example_index(held_out: OrderData) -> int:
    """The held-out sequence drawn: the first whose first marked symbol comes in the first
    quarter, so that it must be remembered for most of the sequence."""
    length = held_out.tokens.shape[1]
    long = np.flatnonzero(held_out.lags >= (length - 1) * 0.75)
    return int(long[0]) if len(long) else 0


def _meta(spec: RnnMemorySpec, held_out: OrderData, example: int) -> dict:
    return {
        "scene": spec.scene, "seed": spec.seed,
        "task": {"name": spec.task.name, "length": spec.task.length,
                 "samples": spec.task.samples, "symbols": list(held_out.symbols),
                 "classes": list(CLASS_NAMES), "example_lag": int(held_out.lags[example]),
                 "example_index": example, "gradient_rows": GRADIENT_ROWS},
        "model": {"hidden": spec.model.hidden, "kinds": list(KINDS)},
        "train": spec.train.model_dump(mode="json"),
        "versions": versions(),
    }
