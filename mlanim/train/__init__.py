"""Training and recording: the only stage that touches torch. Its output is a `Trace`.

Exports are loaded lazily, so that importing ``mlanim.train.plan`` (which scene kinds do) or
running a command that never trains does not pay for importing torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "FitResult": "mlanim.train.loop",
    "fit": "mlanim.train.loop",
    "seed_everything": "mlanim.train.loop",
    "Grid": "mlanim.train.plan",
    "RecordingPlan": "mlanim.train.plan",
    "Recorder": "mlanim.train.recorder",
    "record": "mlanim.train.run",
    "describe_model": "mlanim.train.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mlanim.train' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
