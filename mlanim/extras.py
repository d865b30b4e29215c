"""Optional parts of mlanim and the extra that installs each: ``pip install mlanim`` renders
with matplotlib and projects with PCA and t-SNE; ``mlanim[manim]`` adds the manim backend,
``mlanim[umap]`` the umap projection, ``mlanim[all]`` both."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from mlanim.errors import UserError


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def require(module: str, extra: str, what: str, key: Sequence[str] = (),
            instead: str = "", in_all: bool = True) -> None:
    """A located `UserError` naming the extra to install when ``module`` is missing (and
    ``mlanim[all]`` when ``in_all``)."""
    if not installed(module):
        hint = f"pip install 'mlanim[{extra}]'" + (" (or 'mlanim[all]')" if in_all else "") + (
            f", or {instead}" if instead else "")
        raise UserError(f"{what} needs {module}, which is not installed", key_path=key,
                        hint=hint)
