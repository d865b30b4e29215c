"""Other libraries' chatter kept off the user's terminal: a render prints mlanim's own lines
and nothing else (no Python warning, no library logging), whatever numpy, torch, manim or
fontTools would say about their internals."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

CHATTY_LOGGERS = ("fontTools", "manim", "matplotlib", "PIL", "numba", "distributed",
                  "transformers", "pytorch_lightning", "lightning")
"""Libraries that log at INFO or WARNING while mlanim uses them."""

OWN = str(Path(__file__).resolve().parent)


def show_own_warning(message: Warning | str, category: type[Warning], filename: str,
                     lineno: int, file: object = None, line: str | None = None) -> None:
    """A warning raised by mlanim's own code, as one line; any other library's is dropped."""
    if str(Path(filename).resolve()).startswith(OWN):
        print(f"mlanim: warning: {message}", file=sys.stderr)


@contextlib.contextmanager
def quieted() -> Iterator[None]:
    """Within the block, warnings print as `show_own_warning` does, and the chatty libraries
    log errors only (their levels are put back afterwards)."""
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show_own_warning
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        try:
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
