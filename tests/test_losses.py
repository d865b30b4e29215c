"""Losses evaluated for many outputs at once (the loss landscape's grid) give each output the
loss its own call gives."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional

from mlanim.train.losses import per_row


@pytest.mark.parametrize(("grid", "samples", "classes"), [(8, 1797, 10), (3, 1, 2), (5, 400, 3)])
def test_cross_entropy_of_a_stack_is_each_outputs_own(grid, samples, classes):
    generator = torch.Generator().manual_seed(grid * samples)
    outputs = torch.randn(grid, samples, classes, generator=generator) * 4
    targets = torch.randint(0, classes, (samples,), generator=generator)
    one_by_one = torch.stack([functional.cross_entropy(out, targets) for out in outputs])
    together = per_row(functional.cross_entropy)(outputs, targets)
    assert together.shape == (grid,)
    # the same to float32 rounding of the mean (a few units in the last place)
    torch.testing.assert_close(together, one_by_one, rtol=5e-7, atol=0)


def test_another_loss_is_called_once_per_output():
    outputs, targets = torch.randn(4, 20, 1), torch.randn(20, 1)
    together = per_row(functional.mse_loss)(outputs, targets)
    assert torch.equal(together, torch.stack([functional.mse_loss(o, targets) for o in outputs]))
