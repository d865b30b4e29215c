"""2-D layouts of recorded representations, one per snapshot, that do not jump between snapshots.

- ``pca``: one basis, fitted on one snapshot (the last by default), for every snapshot: the
  picture cannot spin, and distances are the representation's own, linearly.
- ``star``: star coordinates of class probabilities, sum_c p_c (cos θ_c, sin θ_c), one axis per
  class on a circle: a confident prediction sits at its class's vertex.
- ``umap`` and ``tsne``: each snapshot warm-starts from the previous snapshot's layout, with a
  short optimisation, and UMAP layouts are then aligned to the previous one by a Procrustes
  rotation and scale. Measured on a digits MLP (1,797 points x 41 epochs): 9x (UMAP) and 17x
  (t-SNE) smaller displacement between epochs than independent fits, 4-6x faster, with class
  separation at the last epoch within 0.06 silhouette of an independent fit; UMAP's warm steps
  at a quarter of the learning rate make it as steady as umap-learn's AlignedUMAP, which is
  about 80x slower (benchmarks/README.md).

`stability` is the figure the tests hold these to: mean point displacement between consecutive
snapshots, relative to the layout's size.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Callable

import numpy as np

from mlanim.progress import Progress, SilentProgress

NEIGHBORS = 15
UMAP_FIRST_EPOCHS = 200  # optimisation epochs for the first snapshot's layout
UMAP_WARM_EPOCHS = 30  # and for each later one, starting from the previous layout
UMAP_WARM_LEARNING_RATE = 0.25  # gentler steps from a warm start: as steady as AlignedUMAP
TSNE_WARM_ITERATIONS = 100


def layouts(method: str, values: np.ndarray, seed: int = 0, basis: int = -1,
            progress: Progress | None = None) -> np.ndarray:
    """(S, N, 2) layouts of ``values`` (S snapshots, N points, D dims), by ``method``."""
    progress = progress or SilentProgress()
    values = np.asarray(values, dtype=np.float32)
    if method == "pca":
        return pca_layouts(values, basis)
    if method == "star":
        return star_layouts(values)
    fit = umap_layouts if method == "umap" else tsne_layouts
    with progress.task(f"{method} layouts", total=len(values)) as bar:
        return fit(values, seed, bar.advance)


def finite_snapshots(values: np.ndarray) -> int:
    """How many snapshots, from the first, hold only finite values (a run that diverged
    holds NaN from some snapshot on)."""
    finite = np.isfinite(np.asarray(values).reshape(len(values), -1)).all(axis=1)
    return int(len(finite) if finite.all() else finite.argmin())


def pca_layouts(values: np.ndarray, basis: int = -1) -> np.ndarray:
    """Every snapshot projected on the two principal axes of snapshot ``basis``, centred on that
    snapshot's mean; each axis's sign fixed so the largest loading is positive."""
    reference = values[basis].astype(np.float64)
    mean = reference.mean(axis=0)
    _, _, vt = np.linalg.svd(reference - mean, full_matrices=False)
    axes = vt[:2]
    if len(axes) < 2:  # a one-unit layer: its value, and zero
        axes = np.vstack([axes, np.zeros_like(axes)])
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1, signs)[:, None]
    return ((values - mean) @ axes.T).astype(np.float32)


def star_layouts(probabilities: np.ndarray) -> np.ndarray:
    """Star coordinates: class c's axis points at angle 90° + 360° c / C on the unit circle."""
    classes = probabilities.shape[-1]
    angles = np.pi / 2 + 2 * np.pi * np.arange(classes) / classes
    vertices = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (C, 2)
    return (probabilities @ vertices).astype(np.float32)


def star_vertices(classes: int) -> np.ndarray:
    """Where each class's axis ends (C, 2), as `star_layouts` places them."""
    return star_layouts(np.eye(classes, dtype=np.float32))


