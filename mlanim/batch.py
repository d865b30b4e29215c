"""Many specs at once: each rendered whole by a worker process, the outcomes reported in the
specs' order.

Workers are spawned (never forked from a process that has torch's threads running), take plain
data (the spec's path and the render options) and return plain data (the paths written, the
warnings, or the one-line error), and run torch and BLAS on one thread each, so N workers do not
fight over the cores. Every file a worker writes goes through the same temporary-name-then-
rename rule as a serial render, and traces land in the shared cache, keyed by content.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from mlanim.errors import UserError
from mlanim.pipeline import RenderOptions

WORKER_BYTES = 2 * 2**30  # memory set aside for each worker when choosing how many to start
STOP_SECONDS = 10.0  # a stopped worker's time to clean up before it is killed
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class Outcome:
    """What rendering one spec gave: the files written and warnings, or an error and the exit
    code it means (2 bad input, 1 internal fault)."""

    paths: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    code: int = 0


def default_jobs(specs: int) -> int:
    """Workers for ``specs`` specs: one per core this process may use, no more than the specs,
    and no more than the free memory allows at `WORKER_BYTES` each."""
    from mlanim.models import available_memory

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    free = available_memory()
    by_memory = max(1, free // WORKER_BYTES) if free else specs
    return max(1, min(cores or 1, specs, by_memory))


def render_many(specs: list[Path], options: RenderOptions, jobs: int
                ) -> Iterator[tuple[Path, Outcome]]:
    """Render ``specs`` on ``jobs`` worker processes; yields each spec's outcome in the order
    of ``specs`` as soon as it and every spec before it are done. On an interrupt the specs
    not yet started are cancelled and the running workers are stopped (they remove their
    partial files) before the interrupt goes on; the pool is not waited for then, as a worker
    stopped at the wrong moment can leave it waiting forever."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker)
    try:
        with _sigint_ignored():  # workers start with it ignored: Ctrl-C is the parent's to handle
            futures = [pool.submit(render_one, str(spec), options) for spec in specs]
        for spec, future in zip(specs, futures, strict=True):
            yield spec, _outcome(spec, future)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        _stop(multiprocessing.active_children())
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while worker processes start (an ignored signal stays ignored across
    exec), then handled as before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop(workers: list, grace: float = STOP_SECONDS) -> None:
    """SIGTERM to every worker (each removes its partial files and exits), then SIGKILL to any
    still there after ``grace`` seconds: a worker stopped while holding the result queue's
    lock could otherwise keep the others, and the command, waiting forever."""
    for worker in workers:
        worker.terminate()
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join()


def _outcome(spec: Path, future: Future) -> Outcome:
    try:
        return future.result()
    except BrokenProcessPool:
        return Outcome(error=f"{spec}: internal fault: the worker process rendering it stopped "
                             "(out of memory or killed); render it alone to see why", code=1)


def _start_worker() -> None:
    """Runs first in each worker: one thread for torch and BLAS; Ctrl-C left to the parent
    (which stops the workers), and SIGTERM as an exit that runs every clean-up on the way, so
    a stopped worker removes its partial files and prints no traceback."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, stop)  # SIGINT stays ignored, as it was when it started


def render_on_cluster(specs: list[Path], options: RenderOptions
                      ) -> Iterator[tuple[Path, Outcome]]:
    """Render ``specs`` as tasks of the Dask cluster (`mlanim.cluster`); yields each spec's
    outcome in the order of ``specs``. Each spec is checked and packed with its files here
    (a mistake is reported without sending anything), rendered by a worker, and its outputs
    written here; a task that fails is retried, and one that fails on every try reports the
    spec's own error. On an interrupt the tasks are cancelled and no output is written."""
    from mlanim import cluster
    from mlanim.package import finished, pack, render_package

    connected = cluster.client()
    shipments: list = []
    for spec in specs:
        try:
            shipment = pack(spec, options)
        except UserError as err:
            shipments.append(Outcome(error=str(err), code=2))
            continue
        done = None if options.fresh else finished(shipment)
        shipments.append(shipment if done is None else Outcome(tuple(str(p) for p in done)))
    futures = [None if isinstance(item, Outcome) else connected.submit(
        render_package, item.package, key=f"mlanim-render-{item.package.digest}",
        retries=cluster.RETRIES, pure=False) for item in shipments]
    try:
        for spec, item, future in zip(specs, shipments, futures, strict=True):
            yield spec, item if future is None else _delivered(spec, item, future)
    except BaseException:
        connected.cancel([f for f in futures if f is not None])
        raise


def _delivered(spec: Path, shipment, future) -> Outcome:
    from mlanim.package import deliver, remember

    try:
        delivery = future.result()
    except Exception as err:  # the task failed on every try, or its workers kept dying
        reason = f"{type(err).__name__}: {err}".strip()
        return Outcome(error=f"{spec}: internal fault on the cluster: {reason} (render it "
                             "alone with --debug for details)", code=1)
    if delivery.error:
        return Outcome(warnings=delivery.warnings, error=delivery.error, code=2)
    try:
        paths = deliver(shipment, delivery)
    except UserError as err:
        return Outcome(warnings=delivery.warnings, error=str(err), code=2)
    remember(shipment, delivery)
    return Outcome(tuple(str(p) for p in paths), delivery.warnings)


def render_one(spec: str, options: RenderOptions) -> Outcome:
    """Render one spec quietly and say how it went (runs in a worker process)."""
    from mlanim import pipeline
    from mlanim.progress import SilentProgress
    from mlanim.quiet import quieted

    progress = SilentProgress()
    try:
        with quieted():  # a worker's stderr is the user's terminal too
            paths = pipeline.render(Path(spec), options, progress)
    except UserError as err:
        return Outcome(warnings=tuple(progress.warnings), error=str(err), code=2)
    except Exception as err:  # reported as the spec's own fault; the other specs go on
        return Outcome(warnings=tuple(progress.warnings), code=1,
                       error=f"{spec}: internal fault: {type(err).__name__}: {err} (render it "
                             "alone with --debug for details)")
    return Outcome(tuple(str(p) for p in paths), tuple(progress.warnings))
