"""Models nobody here designed for mlanim, as users write them: a tiny BERT, a residual CNN
with BatchNorm and functional activations, an LSTM, a 14-layer MLP with long module names,
deep sigmoid and tanh MLPs, a GELU MLP, ReLU MLPs healthy and dead. Each trains a few steps
in a plain loop that `mlanim.watch` records (tests/test_claims.py judges the recordings)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

import mlanim


class Block(nn.Module):
    """A residual block: conv-BN-relu-conv-BN plus the input, relu called in ``forward``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(h)))


class ResidualCNN(nn.Module):
    """A stem, three residual blocks, global average pooling and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(Block(8), Block(8), Block(8))
        self.head = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer1(torch.relu(self.bn(self.stem(x.view(-1, 1, 8, 8)))))
        return self.head(F.adaptive_avg_pool2d(h, 1).flatten(1))


class LSTMNet(nn.Module):
    """An LSTM reading the 8 rows of a digit image, then a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 32, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x.view(-1, 8, 8))
        return self.fc(out[:, -1])


class LongNames(nn.Module):
    """14 linear layers under long names, ReLU called in ``forward``, He init."""

    def __init__(self, depth: int = 14) -> None:
        super().__init__()
        self.encoder_stack = nn.ModuleList()
        widths = [64] + [48] * (depth - 1) + [10]
        for i in range(depth):
            block = nn.Module()
            block.dense_projection_layer = nn.Linear(widths[i], widths[i + 1])
            nn.init.kaiming_normal_(block.dense_projection_layer.weight, nonlinearity="relu")
            self.encoder_stack.append(block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.encoder_stack):
            x = block.dense_projection_layer(x)
            if i < len(self.encoder_stack) - 1:
                x = F.relu(x)
        return x


def mlp(widths: list[int], activation: type[nn.Module],
        init: Callable[[nn.Linear], object] | None = None) -> nn.Sequential:
    """A plain ``nn.Sequential`` MLP."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(a, b)
        if init is not None:
            init(linear)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def tiny_bert() -> nn.Module:
    """A 2-layer BERT classifier of hidden size 32, built from a config (nothing downloaded)."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=37,
                        max_position_embeddings=16, num_labels=2)
    return BertForSequenceClassification(config)


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits, scaled to 0..1."""
    from sklearn.datasets import load_digits

    found = load_digits()
    return torch.tensor(found.data / 16, dtype=torch.float32), torch.tensor(found.target)


def moons() -> tuple[torch.Tensor, torch.Tensor]:
    """512 noisy moons."""
    from sklearn.datasets import make_moons

    x, y = make_moons(512, noise=0.2, random_state=0)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def tokens() -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences of 12 tokens, labelled by whether the first is over 20."""
    x = torch.randint(1, 40, (512, 12), generator=torch.Generator().manual_seed(0))
    return x, (x[:, 0] > 20).long()


def _bias(value: float) -> Callable[[nn.Linear], object]:
    return lambda layer: nn.init.constant_(layer.bias, value) if layer.out_features == 32 else None


def _small(layer: nn.Linear) -> object:
    return nn.init.normal_(layer.weight, 0, 0.3 / layer.in_features ** 0.5)


# name: (model factory, data, optimizer, learning rate, the diagnoses that must fire)
CORPUS: dict[str, tuple[Callable[[], nn.Module], Callable, str, float, set[str]]] = {
    "bert": (tiny_bert, tokens, "adam", 1e-3, set()),
    "residual_cnn": (ResidualCNN, digits, "adam", 0.01, set()),
    "lstm": (LSTMNet, digits, "adam", 0.01, set()),
    "long_names_14": (LongNames, digits, "adam", 1e-3, set()),
    "gelu_mlp": (lambda: mlp([64, 32, 32, 32, 32, 10], nn.GELU), digits, "adam", 0.01, set()),
    "tanh_xavier": (lambda: mlp([64, 32, 32, 32, 10], nn.Tanh,
                                lambda layer: nn.init.xavier_normal_(layer.weight)),
                    digits, "adam", 0.01, set()),
    "relu_mlp": (lambda: mlp([2, 32, 32, 32, 2], nn.ReLU), moons, "adam", 0.01, set()),
    "sigmoid_deep": (lambda: mlp([64] + [32] * 10 + [10], nn.Sigmoid), digits, "sgd", 0.1,
                     {"vanishing"}),
    "tanh_deep_small_init": (lambda: mlp([64] + [32] * 12 + [10], nn.Tanh, _small), digits,
                             "sgd", 0.1, {"vanishing"}),
    "relu_dead": (lambda: mlp([2, 32, 32, 32, 2], nn.ReLU, _bias(-3.0)), moons, "adam", 0.01,
                  {"dead"}),
    "relu_lr_50": (lambda: mlp([2, 32, 32, 32, 2], nn.ReLU), moons, "sgd", 50.0,
                   {"exploding", "dead"}),
}


def record(name: str, folder: Path, steps: int = 150, batch: int = 32) -> Path:
    """Train corpus run ``name`` in a plain loop watched by mlanim; the saved trace's path."""
    path = folder / f"{name}.mlanim"
    trained(name, steps, batch).save(path)
    return path


def trained(name: str, steps: int = 150, batch: int = 32, every: int = 50,
            path: Path | None = None) -> mlanim.recording.Watch:
    """Corpus run ``name`` trained ``steps`` steps in a plain loop, its recording still open
    (written as it goes to ``path``, when given)."""
    factory, data, optimizer_name, lr, _ = CORPUS[name]
    torch.manual_seed(0)
    model = factory()
    x, y = data()
    optimizer = (torch.optim.Adam if optimizer_name == "adam" else torch.optim.SGD)(
        model.parameters(), lr)
    rec = mlanim.watch(model, every=every, optimizer=optimizer, path=path)
    rows_of = torch.Generator().manual_seed(0)
    for _ in range(steps):
        rows = torch.randint(0, len(x), (batch,), generator=rows_of)
        out = model(x[rows])
        logits = out.logits if hasattr(out, "logits") else out
        loss = F.cross_entropy(logits, y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rec.step(loss, x=x[rows], y=y[rows])
    return rec
