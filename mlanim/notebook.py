"""Jupyter: ``%load_ext mlanim``, then a ``%%mlanim`` cell holding a scene spec in YAML renders
it and shows the result inline. Words after ``%%mlanim`` override render keys:
``%%mlanim duration=4 theme=light formats=[gif]``. A mistake prints one line, no traceback.
(Results of `mlanim.render` and ``Run.render`` display inline without the extension.)"""

from __future__ import annotations

import shlex
import sys
from typing import Any

from mlanim.errors import UserError


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%mlanim`` cell magic (called by ``%load_ext mlanim``)."""
    ipython.register_magic_function(mlanim_cell, magic_kind="cell", magic_name="mlanim")


def mlanim_cell(line: str, cell: str) -> Any:
    """Render the YAML spec in the cell; ``line`` holds ``KEY=VALUE`` overrides."""
    from mlanim.api import render

    try:
        spec = _yaml(cell, "the cell")
        overrides = {key: _yaml(value, f"{key}=") for key, value in _pairs(line)}
        return render(spec, **overrides)
    except UserError as error:
        print(f"mlanim: error: {error}", file=sys.stderr)
        return None


def _pairs(line: str) -> list[tuple[str, str]]:
    pairs = []
    for word in shlex.split(line):
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UserError(f"%%mlanim {word}: write overrides as KEY=VALUE",
                            hint="e.g. %%mlanim duration=4 theme=light")
        pairs.append((key, value))
    return pairs


def _yaml(text: str, where: str) -> Any:
    """Plain data from YAML text, read as a spec file is (size, depth, values, no tags)."""
    from mlanim.spec.yaml_source import read_yaml_text

    return read_yaml_text(text, where).data
