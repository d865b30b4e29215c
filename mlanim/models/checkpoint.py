"""Saved weights a spec starts from (``model: {checkpoint: path.pt}``), read as a stranger's
file: ``torch.load(weights_only=True)`` refuses pickles that would run code, and what loads
must be a state dict whose names and shapes match the spec's model."""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from mlanim.errors import SpecError

KEY = ("model", "checkpoint")
SAVE_HINT = "save one with torch.save(model.state_dict(), 'weights.pt')"


def load_weights(model: nn.Module, path: Path) -> None:
    """Load the state dict at ``path`` into ``model``; a located `SpecError` when the file is
    not one, would run code, or does not match the model's layers."""
    state = _state_dict(_read(path), path)
    expected = model.state_dict()
    missing = [name for name in expected if name not in state]
    unexpected = [name for name in state if name not in expected]
    if missing or unexpected:
        parts = ([f"missing {_names(missing)}"] if missing else []) + \
            ([f"unexpected {_names(unexpected)}"] if unexpected else [])
        raise SpecError(f"{path.name} does not match this model: {'; '.join(parts)}",
                        key_path=KEY, hint=f"the model has {_names(list(expected))}; make "
                        "model: (hidden, activation, ...) the network the weights were saved from")
    for name, tensor in expected.items():
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise SpecError(f"{path.name}: {name} has shape {tuple(state[name].shape)}, the "
                            f"model's has {tuple(tensor.shape)}", key_path=KEY,
                            hint="make model: the network the weights were saved from")
    with torch.no_grad():
        model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})


def _read(path: Path) -> object:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"(?:Unsupported global|GLOBAL)[:\s]+([\w.]+)", str(error))
        if found is None:
            raise SpecError(f"{path.name} is not a PyTorch weights file", key_path=KEY,
                            hint=SAVE_HINT) from None
        raise SpecError(f"{path.name} holds Python objects that loading would run "
                        f"({found.group(1)}); mlanim loads only tensors", key_path=KEY,
                        hint=SAVE_HINT) from None
    except Exception as error:
        told = isinstance(error, RuntimeError | ValueError) and str(error)
        reason = f" ({str(error).splitlines()[0][:120]})" if told else ""
        raise SpecError(f"{path.name} is not a PyTorch weights file{reason}",
                        key_path=KEY, hint=SAVE_HINT) from None


def _state_dict(loaded: object, path: Path) -> dict[str, torch.Tensor]:
    """A state dict, or one under ``state_dict`` (as Lightning checkpoints keep it)."""
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not loaded or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()):
        raise SpecError(f"{path.name} holds a {type(loaded).__name__}, not a state dict of "
                        "named tensors", key_path=KEY, hint=SAVE_HINT)
    return dict(loaded)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")