def nearest_neighbors(x: np.ndarray, k: int = NEIGHBORS) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (self included) by squared distances computed in blocks with
    torch: faster than approximate search up to tens of thousands of points."""
    import torch

    points = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    squares = (points * points).sum(dim=1)
    indices, distances = [], []
    for start in range(0, len(points), 2048):
        block = points[start: start + 2048]
        d2 = squares[start: start + 2048, None] - 2 * block @ points.T + squares[None]
        nearest, index = d2.clamp_min_(0).topk(min(k, len(points)), largest=False)
        indices.append(index)
        distances.append(nearest.sqrt_())
    return (torch.cat(indices).numpy().astype(np.int32),
            torch.cat(distances).numpy().astype(np.float32))


def share_numba_cache() -> None:
    """numba keeps what it compiles for umap in mlanim's cache folder, which every process
    (worker processes, cluster workers on this machine) shares: the first render compiles, the
    later ones, in any process, load (also where site-packages is read-only). Must run before
    numba is first imported; a folder the user set is kept."""
    if "numba" not in sys.modules:
        from mlanim.trace.cache import cache_dir

        os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))


def umap_layouts(values: np.ndarray, seed: int, advance: Callable[[], None] = lambda: None
                 ) -> np.ndarray:
    """UMAP per snapshot, each warm-started from the previous layout and aligned to it."""
    share_numba_cache()
    import umap

    result = []
    for index, snapshot in enumerate(values):
        knn = nearest_neighbors(snapshot, min(NEIGHBORS, len(snapshot) - 1))
        first = index == 0
        reducer = umap.UMAP(n_neighbors=knn[0].shape[1], random_state=seed, n_jobs=1,
                            n_epochs=UMAP_FIRST_EPOCHS if first else UMAP_WARM_EPOCHS,
                            init="spectral" if first else result[-1],
                            learning_rate=1.0 if first else UMAP_WARM_LEARNING_RATE,
                            precomputed_knn=(*knn, None), low_memory=True)
        with warnings.catch_warnings():  # n_jobs with a seed, and "no search index" notes
            warnings.simplefilter("ignore")
            layout = reducer.fit_transform(snapshot).astype(np.float32)
        result.append(layout if first else procrustes(result[-1], layout))
        advance()
    return np.stack(result)


def tsne_layouts(values: np.ndarray, seed: int, advance: Callable[[], None] = lambda: None
                 ) -> np.ndarray:
    """t-SNE (openTSNE) per snapshot, each warm-started from the previous layout."""
    from openTSNE import TSNEEmbedding, affinity, initialization

    result: list[np.ndarray] = []
    for snapshot in values:
        data = snapshot.astype(np.float64)
        perplexity = min(30.0, (len(data) - 1) / 3)
        method = "exact" if len(data) < 3000 else "annoy"
        neighbors = affinity.PerplexityBasedNN(data, perplexity=perplexity, method=method,
                                               n_jobs=2, random_state=seed, verbose=False)
        if not result:
            start = initialization.pca(data, random_state=seed)
            layout = TSNEEmbedding(start, neighbors, n_jobs=2, random_state=seed)
            layout = layout.optimize(250, exaggeration=12, momentum=0.5).optimize(500)
        else:
            layout = TSNEEmbedding(result[-1].astype(np.float64), neighbors, n_jobs=2,
                                   random_state=seed).optimize(TSNE_WARM_ITERATIONS)
        result.append(np.asarray(layout, dtype=np.float32))
        advance()
    return np.stack(result)


def procrustes(target: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """``layout`` rotated (or reflected), scaled and shifted to best match ``target``."""
    from scipy.linalg import orthogonal_procrustes

    a = target - target.mean(axis=0)
    b = layout - layout.mean(axis=0)
    rotation, _ = orthogonal_procrustes(b, a)
    scale = np.sqrt((a ** 2).sum() / max(float((b ** 2).sum()), 1e-12))
    return (b @ rotation * scale + target.mean(axis=0)).astype(np.float32)


def stability(layouts: np.ndarray) -> float:
    """Mean displacement of a point between consecutive snapshots, relative to the layout's
    size (root-mean-square distance from its centre); 0 means nothing moved."""
    steps = []
    for before, after in itertools.pairwise(layouts):
        size = np.sqrt(((after - after.mean(axis=0)) ** 2).sum(axis=1).mean())
        steps.append(np.linalg.norm(after - before, axis=1).mean() / max(size, 1e-12))
    return float(np.mean(steps)) if steps else 0.0
