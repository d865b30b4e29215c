"""The scene-kind registry.

Built-in kinds are the sub-packages of this package that declare ``KIND`` (adding one is adding
a package); third-party kinds register through the ``mlanim.scenes`` entry-point group.
"""

from __future__ import annotations

import difflib
import pkgutil
import warnings
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from mlanim.errors import SpecError
from mlanim.scenes.base import SceneKind
from mlanim.spec.sections import SceneSpec


def builtin_names() -> list[str]:
    """The packages under ``mlanim.scenes`` that are scene kinds."""
    return [info.name for info in pkgutil.iter_modules(__path__) if info.ispkg]


@cache
def kinds() -> dict[str, SceneKind]:
    """All scene kinds by name: the built-in packages, then plugins by entry point."""
    found: dict[str, SceneKind] = {}
    for name in builtin_names():
        found[name] = import_module(f"{__name__}.{name}").KIND
    for point in entry_points(group="mlanim.scenes"):
        if point.name not in found:
            try:
                found[point.name] = point.load()
            except Exception as error:  # a broken plugin must not break the built-in kinds
                warnings.warn(f"skipped the scene plugin '{point.name}' ({point.value}): "
                              f"{type(error).__name__}: {error}", stacklevel=2)
    return dict(sorted(found.items()))


def spec_models() -> dict[str, type[SceneSpec]]:
    """Each kind's spec model, for validation."""
    return {name: kind.Spec for name, kind in kinds().items()}


def get(name: str) -> SceneKind:
    """The kind called ``name``."""
    if name not in kinds():
        close = difflib.get_close_matches(name, list(kinds()), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(kinds())}"
        raise SpecError(f"unknown scene kind '{name}'", hint=hint)
    return kinds()[name]
