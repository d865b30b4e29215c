"""mlanim: turn real neural-network training into lecture videos, slide GIFs and paper figures.

In Python::

    import mlanim

    rec = mlanim.watch(model, every=50)       # record your own training loop
    ...                                        # rec.step(loss, x=x, y=y) after each step
    run = rec.save("runs/mine.mlanim")
    run.render("loss_curves")                  # the files written; inline in a notebook

    mlanim.render("scenes/quickstart.yaml", duration=8, theme="light")
    run = mlanim.load("scenes/quickstart.yaml")  # a spec's run (cached) or a .mlanim trace

The exports load lazily: ``import mlanim`` does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "watch": "mlanim.recording",
    "Watch": "mlanim.recording",
    "Recorder": "mlanim.train.recorder",
    "render": "mlanim.api",
    "load": "mlanim.api",
    "Run": "mlanim.api",
    "Rendered": "mlanim.api",
    "UserError": "mlanim.errors",
    "load_ipython_extension": "mlanim.notebook",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mlanim' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
