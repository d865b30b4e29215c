"""embedding_umap: projecting a layer's representation with method umap, every point kept.

1. 10,000 points x 45 snapshots (a digits MLP trained on 10,000 augmented digit images):
   mlanim's warm-started UMAP, seconds. Target: < 180 s on this 2-core machine.
2. Side by side on 1,797 points x 20 snapshots: mlanim vs umap-learn's AlignedUMAP (the
   baseline the issue measured at 315 s), time and stability (mean displacement between
   snapshots relative to the layout's size; lower is steadier).

Run: .venv/bin/python benchmarks/embedding_umap.py
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import print_machine, stopwatch, write_spec

from mlanim import pipeline
from mlanim.analysis.projection import layouts, stability
from mlanim.progress import SilentProgress

TARGET_SECONDS = 180


def recorded_layer(spec: Path) -> np.ndarray:
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    return trace.values(trace.meta["embed"]["channel"])


def aligned_umap(values: np.ndarray, seed: int) -> np.ndarray:
    import umap

    relations = [dict(zip(range(values.shape[1]), range(values.shape[1]), strict=True))
                 for _ in range(len(values) - 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = umap.AlignedUMAP(random_state=seed).fit(list(values), relations=relations)
    return np.stack(fitted.embeddings_)


def main() -> None:
    print_machine()
    layouts("umap", np.random.default_rng(0).normal(size=(2, 300, 8)))  # numba compiles once
    with tempfile.TemporaryDirectory() as folder:
        values = recorded_layer(write_spec(Path(folder), "method: umap"))
    with stopwatch() as elapsed:
        big = layouts("umap", values)
    seconds = elapsed[0]
    print(f"10,000 points x {len(values)} snapshots: {seconds:.1f} s, "
          f"stability {stability(big):.3f}")

    small = values[:20, :1797]
    with stopwatch() as ours_time:
        ours = layouts("umap", small)
    with stopwatch() as their_time:
        theirs = aligned_umap(small, seed=0)
    ours_s, theirs_s = ours_time[0], their_time[0]
    print(f"1,797 points x 20 snapshots: mlanim {ours_s:.1f} s (stability "
          f"{stability(ours):.3f}), AlignedUMAP {theirs_s:.1f} s (stability "
          f"{stability(theirs):.3f}): {theirs_s / ours_s:.1f}x faster")
    print(f"embedding_umap: {seconds:.0f} s for 10k x {len(values)} (target < {TARGET_SECONDS} "
          f"s); {theirs_s / ours_s:.1f}x AlignedUMAP's speed")


if __name__ == "__main__":
    main()
