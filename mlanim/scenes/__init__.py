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
from pathlib import Path

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
            kind = _plugin(point)
            if kind is not None:
                found[point.name] = kind
    return dict(sorted(found.items()))


def _plugin(point) -> SceneKind | None:
    """The scene kind an entry point names, or None (said in one warning) when it comes from
    the working folder (Python puts that folder on the import path: a downloaded folder must
    not run code by being where mlanim is started), fails to import (even by ``sys.exit``),
    or is not a `SceneKind` with a spec model."""
    where = _distribution_folder(point)
    if where is not None and _inside(where, Path.cwd()):
        warnings.warn(f"did not load the scene plugin '{point.name}': it is registered from "
                      f"the working folder ({where}); install it to use it", stacklevel=3)
        return None
    try:
        kind = point.load()
    except (Exception, SystemExit) as error:  # a broken plugin must not break the others
        warnings.warn(f"skipped the scene plugin '{point.name}' ({point.value}): "
                      f"{type(error).__name__}: {error}", stacklevel=3)
        return None
    spec = getattr(kind, "Spec", None)
    if not isinstance(kind, SceneKind) or not (isinstance(spec, type)
                                               and issubclass(spec, SceneSpec)):
        warnings.warn(f"skipped the scene plugin '{point.name}' ({point.value}): it is a "
                      f"{type(kind).__name__}, not a SceneKind with a Spec", stacklevel=3)
        return None
    return kind


def _distribution_folder(point) -> Path | None:
    """The folder holding the ``*.dist-info`` that registers ``point`` (None if unknown)."""
    found = getattr(getattr(point, "dist", None), "_path", None)
    return Path(found).resolve().parent if found else None


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path == folder.resolve() or path.is_relative_to(folder.resolve())
    except OSError:
        return False


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
