"""The one place where work runs in parallel: a local process pool, or a Dask cluster when one
is named (`mlanim.cluster`).

Frames are drawn by worker processes, each holding its own drawing (figure or camera) built once
by a picklable factory, and come back in order so the encoder can consume them as they arrive.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from mlanim.spawning import spawned_pool

_worker_drawing: Any = None

# Below this many frames, starting workers costs more than it saves.
MIN_PARALLEL_FRAMES = 60


@contextmanager
def settled_heap() -> Iterator[None]:
    """Leave the objects alive now (the trace, the story, the painters' caches) out of the
    garbage collector's scans until the block ends. A frame makes thousands of short-lived
    objects; each full collection they set off would otherwise walk every long-lived one
    again (about a tenth of a 1080p landscape frame, benchmarks/lecture_speed)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def worker_count() -> int:
    """Drawing processes asked for by ``$MLANIM_WORKERS`` (default 1: draw in this process).

    On this project's 2-core machines a drawing thread beside the encoder beats processes,
    whose start-up and frame pickling cost more than they save (benchmarks/render_throughput).
    """
    setting = os.environ.get("MLANIM_WORKERS", "1").strip()
    return int(setting) if setting.isdigit() and can_start_processes() else 1


def _start_worker(factory: Callable[[], Any]) -> None:
    global _worker_drawing
    _worker_drawing = factory()


def _draw(index: int) -> np.ndarray:
    return _worker_drawing.frame(index)


def draw_in_order(factory: Callable[[], Any], count: int, workers: int,
                  chunk: int = 4) -> Iterator[np.ndarray]:
    """Frames ``0..count-1`` drawn by ``workers`` processes, yielded in order.

    ``factory`` must be picklable (a module-level function or a ``functools.partial`` of one).
    Workers are started with ``spawn``: forking a process that has run torch can deadlock.
    """
    with spawned_pool(workers, _start_worker, (factory,)) as pool:
        yield from pool.imap(_draw, range(count), chunksize=chunk)


def run_tasks(function: Callable[[Any], Any], tasks: list[Any], workers: int,
              done: Callable[[], None] = lambda: None) -> list[Any]:
    """``function`` applied to each task, in order: in this process when ``workers`` is 1,
    else by that many ``spawn`` processes, or on the cluster when one is named; ``done`` is
    called as each result arrives (for a progress bar). ``function`` and tasks must be
    picklable plain data (a module-level function; arrays, dicts), never live models."""
    return map_shared(_apply, function, tasks, workers, done)


def _apply(function: Callable[[Any], Any], task: Any) -> Any:
    return function(task)


_worker_shared: Any = None


def _keep_shared(shared: Any) -> None:
    global _worker_shared
    _worker_shared = shared


def _with_shared(pair: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    function, task = pair
    return function(_worker_shared, task)


def map_shared(function: Callable[[Any, Any], Any], shared: Any, tasks: list[Any],
               workers: int, done: Callable[[], None] = lambda: None) -> list[Any]:
    """``function(shared, task)`` for each task, in order, ``shared`` sent to each worker
    once (a model's weights and the data, with row chunks as the tasks): in this process when
    ``workers`` is 1, else on that many ``spawn`` processes, or on the cluster when one is
    named. The same plain-data rule as `run_tasks`."""
    from mlanim import cluster

    if cluster.address():
        return cluster.map_tasks(function, tasks, done, shared=shared)
    results = []
    if workers <= 1 or len(tasks) <= 1 or not can_start_processes():
        for task in tasks:
            results.append(function(shared, task))
            done()
        return results
    with spawned_pool(min(workers, len(tasks)), _keep_shared, (shared,)) as pool:
        for result in pool.imap(_with_shared, [(function, t) for t in tasks], chunksize=1):
            results.append(result)
            done()
    return results


def can_start_processes() -> bool:
    """Whether this process may start worker processes: not a daemon (a pool's or a Dask
    cluster's worker), whose parts run in place."""
    return not multiprocessing.current_process().daemon


def task_workers(tasks: int) -> int:
    """Processes for ``tasks`` independent runs: ``$MLANIM_WORKERS`` when set, else one per
    core (at most one per task)."""
    setting = os.environ.get("MLANIM_WORKERS", "").strip()
    cores = int(setting) if setting.isdigit() else (os.cpu_count() or 1)
    return max(1, min(cores, tasks))


_DONE = object()


def prefetch(items: Iterable[Any], depth: int = 4) -> Iterator[Any]:
    """Produce ``items`` on a background thread, up to ``depth`` ahead of the consumer.

    Drawing one frame while the encoder (which runs in C and releases the GIL) compresses the
    previous one overlaps the two on separate cores without starting any process.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
        except BaseException as error:  # handed to the consumer, re-raised there
            failure.append(error)
        finally:
            buffer.put(_DONE)

    worker = threading.Thread(target=produce, name="mlanim-draw", daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not _DONE:
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(0.01)
