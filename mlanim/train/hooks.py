"""Looking inside a forward pass: hooks that exist only for the length of a ``with`` block, and
the model in eval mode for a snapshot's pass. Every recording (the built-in loop's, a user's
loop's, and the kinds that record their own) captures through these two."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from torch import nn

ForwardHook = Callable[[nn.Module, tuple, object], None]
"""Called with the module, its inputs and its output; it must return None (a returned value
would replace the output)."""

InputHook = Callable[[nn.Module, tuple], None]
"""Called with the module and its inputs, before it runs."""


@contextmanager
def hooked(outputs: Iterable[tuple[nn.Module, ForwardHook]] = (),
           inputs: Iterable[tuple[nn.Module, InputHook]] = ()) -> Iterator[None]:
    """Forward hooks on the ``outputs`` modules (and input hooks on the ``inputs`` ones) for
    the block's length: a training step outside it runs with none."""
    handles = [module.register_forward_hook(hook) for module, hook in outputs]
    handles += [module.register_forward_pre_hook(hook) for module, hook in inputs]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode (no dropout, running batch-norm statistics) for the block's
    length, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
