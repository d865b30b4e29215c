"""Work sent to a Dask distributed cluster: the connection, and tasks mapped over its workers.

``--cluster tcp://HOST:PORT`` (or ``$MLANIM_CLUSTER``; ``local`` starts a cluster of this
machine's cores) sends tasks to a Dask scheduler instead of local processes. Tasks take plain
data (a spec as text with the bytes of the files it names, a seed, a chunk of grid points) and
a module-level function, never live modules or closures; results come back as plain data and
bytes, and the client writes every file itself, under a temporary name then renamed.

A task that raises is retried (`RETRIES` times) and one on a worker that dies is rescheduled
on another by Dask; a spec's own mistake (a `UserError`) is returned, not raised, since
retrying cannot fix it. Dask comes with the ``mlanim[dask]`` extra and is imported only here.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from mlanim import __version__
from mlanim.errors import UserError
from mlanim.extras import require
from mlanim.spawning import main_left_out

ENVIRONMENT = "MLANIM_CLUSTER"
RETRIES = 2  # a task that raises runs at most this many more times
CONNECT_SECONDS = 10
PROGRESS_TOPIC = "mlanim-progress"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_opened: list[Any] = []  # clients of this process, closed by `disconnect`


def address() -> str | None:
    """The cluster work goes to: ``$MLANIM_CLUSTER`` (set by ``--cluster``), or None; None
    inside a Dask worker, whose tasks run their own parts in place (a ``local`` cluster's
    workers inherit the variable)."""
    return os.environ.get(ENVIRONMENT, "").strip() or None if not _inside_worker() else None


def _inside_worker() -> bool:
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def client() -> Any:
    """The Dask client of `address` (``local``: a new cluster of one single-threaded worker
    process per core, listening on 127.0.0.1 only), its workers checked to run this mlanim;
    one per address for the life of the process."""
    where = address()
    if where is None:
        raise UserError("no Dask cluster is named", hint="use --cluster ADDRESS")
    return _client(where)


@contextlib.contextmanager
def using(where: str | None) -> Iterator[None]:
    """Work goes to the cluster at ``where`` (when not None) while the block runs."""
    if not where:
        yield
        return
    before = os.environ.get(ENVIRONMENT)
    os.environ[ENVIRONMENT] = where
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENVIRONMENT, None)
        else:
            os.environ[ENVIRONMENT] = before


@cache
def _client(where: str) -> Any:
    require("distributed", "dask", "--cluster", instead="render without --cluster")
    from distributed import Client, LocalCluster

    if where == "local":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
        with main_left_out():  # its worker processes are spawned as the executor's are
            cluster = LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.ERROR)
        connected = Client(cluster)
    else:
        _reachable(where)
        try:
            connected = Client(where, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as error:
            raise UserError(f"cannot reach the Dask scheduler at {where} ({error})",
                            hint="start one with `dask scheduler` and workers with `dask "
                                 "worker ADDRESS`, or use --cluster local") from None
    _opened.append(connected)
    _check_workers(connected, where)
    return connected


def disconnect() -> None:
    """Close every client this process opened (and a ``local`` cluster with it)."""
    for connected in _opened:
        with contextlib.suppress(Exception):
            cluster = connected.cluster
            connected.close()
            if cluster is not None:
                cluster.close()
    _opened.clear()
    _client.cache_clear()


@cache
def _reuse_large_blocks() -> None:
    """Undo, in a Dask worker, what its nanny's ``MALLOC_TRIM_THRESHOLD_`` does to glibc: with
    the variable set, every block of 128 KiB or more is mapped and unmapped anew, so each
    frame buffer pays its page faults again (rendering measured 1.5x slower). Blocks up to 32
    MiB come from the heap again, and are kept."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)
    libc.mallopt(M_TRIM_THRESHOLD, 64 * 2**20)


def _reachable(where: str) -> None:
    """Fail at once when nothing listens at ``where`` (Dask would keep trying until its
    time-out)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(where if "://" in where else f"tcp://{where}")
    try:
        socket.create_connection((parts.hostname or "", parts.port or 8786),
                                 timeout=CONNECT_SECONDS).close()
    except (OSError, ValueError) as error:
        raise UserError(f"cannot reach the Dask scheduler at {where} ({error})",
                        hint="start one with `dask scheduler` and workers with `dask worker "
                             "ADDRESS`, or use --cluster local") from None


def _check_workers(connected: Any, where: str) -> None:
    """Every worker must run this version of mlanim (tasks name its functions)."""
    versions = connected.run(_worker_version)
    if not versions:
        raise UserError(f"the Dask cluster at {where} has no workers",
                        hint="start some with `dask worker ADDRESS --nthreads 1`")
    wrong = {worker: v for worker, v in versions.items() if v != __version__}
    if wrong:
        worker, version = next(iter(wrong.items()))
        raise UserError(f"Dask worker {worker} runs mlanim {version}, this command "
                        f"{__version__}", hint="install the same mlanim on every worker")


def _worker_version() -> str | None:
    try:
        import mlanim
    except ImportError:
        return None
    return mlanim.__version__


def _call(function: Callable[..., Any], shared: Any, task: Any) -> Any:
    """Runs on a worker: ``function(task)``, or ``function(shared, task)`` with the data
    every task of one map shares (sent to each worker once)."""
    with one_thread():
        return function(task) if shared is None else function(shared, task)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread while a task runs: workers share the machine's cores, and the
    arithmetic is then the same as in mlanim's own worker processes."""
    import torch

    _reuse_large_blocks()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _submit(function: Callable[..., Any], tasks: list[Any], shared: Any
            ) -> tuple[Any, list[Any]]:
    """The client, and one retried future a task; ``shared`` sent to every worker once."""
    connected = client()
    common = connected.scatter(shared, broadcast=True, hash=False) if shared is not None \
        else None
    return connected, [connected.submit(_call, function, common, task, retries=RETRIES,
                                        pure=False) for task in tasks]


def map_tasks(function: Callable[..., Any], tasks: list[Any],
              done: Callable[[], None] = lambda: None, shared: Any = None) -> list[Any]:
    """``function`` over ``tasks`` on the cluster, results in order; ``done`` is called as
    each finishes. A task's exception is raised here once its retries are spent."""
    from distributed import as_completed

    connected, futures = _submit(function, tasks, shared)
    try:
        for _ in as_completed(futures):
            done()
        return connected.gather(futures)
    except BaseException:
        connected.cancel(futures)
        raise


def ordered(function: Callable[..., Any], tasks: list[Any], shared: Any = None
            ) -> Iterator[Any]:
    """``function`` over ``tasks`` on the cluster, each result yielded as soon as it and the
    ones before it are done (a stream for the encoder); the rest are cancelled when the
    consumer stops early."""
    connected, futures = _submit(function, tasks, shared)
    try:
        for future in futures:
            yield future.result()
    finally:
        connected.cancel([f for f in futures if not f.done()])


def report(text: str) -> None:
    """Send a progress line from a worker to the client's progress bars (nothing when this
    does not run in a Dask task)."""
    try:
        from distributed import get_worker

        get_worker().log_event(PROGRESS_TOPIC, text)
    except (ImportError, ValueError):
        pass
