"""The scene-kind registry: every kind found through the ``mlanim.scenes`` entry-point group."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from mlanim.errors import SpecError
from mlanim.scenes.base import SceneKind
from mlanim.spec.sections import SceneSpec

BUILTIN = {
    "decision_boundary": "mlanim.scenes.decision_boundary:KIND",
    "network_pulses": "mlanim.scenes.network_pulses:KIND",
    "optimizer_paths": "mlanim.scenes.optimizer_paths:KIND",
    "loss_landscape": "mlanim.scenes.loss_landscape:KIND",
    "attention": "mlanim.scenes.attention:KIND",
    "embedding_evolution": "mlanim.scenes.embedding_evolution:KIND",
}


@cache
def kinds() -> dict[str, SceneKind]:
    """All registered scene kinds by name (built-ins even when the package is not installed)."""
    found: dict[str, SceneKind] = {}
    for name, target in BUILTIN.items():
        found[name] = _load(target)
    for point in entry_points(group="mlanim.scenes"):
        if point.name not in found:
            found[point.name] = point.load()
    return dict(sorted(found.items()))


def _load(target: str) -> SceneKind:
    module_name, attr = target.split(":")
    return getattr(import_module(module_name), attr)


def spec_models() -> dict[str, type[SceneSpec]]:
    """Each kind's spec model, for validation."""
    return {name: kind.Spec for name, kind in kinds().items()}


def get(name: str) -> SceneKind:
    """The kind called ``name``."""
    if name not in kinds():
        raise SpecError(f"unknown scene kind '{name}'", hint=f"one of: {', '.join(kinds())}")
    return kinds()[name]
