"""A classifier's output over a plane: class probabilities from logits, and the margins whose
zero lines are its decision boundaries (shared by the kinds that draw them)."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from recorded logits, along the last axis (float32).

    Where a diverged network output NaN or infinity, the probabilities are uniform: the
    picture shows no opinion rather than an invented one.
    """
    z = logits.astype(np.float32)
    broken = ~np.isfinite(z).all(axis=-1, keepdims=True)
    z = np.where(broken, 0.0, z)
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def margins(probs: np.ndarray) -> list[np.ndarray]:
    """Per-class margin ``p_k - max_{j != k} p_j``; the boundary is where a margin is 0.

    Two classes need one margin (the other is its negative).
    """
    classes = probs.shape[-1]
    out = []
    for k in range(1 if classes == 2 else classes):
        others = np.delete(probs, k, axis=-1).max(axis=-1)
        out.append(probs[..., k] - others)
    return out


def boundary_lines(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray) -> list[np.ndarray]:
    """Where the predicted class flips, as polylines of (x, y) points in the grid's own
    coordinates: the zero lines of the class margins of ``probs`` (len(ys), len(xs), K)."""
    import contourpy

    lines = []
    for margin in margins(probs):
        if margin.min() < 0 < margin.max():
            generator = contourpy.contour_generator(xs, ys, margin)
            lines += [piece for piece in generator.lines(0.0) if len(piece) > 1]
    return lines
