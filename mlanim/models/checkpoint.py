"""Saved weights a spec starts from (``model: {checkpoint: path.pt}``), read as a stranger's
file: ``torch.load(weights_only=True)`` refuses pickles that would run code, and what loads
must be a state dict whose names and shapes match the spec's model."""

from __future__ import annotations

import pickle
import re
import zipfile
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
    _check_inflated_size(path)
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


def _check_inflated_size(path: Path) -> None:
    """A zip checkpoint (torch.save's format) may inflate to far more than its size on disk:
    its members' sizes are read from the zip's directory and held to the input cap first."""
    from mlanim.inputs import max_input_bytes, megabytes

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as box:
            total = sum(info.file_size for info in box.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # torch.load says what is wrong with it
    if total > max_input_bytes():
        raise SpecError(f"{path.name} would take {megabytes(total)} once decompressed, over "
                        f"the {megabytes(max_input_bytes())} limit", key_path=KEY,
                        hint="raise it with MLANIM_MAX_INPUT_MB if you trust the file")


def _plain_tensor_problem(tensor: torch.Tensor) -> str | None:
    """Why a loaded tensor cannot be weights (None when it can): on the meta device (no
    values), sparse, quantized or complex."""
    if tensor.is_meta:
        return "has no values (it was saved on the meta device)"
    if tensor.layout != torch.strided:
        return f"is a {str(tensor.layout).removeprefix('torch.')} tensor"
    if tensor.is_quantized:
        return "is a quantized tensor"
    if tensor.is_complex():
        return "holds complex numbers"
    return None


def _state_dict(loaded: object, path: Path) -> dict[str, torch.Tensor]:
    """A state dict, or one under ``state_dict`` (as Lightning checkpoints keep it)."""
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not loaded or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()):
        raise SpecError(f"{path.name} holds a {type(loaded).__name__}, not a state dict of "
                        "named tensors", key_path=KEY, hint=SAVE_HINT)
    for name, tensor in loaded.items():
        problem = _plain_tensor_problem(tensor)
        if problem:
            raise SpecError(f"{path.name}: {name} {problem}; mlanim loads dense real weights",
                            key_path=KEY, hint=SAVE_HINT)
    return dict(loaded)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")
