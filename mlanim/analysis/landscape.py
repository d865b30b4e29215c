"""Loss landscapes: a 2-D slice of a trained network's loss around its final parameters.

Directions are the top two principal components of the recorded parameter trajectory (Li et
al. 2018's way to see the path training took) or filter-normalised random directions. The grid
evaluation uses that the first layer is linear in the grid coordinates: with weights
W0 + a*D1 + b*D2, the products X W0ᵀ, X D1ᵀ and X D2ᵀ are computed once and combined per grid
point; later layers are evaluated for a chunk of grid points at once with batched matmuls, the
chunk size measured on the machine at hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mlanim.train.losses import Loss, per_row

Params = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Directions:
    """Two directions in parameter space (same shapes as the parameters)."""

    one: Params
    two: Params
    explained: tuple[float, float] | None = None  # PCA: fraction of trajectory variance


def flatten(params: Params) -> torch.Tensor:
    """All parameters as one vector (in the dict's order)."""
    return torch.cat([p.reshape(-1) for p in params.values()])


def unflatten(vector: torch.Tensor, like: Params) -> Params:
    """A vector cut back into tensors shaped like ``like``."""
    out, at = {}, 0
    for name, p in like.items():
        out[name] = vector[at: at + p.numel()].reshape(p.shape)
        at += p.numel()
    return out


def pca_directions(trajectory: list[Params]) -> tuple[Directions, np.ndarray]:
    """Top two principal directions of ``trajectory - final`` and the trajectory's
    coordinates along them, shape (T, 2)."""
    final = flatten(trajectory[-1]).double()
    offsets = torch.stack([flatten(p).double() - final for p in trajectory])  # (T, P)
    _, singular, vh = torch.linalg.svd(offsets, full_matrices=False)
    one, two = vh[0], vh[1]
    total = float((singular**2).sum()) or 1.0
    explained = (float(singular[0] ** 2) / total, float(singular[1] ** 2) / total)
    coords = torch.stack([offsets @ one, offsets @ two], dim=1).numpy()
    like = trajectory[-1]
    return Directions(unflatten(one.float(), like), unflatten(two.float(), like), explained), \
        coords


def random_directions(origin: Params, seed: int) -> Directions:
    """Filter-normalised random directions (Li et al. 2018): each row of each weight matrix
    is scaled to the norm of the same row of the trained weights; biases get no direction."""
    generator = torch.Generator().manual_seed(seed)

    def one() -> Params:
        out = {}
        for name, p in origin.items():
            d = torch.randn(p.shape, generator=generator)
            if p.dim() == 1:
                d = torch.zeros_like(p)
            else:
                d = d * (p.norm(dim=1, keepdim=True) / (d.norm(dim=1, keepdim=True) + 1e-10))
            out[name] = d
        return out

    return Directions(one(), one())


def project(trajectory: list[Params], directions: Directions) -> np.ndarray:
    """Least-squares coordinates of each ``trajectory - final`` in the directions' plane."""
    final = flatten(trajectory[-1]).double()
    basis = torch.stack([flatten(directions.one), flatten(directions.two)], dim=1).double()
    offsets = torch.stack([flatten(p).double() - final for p in trajectory])
    solution = torch.linalg.lstsq(basis, offsets.T).solution  # (2, T)
    return solution.T.numpy()


CHUNKS = (2, 4, 8, 16, 32, 64)  # grid points per batched pass, tried in this order
CHUNK_BYTES = 64 * 2**20  # at most this much for a chunk's largest layer output
CALIBRATION_SECONDS = 0.02  # each candidate runs at least this long, on real grid points
_chosen: dict[tuple, int] = {}  # the chunk size measured best, by problem shape


@torch.inference_mode()
def evaluate_plane(model: nn.Sequential, origin: Params, directions: Directions,
                   x: torch.Tensor, y: torch.Tensor, coords: np.ndarray,
                   loss: Loss = functional.cross_entropy, chunk: int | None = None
                   ) -> np.ndarray:
    """Mean ``loss`` (one of `mlanim.train.losses`) over (x, y) at ``origin + a*one + b*two``
    for each (a, b) row of ``coords``.

    ``model`` must be a Sequential of Linear layers and elementwise activations (mlanim's
    MLPs); its own parameters are not used or changed. Grid points go through ``chunk`` at a
    time. The best chunk is a property of the CPU's caches and the problem's sizes (on one
    2-core machine 4 was best, on another 16), so by default the first grid points are spent
    measuring the candidates that fit in `CHUNK_BYTES`, and the fastest is kept for the rest
    and for later grids of the same shape. Every point's value is the same whatever the chunk.
    """
    plane = _Plane(model, origin, directions, x, y, loss)
    grid = torch.as_tensor(np.asarray(coords), dtype=torch.float32)
    out = np.empty(len(grid), dtype=np.float64)
    fitting = [c for c in CHUNKS if c * plane.largest_row_bytes <= CHUNK_BYTES] or [1]
    key = (plane.shape, torch.get_num_threads())
    start = 0
    if chunk is None and key not in _chosen:
        start, seconds_per_point = plane.calibrate(grid, out, fitting)
        _chosen[key] = min(seconds_per_point, key=seconds_per_point.__getitem__)
    chunk = chunk or _chosen[key]
    for at in range(start, len(grid), chunk):
        out[at: at + chunk] = plane.evaluate(grid[at: at + chunk])
    return out


ROWS_A_TASK = 400  # grid points a task (or a progress step) evaluates


@dataclass(frozen=True)
class Plane:
    """A landscape's plane as plain data, to send to other processes once: an MLP's widths and
    activation, its loss, the origin and the two directions (numpy arrays by parameter
    name), and the training data."""

    widths: list[int]
    activation: str
    loss: str
    task: str
    origin: dict[str, np.ndarray]
    one: dict[str, np.ndarray]
    two: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray


def plane_losses(plane: Plane, coords: np.ndarray) -> np.ndarray:
    """The loss at each (a, b) row of ``coords`` on ``plane`` (a task of `map_shared`): the
    same values wherever it runs, as every point's value is computed alone."""
    from mlanim import models
    from mlanim.train.losses import make_loss

    model = models.mlp(plane.widths[0], plane.widths[1:-1], plane.widths[-1], plane.activation)
    tensors = [{k: torch.from_numpy(v) for k, v in part.items()}
               for part in (plane.origin, plane.one, plane.two)]
    return evaluate_plane(model, tensors[0], Directions(tensors[1], tensors[2]),
                          torch.from_numpy(plane.x), torch.from_numpy(plane.y), coords,
                          make_loss(plane.loss, plane.task))


class _Plane:
    """One model's loss on a plane of parameters, evaluated for batches of grid points.

    The first layer is linear in the grid coordinates, so X W0ᵀ, X D1ᵀ and X D2ᵀ are computed
    once and combined per point with fused `addcmul`s; later layers run as batched matmuls."""

    def __init__(self, model: nn.Sequential, origin: Params, directions: Directions,
                 x: torch.Tensor, y: torch.Tensor, loss: Loss) -> None:
        layers = list(model.named_children())
        at = next(k for k, (_, m) in enumerate(layers) if isinstance(m, nn.Linear))
        self.first, self.later = layers[at][0], layers[at + 1:]  # the first Linear, what follows
        self.origin, self.directions, self.y = origin, directions, y
        self.loss = per_row(loss)
        w, d1, d2 = (p[f"{self.first}.weight"] for p in (origin, directions.one, directions.two))
        self.base, self.along_one, self.along_two = x @ w.T, x @ d1.T, x @ d2.T  # (N, h)
        widths = [m.out_features for _, m in layers if isinstance(m, nn.Linear)]
        self.shape = (len(x), x.shape[1], *widths)
        self.largest_row_bytes = len(x) * max(widths) * 4
        # Buffers reused across chunks: fresh multi-megabyte temporaries per chunk cross glibc's
        # mmap threshold and pay page faults every time (measured: 3x slower on long grids).
        self._buffers: dict[str, torch.Tensor] = {}

    def calibrate(self, grid: torch.Tensor, out: np.ndarray, chunks: list[int]
                  ) -> tuple[int, dict[int, float]]:
        """Evaluate the first grid points with each chunk size in turn, for at least
        `CALIBRATION_SECONDS` each; returns where it stopped and the seconds per point."""
        at, seconds_per_point = 0, {}
        for chunk in chunks:
            began, done = time.perf_counter(), 0
            while at < len(grid) and (done < 2 * chunk
                                      or time.perf_counter() - began < CALIBRATION_SECONDS):
                points = grid[at: at + chunk]
                out[at: at + len(points)] = self.evaluate(points)
                done, at = done + len(points), at + len(points)
            if done:
                seconds_per_point[chunk] = (time.perf_counter() - began) / done
        return at, seconds_per_point or {chunks[0]: 0.0}

    def evaluate(self, points: torch.Tensor) -> np.ndarray:
        """The loss at each (a, b) row of ``points``."""
        o, one, two = self.origin, self.directions.one, self.directions.two
        a, b = points[:, 0, None, None], points[:, 1, None, None]  # (g, 1, 1)
        name = self.first
        h = self._buffer("first", len(a), self.base.shape)
        torch.add(self.base, o[f"{name}.bias"] + a * one[f"{name}.bias"]
                  + b * two[f"{name}.bias"], out=h)  # (g, N, h)
        h.addcmul_(a, self.along_one).addcmul_(b, self.along_two)
        for name, module in self.later:
            if isinstance(module, nn.Linear):
                weight = o[f"{name}.weight"] + a * one[f"{name}.weight"] \
                    + b * two[f"{name}.weight"]  # (g, out, in)
                bias = o[f"{name}.bias"] + a[..., 0] * one[f"{name}.bias"] \
                    + b[..., 0] * two[f"{name}.bias"]  # (g, out)
                target = self._buffer(name, len(a), (h.shape[1], weight.shape[1]))
                h = torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2), out=target)
            elif isinstance(module, nn.ReLU):
                h.relu_()
            elif isinstance(module, nn.Tanh):
                h.tanh_()
            elif isinstance(module, nn.Sigmoid):
                h.sigmoid_()
            elif not isinstance(module, nn.Dropout):
                h = module(h)
        return self.loss(h, self.y).double().numpy()

    def _buffer(self, name: str, rows: int, shape: tuple[int, ...]) -> torch.Tensor:
        """A reused (rows, *shape) buffer, grown when a larger chunk asks for one."""
        buffer = self._buffers.get(name)
        if buffer is None or len(buffer) < rows:
            buffer = self._buffers[name] = torch.empty((rows, *shape))
        return buffer[:rows]
