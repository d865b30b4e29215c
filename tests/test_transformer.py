"""Foundation of the attention scene: the transformer's recorded attention is a true softmax
of its scores, and a trained model really attends to the mirrored position on `reverse`."""

from __future__ import annotations

import math

import pytest
import torch

from mlanim.data.sequences import digit_task, induction_task, text_task
from mlanim.models.transformer import SelfAttention, TinyTransformer


def captured(model: TinyTransformer, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
    """Scores (softmax input), weights (output), Q and K of the first block, via hooks."""
    seen: dict[str, torch.Tensor] = {}
    attention = model.blocks[0].attention
    hooks = [attention.softmax.register_forward_hook(
                 lambda m, i, o: seen.update(scores=i[0], weights=o)),
             attention.query.register_forward_hook(lambda m, i, o: seen.update(q=o)),
             attention.key.register_forward_hook(lambda m, i, o: seen.update(k=o))]
    with torch.no_grad():
        model(tokens)
    for hook in hooks:
        hook.remove()
    return seen


def train(task, steps: int = 1500, layers: int = 1) -> TinyTransformer:
    torch.manual_seed(0)
    x, y = torch.from_numpy(task.inputs), torch.from_numpy(task.targets)
    model = TinyTransformer(len(task.vocabulary), 32, 2, layers, x.shape[1], causal=task.causal)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        rows = torch.randint(500, len(x), (64,), generator=generator)
        logits = model(x[rows])[:, task.scored_from:]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 y[rows][:, task.scored_from:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def test_recorded_weights_are_the_softmax_of_q_k():
    torch.manual_seed(1)
    model = TinyTransformer(10, 32, 4, 1, 8, causal=True)
    tokens = torch.randint(0, 10, (3, 8))
    seen = captured(model, tokens)
    q = seen["q"].view(3, 8, 4, 8).transpose(1, 2)
    k = seen["k"].view(3, 8, 4, 8).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)
    scores = scores.masked_fill(torch.ones(8, 8, dtype=torch.bool).triu(1), float("-inf"))
    torch.testing.assert_close(seen["weights"], torch.softmax(scores, dim=-1))
    torch.testing.assert_close(seen["weights"].sum(-1), torch.ones(3, 4, 8))
    assert torch.all(seen["weights"].triu(1) == 0)  # the causal mask holds


def test_reverse_is_learned_by_attending_to_the_mirrored_position():
    model = train(digit_task("reverse", 6000, 6, 10, seed=0))
    held_out = digit_task("reverse", 300, 6, 10, seed=7)
    x, y = torch.from_numpy(held_out.inputs), torch.from_numpy(held_out.targets)
    with torch.no_grad():
        accuracy = (model(x).argmax(-1) == y).all(dim=1).float().mean().item()
    assert accuracy >= 0.95
    weights = captured(model, x)["weights"].mean(dim=0)  # (heads, T, T)
    positions = torch.arange(6)
    mirrored = weights[:, positions, 5 - positions].mean(dim=1)
    assert mirrored.max().item() > 0.6


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="do not divide"):
        SelfAttention(30, 4, causal=False)


def test_tasks_are_well_formed():
    induction = induction_task(50, 12, 10, seed=0)
    assert induction.inputs.shape == (50, 11) and induction.causal
    assert (induction.inputs[:, 6:] == induction.targets[:, 5:-1]).all()
    text = text_task("the cat sat on the mat. " * 20, 16, seed=0, n=40)
    assert text.inputs.shape == (40, 16) and "t" in text.vocabulary
    with pytest.raises(ValueError, match="not in the vocabulary"):
        digit_task("copy", 5, 4, 10, 0).encode("3 1 x 4")
    with pytest.raises(ValueError, match="too short"):
        text_task("", 16, seed=0)
