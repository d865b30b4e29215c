"""Worker processes started without the user's main script (the executor's pools and a local
Dask cluster's workers, all started by ``spawn``)."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import Any


@contextmanager
def main_left_out() -> Iterator[None]:
    """Processes started inside do not run the main script again.

    A ``spawn`` process first runs its parent's main module (as ``__mp_main__``). A script not
    guarded by ``if __name__ == "__main__":`` then trains and renders again in every worker,
    whose own pool Python refuses; the pool starts a new worker for each one that stopped,
    and the render never ends. mlanim's workers need nothing of the main module (their
    functions and data are mlanim's), so they are started without it.
    """
    main = sys.modules["__main__"]
    spec, path = getattr(main, "__spec__", None), main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__spec__ = spec
        if path is not None:
            main.__file__ = path


def spawned_pool(workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
                 ) -> Pool:
    """A pool of ``workers`` processes started with ``spawn`` (forking a process that has run
    torch can deadlock), each running ``initializer(*initargs)`` first, without the main
    script."""
    with main_left_out():
        return multiprocessing.get_context("spawn").Pool(workers, initializer=initializer,
                                                         initargs=initargs)
