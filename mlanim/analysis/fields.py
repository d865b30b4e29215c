"""A classifier's output over a plane: class probabilities from logits, and the margins whose
zero lines are its decision boundaries (shared by the kinds that draw them)."""

from __future__ import annotations

import itertools

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


def boundary_polygons(weight: np.ndarray, bias: np.ndarray,
                      ranges: list[tuple[float, float]]) -> list[tuple[int, int, np.ndarray]]:
    """A linear classifier's decision boundaries in a 3-D box: for each pair of classes
    (i, j), the flat polygon where their logits ``weight @ h + bias`` tie and no other class
    scores higher, cut to the box ``ranges``; as (i, j, vertices (M, 3) in order)."""
    corners = np.array(list(itertools.product(*ranges)), dtype=float)
    edges = [(a, b) for a, b in itertools.combinations(range(len(corners)), 2)
             if np.count_nonzero(corners[a] != corners[b]) == 1]
    polygons = []
    for i, j in itertools.combinations(range(len(weight)), 2):
        polygon = _plane_in_box(weight[i] - weight[j], bias[i] - bias[j], corners, edges)
        for k in range(len(weight)):
            if k not in (i, j) and len(polygon) >= 3:
                polygon = _keep_side(polygon, weight[i] - weight[k], bias[i] - bias[k])
        if len(polygon) >= 3:
            polygons.append((i, j, polygon))
    return polygons


def _plane_in_box(normal: np.ndarray, offset: float, corners: np.ndarray,
                  edges: list[tuple[int, int]]) -> np.ndarray:
    """Where the plane ``normal · h + offset = 0`` crosses the box: its crossings of the box's
    edges, ordered around their centre."""
    side = corners @ normal + offset
    points = [corners[a] + (corners[b] - corners[a]) * side[a] / (side[a] - side[b])
              for a, b in edges if side[a] * side[b] < 0]
    if len(points) < 3:
        return np.zeros((0, 3))
    points = np.array(points)
    centre = points.mean(axis=0)
    u = points[0] - centre
    v = np.cross(normal, u)
    angles = np.arctan2((points - centre) @ v, (points - centre) @ u)
    return points[np.argsort(angles)]


def _keep_side(polygon: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """The part of a convex polygon where ``normal · h + offset >= 0`` (Sutherland-Hodgman)."""
    kept = []
    side = polygon @ normal + offset
    for k in range(len(polygon)):
        p, q, sp, sq = polygon[k], polygon[(k + 1) % len(polygon)], side[k], \
            side[(k + 1) % len(polygon)]
        if sp >= 0:
            kept.append(p)
        if sp * sq < 0:
            kept.append(p + (q - p) * sp / (sp - sq))
    return np.array(kept) if kept else np.zeros((0, 3))
