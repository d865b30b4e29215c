"""The trace cache: train once, render many times.

A trace is stored under ``.mlanim/cache/`` (or ``$MLANIM_CACHE_DIR``) by the hash of everything that
affects training: the data, model and train sections, the seed, the recording plan, and the
versions of mlanim and torch. Changing only ``render:`` therefore re-renders without retraining.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mlanim.trace.format import FORMAT_VERSION


def cache_dir() -> Path:
    """Where cached traces live."""
    return Path(os.environ.get("MLANIM_CACHE_DIR", ".mlanim/cache"))


def cache_key(payload: dict[str, Any]) -> str:
    """A stable hash of ``payload`` (plain JSON-able data) and the library versions."""
    from mlanim import __version__

    full = dict(payload, mlanim=__version__, torch=version("torch"), trace_format=FORMAT_VERSION)
    text = json.dumps(full, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_trace_path(key: str) -> Path:
    """The cache file for ``key`` (it may not exist yet)."""
    return cache_dir() / f"{key}.mlanim"
