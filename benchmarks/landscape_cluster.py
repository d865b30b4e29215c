"""landscape_cluster: an 81x81 loss-landscape grid (a 2-64-64-2 MLP on 2,000 points) mapped
over a Dask cluster of this machine, two single-threaded workers vs one, through the same
`map_shared` call a spec's landscape uses; the plane is sent to each worker once. Workers are
started (and their imports warmed) before the clock starts. Target: at most 0.6x with two.

Run: .venv/bin/python benchmarks/landscape_cluster.py
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
from _common import print_machine, stopwatch
from sklearn.datasets import make_moons

from mlanim import cluster, models
from mlanim.analysis.landscape import ROWS_A_TASK, Plane, plane_losses, random_directions
from mlanim.executor import map_shared

RESOLUTION = 81
TARGET = 0.6


def plane() -> Plane:
    """A freshly initialised MLP's plane through random directions, on the moons."""
    x, y = make_moons(2000, noise=0.2, random_state=0)
    torch.manual_seed(0)
    model = models.mlp(2, [64, 64], 2, "tanh")
    origin = {k: v.detach() for k, v in model.state_dict().items()}
    directions = random_directions(origin, 0)
    as_numpy = lambda params: {k: v.numpy() for k, v in params.items()}  # noqa: E731
    return Plane([2, 64, 64, 2], "tanh", "cross_entropy", "classification",
                 as_numpy(origin), as_numpy(directions.one), as_numpy(directions.two),
                 x.astype(np.float32), y.astype(np.int64))


def seconds(shared: Plane, blocks: list[np.ndarray], workers: int) -> tuple[float, np.ndarray]:
    """Wall time of the grid on a local cluster of ``workers`` workers, and its values."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as local, Client(local) as client:
        client.run(lambda: __import__("mlanim.analysis.landscape"))
        with cluster.using(local.scheduler_address), stopwatch() as elapsed:
            values = np.concatenate(map_shared(plane_losses, shared, blocks, 1))
        cluster.disconnect()
    return elapsed[0], values


def main() -> None:
    print_machine()
    axis = np.linspace(-1, 1, RESOLUTION)
    a, b = np.meshgrid(axis, axis)
    coords = np.stack([a.ravel(), b.ravel()], axis=1)
    blocks = [coords[k: k + ROWS_A_TASK] for k in range(0, len(coords), ROWS_A_TASK)]
    shared = plane()
    runs: dict[int, list[float]] = {1: [], 2: []}
    results = {}
    for _ in range(2):  # interleaved, so machine noise hits both alike
        for workers in (1, 2):
            took, results[workers] = seconds(shared, blocks, workers)
            runs[workers].append(took)
    assert np.array_equal(results[1], results[2]), "the split changed the values"
    one, two = min(runs[1]), min(runs[2])
    print(f"{len(coords)} grid points, {len(blocks)} tasks: 1 worker {one:.2f} s, 2 workers "
          f"{two:.2f} s ({len(coords) / two:,.0f} points/s); values identical")
    print(f"landscape_cluster: {two / one:.2f}x with 2 workers vs 1 (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
