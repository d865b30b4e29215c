"""Reads the YAML files in ``configs/`` (themes and render presets)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def config_dir() -> Path:
    """``configs/`` inside an installed wheel, else the repository's own."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "configs"
    return packaged if packaged.is_dir() else here.parent / "configs"


@cache
def read_config(name: str) -> dict[str, Any]:
    """The parsed ``configs/NAME.yaml``."""
    return YAML(typ="safe").load((config_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
