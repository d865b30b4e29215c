"""Loss landscapes: a 2-D slice of a trained network's loss around its final parameters.

Directions are the top two principal components of the recorded parameter trajectory (Li et
al. 2018's way to see the path training took) or filter-normalised random directions. The grid
evaluation uses that the first layer is linear in the grid coordinates: with weights
W0 + a*D1 + b*D2, the products X W0ᵀ, X D1ᵀ and X D2ᵀ are computed once and combined per grid
point; later layers are evaluated for a chunk of grid points at once with batched matmuls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mlanim.train.losses import Loss

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


@torch.inference_mode()
def evaluate_plane(model: nn.Sequential, origin: Params, directions: Directions,
                   x: torch.Tensor, y: torch.Tensor, coords: np.ndarray,
                   loss: Loss = functional.cross_entropy, chunk: int = 4) -> np.ndarray:
    """Mean ``loss`` (one of `mlanim.train.losses`) over (x, y) at ``origin + a*one + b*two``
    for each (a, b) row of ``coords``.

    ``model`` must be a Sequential of Linear layers and elementwise activations (mlanim's
    MLPs); its own parameters are not used or changed. Grid points go through in chunks of
    ``chunk``: small chunks keep the per-point temporaries in cache (measured best at 4;
    8 and above fall to half the speed on this 2-core machine).
    """
    layers = list(model.named_children())
    linears = [name for name, m in layers if isinstance(m, nn.Linear)]
    first = linears[0]
    w, d1, d2 = (origin[f"{first}.weight"], directions.one[f"{first}.weight"],
                 directions.two[f"{first}.weight"])
    base, along_one, along_two = x @ w.T, x @ d1.T, x @ d2.T  # (N, h), computed once
    b0, db1, db2 = (origin[f"{first}.bias"], directions.one[f"{first}.bias"],
                    directions.two[f"{first}.bias"])
    grid = torch.as_tensor(np.asarray(coords), dtype=torch.float32)
    out = np.empty(len(grid), dtype=np.float64)
    # Buffers reused across chunks: fresh multi-megabyte temporaries per chunk cross glibc's
    # mmap threshold and pay page faults every time (measured: 3x slower on long grids).
    first_out = torch.empty((chunk, *base.shape))
    buffers: dict[str, torch.Tensor] = {}
    for start in range(0, len(grid), chunk):
        a = grid[start: start + chunk, 0][:, None, None]  # (g, 1, 1)
        b = grid[start: start + chunk, 1][:, None, None]
        h = first_out[: len(a)]
        torch.add(base, b0 + a * db1 + b * db2, out=h)  # (g, N, h)
        h.addcmul_(a, along_one).addcmul_(b, along_two)
        after_first = False
        for name, module in layers:
            if name == first:
                after_first = True
                continue
            if not after_first:
                continue
            if isinstance(module, nn.Linear):
                weight = origin[f"{name}.weight"] + a * directions.one[f"{name}.weight"] \
                    + b * directions.two[f"{name}.weight"]  # (g, out, in)
                bias = origin[f"{name}.bias"] + a[..., 0] * directions.one[f"{name}.bias"] \
                    + b[..., 0] * directions.two[f"{name}.bias"]  # (g, out)
                target = buffers.setdefault(name, torch.empty((chunk, h.shape[1],
                                                               weight.shape[1])))[: len(a)]
                h = torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2), out=target)
            elif isinstance(module, nn.ReLU):
                h.relu_()
            elif isinstance(module, nn.Tanh):
                h.tanh_()
            elif isinstance(module, nn.Sigmoid):
                h.sigmoid_()
            elif not isinstance(module, nn.Dropout):
                h = module(h)
        out[start: start + len(h)] = [float(loss(logits, y)) for logits in h]
    return out
