"""Record your own training loop with mlanim, then render it three ways.

A small CNN learns scikit-learn's 8x8 digits in a plain PyTorch loop (a DataLoader, an
optimizer, nothing of mlanim's); two lines record it:

    .venv/bin/python examples/record_your_own.py          # writes outputs/digits_*.mp4
"""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import mlanim


class DigitsCNN(nn.Module):
    """Two convolutions and a linear read-out, as you might write one."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 2 * 2, 32), nn.ReLU(),
                                  nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def main(epochs: int = 8, formats: tuple[str, ...] = ("mp4",), duration: float = 6,
         projection: str = "umap") -> list:
    """Train, record, and render loss curves, gradient flow and the embedding (projected with
    ``projection``: umap, pca or tsne)."""
    torch.manual_seed(0)
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(digits.target)
    train, val = TensorDataset(x[:1400], y[:1400]), (x[1400:], y[1400:])
    loader = DataLoader(train, batch_size=32, shuffle=True)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()

    rec = mlanim.watch(model, every=20, optimizer=optimizer, data_name="digits")
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rec.step(loss, x=xb, y=yb)
        model.eval()
        with torch.no_grad():
            logits = model(val[0])
        rec.epoch(val_loss=loss_fn(logits, val[1]).item(),
                  val_acc=(logits.argmax(1) == val[1]).float().mean().item())
    run = rec.save("runs/digits.mlanim")

    options = {"duration": duration, "quality": "low", "formats": list(formats)}
    return [*run.render("loss_curves", **options),
            *run.render("gradient_flow", **options),
            *run.render("embedding_evolution", embed={"method": projection}, **options)]


if __name__ == "__main__":
    for path in main():
        print(path)
