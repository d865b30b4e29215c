"""Optimizers from the spec: real torch.optim classes with the user's arguments."""

from __future__ import annotations

import inspect
from collections.abc import Iterable

import torch

from mlanim.errors import SpecError
from mlanim.spec.sections import OptimizerSpec

TORCH_CLASSES: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "momentum": torch.optim.SGD,
    "nesterov": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def optimizer_arguments(spec: OptimizerSpec, key_path: tuple = ("train", "optimizer")) -> dict:
    """torch keyword arguments for ``spec``; an argument the optimizer lacks is a `SpecError`."""
    args = spec.arguments()
    if spec.name in ("momentum", "nesterov"):
        args.setdefault("momentum", 0.9)
    if spec.name == "nesterov":
        args["nesterov"] = True
    accepted = inspect.signature(TORCH_CLASSES[spec.name]).parameters
    for key in args:
        if key not in accepted:
            known = sorted(k for k in accepted if k not in ("params", "foreach", "maximize",
                           "capturable", "differentiable", "fused", "decoupled_weight_decay"))
            raise SpecError(f"optimizer {spec.name} takes no argument '{key}'",
                            key_path=(*key_path, key), hint=f"its arguments: {', '.join(known)}")
    return args


def make_optimizer(spec: OptimizerSpec, params: Iterable[torch.nn.Parameter],
                   key_path: tuple = ("train", "optimizer")) -> torch.optim.Optimizer:
    """The torch.optim optimizer ``spec`` describes, over ``params``."""
    return TORCH_CLASSES[spec.name](params, **optimizer_arguments(spec, key_path))


def describe(spec: OptimizerSpec) -> str:
    """A short label such as ``Adam lr=0.01``."""
    names = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam",
             "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
    return f"{names[spec.name]} lr={spec.lr:g}"
