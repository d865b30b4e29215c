"""watch_overhead: a user's own loop with ``mlanim.watch(model, every=50)`` against the same loop
bare. Target: at most 1.10x.

The loop: the small CNN of examples/record_your_own.py on scikit-learn's 1,797 digits, a
DataLoader of batches of 32 (shuffled with a seeded generator), Adam, 6 epochs (342 steps).
Recorded: every step, the loss and each layer's gradient norm and |gradient| histogram; every
50 steps and at each epoch's end, a snapshot of 256 probe rows (class probabilities, the
embedding layer, dead ReLU units).

Run: .venv/bin/python benchmarks/watch_overhead.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import torch
from _common import interleaved_medians, print_machine, stopwatch
from record_your_own import DigitsCNN
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import mlanim

EPOCHS = 6
REPEATS = 5


def loader() -> DataLoader:
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    return DataLoader(TensorDataset(x, torch.tensor(digits.target)), batch_size=32,
                      shuffle=True, generator=torch.Generator().manual_seed(0))


def train(data: DataLoader, watched: bool) -> float:
    """Seconds for the whole loop (recorder included, saving not)."""
    torch.manual_seed(0)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    rec = mlanim.watch(model, every=50, optimizer=optimizer) if watched else None
    with stopwatch() as elapsed:
        for _ in range(EPOCHS):
            for xb, yb in data:
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if rec is not None:
                    rec.step(loss, x=xb, y=yb)
            if rec is not None:
                rec.epoch()
    return elapsed[0]


def main() -> None:
    print_machine()
    data = loader()
    b, w = interleaved_medians(lambda: train(data, False), lambda: train(data, True), REPEATS)
    print(f"{EPOCHS * len(data)} steps of a {sum(p.numel() for p in DigitsCNN().parameters()):,}"
          "-weight CNN, batches of 32")
    print(f"bare loop       {b * 1000:8.1f} ms (median of {REPEATS})")
    print(f"mlanim.watch    {w * 1000:8.1f} ms")
    print(f"watch_overhead: {w / b:.2f}x (target 1.10x)")


if __name__ == "__main__":
    main()
