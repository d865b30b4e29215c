"""A small transformer in plain torch, built so every attention quantity can be recorded.

Each attention block computes Q, K and V with their own Linear modules, and turns scores into
weights with its own Softmax module, so forward hooks see the queries, keys, values, the
pre-softmax scores (the Softmax's input), the attention weights (its output) and the weighted
values (the ``mix`` Identity's output), per head.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(length: int, width: int) -> torch.Tensor:
    """The original transformer's fixed positional encodings, (length, width)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate[: width // 2])
    return table


class SelfAttention(nn.Module):
    """Multi-head self-attention: softmax(Q Kᵀ / √d_head + mask) V, heads concatenated."""

    def __init__(self, width: int, heads: int, causal: bool) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"{heads} heads do not divide d_model {width}")
        self.heads, self.head_width, self.causal = heads, width // heads, causal
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.softmax = nn.Softmax(dim=-1)
        self.mix = nn.Identity()  # weights @ V per head, visible to hooks
        self.output = nn.Linear(width, width)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, H, T, C // H): one slice of the width per head."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.heads, self.head_width).transpose(1, 2)  # (B, H, T, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (self.split_heads(part(x)) for part in (self.query, self.key, self.value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_width)  # (B, H, T, T)
        if self.causal:
            length = x.shape[1]
            mask = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        weights = self.softmax(scores)
        mixed = self.mix(weights @ v).transpose(1, 2).reshape(x.shape)  # (B, T, C)
        return self.output(mixed)


class Block(nn.Module):
    """Pre-norm residual block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, width: int, heads: int, causal: bool) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, causal)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    """Token embedding + positions, ``layers`` blocks, a final norm and a token classifier."""

    def __init__(self, vocab: int, width: int, heads: int, layers: int, max_length: int,
                 positional: str = "sinusoidal", causal: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        if positional == "sinusoidal":
            self.register_buffer("positions", sinusoidal_positions(max_length, width))
        else:
            self.positions = nn.Parameter(torch.randn(max_length, width) * 0.1)
        self.blocks = nn.ModuleList(Block(width, heads, causal) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, vocab) for tokens (B, T)."""
        x = self.embed(tokens) + self.positions[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))
