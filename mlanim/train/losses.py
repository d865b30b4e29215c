"""Loss functions from the spec, each taking the model's raw output and the targets."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional

from mlanim.errors import SpecError

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def make_loss(name: str, task: str) -> Loss:
    """``auto`` picks cross-entropy for classes and mean squared error for regression.

    ``mse`` on a classification task compares softmax probabilities with one-hot targets, the
    textbook contrast with cross-entropy.
    """
    if name == "auto":
        name = "cross_entropy" if task == "classification" else "mse"
    if name == "cross_entropy":
        if task != "classification":
            raise SpecError("loss cross_entropy needs a classification task",
                            key_path=("train", "loss"), hint="use loss: mse for regression")
        return functional.cross_entropy
    if task == "classification":
        return _mse_on_probabilities
    return _mse_regression


def _mse_on_probabilities(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    target = functional.one_hot(y, out.shape[-1]).to(out.dtype)
    return functional.mse_loss(torch.softmax(out, dim=-1), target)


def _mse_regression(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return functional.mse_loss(out.squeeze(-1), y)


def per_row(loss: Loss) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``loss`` for a stack of outputs at once: (G, N, C) outputs and N targets give G losses,
    each the mean over the N samples as ``loss`` gives it (one call instead of G)."""
    if loss is functional.cross_entropy:
        return _cross_entropy_rows
    return lambda outputs, targets: torch.stack([loss(out, targets) for out in outputs])


def _cross_entropy_rows(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    # classes along dim 1, samples last: torch's softmax then runs along the long contiguous
    # sample axis, 7x faster than along a last axis of ten classes, with the same values
    rows = functional.cross_entropy(outputs.transpose(1, 2), targets.expand(len(outputs), -1),
                                    reduction="none")
    return rows.mean(dim=1)
