"""Small charts as `Picture` shapes: a line chart drawn up to the current moment, and matrices
shown as coloured cells. Every backend paints them alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.render import display as d
from mlanim.render.theme import Theme, rgb

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Series:
    """One curve of a line chart: y ``values`` at the chart's x positions."""

    label: str
    values: np.ndarray
    color: str
    dashed: bool = False
    percent: bool = False  # show the current value as a percentage


def line_chart(box: Box, x: np.ndarray, series: Sequence[Series], now: float, theme: Theme,
               x_label: str, top: float | None = None) -> list[d.Shape]:
    """Curves over ``x`` drawn up to ``now`` (interpolated there), their current values
    labelled above the box; the y axis runs from 0 to ``top`` (default: the largest value)."""
    x0, y0, w, h = box
    x = np.asarray(x, dtype=float)
    span = float(x[-1] - x[0]) or 1.0
    top = top or max(float(np.nanmax(s.values)) for s in series) * 1.1 or 1.0
    shapes: list[d.Shape] = [
        d.Rect(box, theme.panel, theme.grid, 1.0),
        d.Label((x0 + w, y0 - 0.012), x_label, 9, theme.muted, "right", "top"),
        d.Label((x0 - 0.006, y0 + h), f"{top:.2g}", 9, theme.muted, "right", "top"),
        d.Label((x0 - 0.006, y0), "0", 9, theme.muted, "right", "bottom")]
    label_y = y0 + h + 0.015
    upto = x <= now + 1e-9
    for s in series:
        value = float(np.interp(now, x, s.values))
        xs = [*(x0 + w * (x[upto] - x[0]) / span), x0 + w * (now - x[0]) / span]
        ys = [*(y0 + h * np.clip(s.values[upto] / top, 0, 1)), y0 + h * min(value / top, 1)]
        if len(xs) > 1:
            shapes.append(d.Polyline(tuple(zip(xs, ys, strict=True)), s.color, 2.0, s.dashed))
        shown = f"{value:.0%}" if s.percent else f"{value:.3f}"
        shapes.append(d.Label((x0, label_y), f"{s.label} {shown}", 10.5, s.color, "left",
                              "bottom"))
        label_y += 0.042
    return shapes


def sequential_pixels(values: np.ndarray, color: str, theme: Theme,
                      hidden: np.ndarray | None = None) -> np.ndarray:
    """Values in [0, 1] as RGB cells blended from the panel colour to ``color``; ``hidden``
    cells (masked out) take the grid colour."""
    low, high = np.array(rgb(theme.panel)), np.array(rgb(color))
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0, 1)[..., None]
    pixels = low + (high - low) * v
    if hidden is not None:
        pixels[hidden] = rgb(theme.grid)
    return pixels


def diverging_pixels(values: np.ndarray, theme: Theme, scale: float | None = None
                     ) -> np.ndarray:
    """Signed values as RGB cells: negative towards ``theme.negative``, positive towards
    ``theme.positive``, zero the panel colour; ``scale`` (default the largest magnitude) is
    full colour. Infinite values (masked scores) take the grid colour."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    scale = scale or float(np.abs(values[finite]).max(initial=0.0)) or 1.0
    v = np.clip(np.where(finite, values, 0.0) / scale, -1, 1)[..., None]
    panel, pos, neg = (np.array(rgb(c)) for c in (theme.panel, theme.positive, theme.negative))
    pixels = np.where(v >= 0, panel + (pos - panel) * v, panel + (neg - panel) * -v)
    pixels[~finite] = rgb(theme.grid)
    return pixels


def cell_center(box: Box, shape: tuple[int, int], row: int, col: int) -> tuple[float, float]:
    """The centre of cell (row, col) of a matrix drawn over ``box`` (row 0 at the top)."""
    x0, y0, w, h = box
    rows, cols = shape
    return x0 + (col + 0.5) * w / cols, y0 + h - (row + 0.5) * h / rows


def cell_box(box: Box, shape: tuple[int, int], row: int, col: int) -> Box:
    """The box of cell (row, col) of a matrix drawn over ``box``."""
    x0, y0, w, h = box
    rows, cols = shape
    return x0 + col * w / cols, y0 + h - (row + 1) * h / rows, w / cols, h / rows


def ink_on(pixel: np.ndarray, theme: Theme) -> str:
    """Text colour readable on a cell of colour ``pixel`` (RGB floats)."""
    luminance = float(np.dot(pixel, (0.2126, 0.7152, 0.0722)))
    dark_text = "#000000" if theme.name != "dark" else theme.background
    return dark_text if luminance > 0.55 else "#ffffff"
