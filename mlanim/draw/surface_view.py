"""Drawing helpers shared by scenes that show a function of two variables: log height,
contour maps (smooth shading under vector contour lines, with a colour bar), polylines clipped
to a box, and a simple orbiting 3-D projection."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.frame import Units
from mlanim.draw.theme import Theme, rgb
from mlanim.numbers import format_number

Box = tuple[float, float, float, float]
Range = tuple[float, float]

BANDS = 16
WIRES = 26


def log_height(values: np.ndarray, floor: float) -> np.ndarray:
    """log(1 + f − min f), scaled to 0..1: the usual way to see a valley that spans decades.
    Where f is not finite (undefined, or overflowed) the height is NaN: undefined."""
    with np.errstate(invalid="ignore"):
        lifted = np.where(np.isfinite(values), np.log1p(np.maximum(values - floor, 0)), np.nan)
    top = float(np.nanmax(lifted)) if np.isfinite(lifted).any() else 1.0
    return lifted / max(top, 1e-12)


def band_palette(theme: Theme, count: int) -> np.ndarray:
    low, high = np.array(rgb(theme.panel)), np.array(rgb(theme.text))
    if theme.name != "dark":
        low, high = np.array(rgb(theme.muted)) * 0.55 + 0.45, np.array(rgb(theme.panel))
    mix = np.linspace(0.04, 0.42, count)[:, None]
    return low + (high - low) * mix


@dataclass(frozen=True)
class ContourMap:
    """A function of two variables as a map: ``image`` a smooth shading of its log height
    (rows top to bottom), ``lines`` its contour lines in data coordinates at ``BANDS`` equal
    steps of log height: vectors, so they stay sharp at any size and in PDF and SVG."""

    image: np.ndarray
    lines: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, height: np.ndarray, xs: np.ndarray, ys: np.ndarray, theme: Theme,
           size: int = 240) -> ContourMap:
        """The map of ``height`` (0..1, NaN where undefined) sampled at ``xs``, ``ys``."""
        import contourpy

        generator = contourpy.contour_generator(xs, ys, np.ma.masked_invalid(height),
                                                line_type="Separate")
        lines = tuple(line for level in np.arange(1, BANDS) / BANDS
                      for line in generator.lines(level) if len(line) > 1)
        return cls(shaded_image(height, theme, size), lines)

    def shapes(self, box: Box, x_range: Range, y_range: Range, theme: Theme) -> list[d.Shape]:
        """The shading over ``box`` (showing ``x_range`` by ``y_range``) and its lines."""
        line = theme.grid if theme.name == "dark" else theme.muted
        shapes: list[d.Shape] = [d.Image(box, self.image, smooth=True)]
        for points in self.lines:
            shapes.append(d.Polyline(tuple(map(tuple, _in_box(points, box, x_range, y_range))),
                                     line, 0.8))
        return [*shapes, d.Rect(box, None, theme.grid, 1.0)]


def shaded_image(height: np.ndarray, theme: Theme, size: int = 240) -> np.ndarray:
    """A smooth shading of ``height`` (0..1) from the panel colour up, upsampled to ``size``;
    undefined cells shown as holes in the background colour."""
    if max(height.shape) < size:
        from scipy.ndimage import zoom

        undefined = zoom(np.isnan(height).astype(float), size / max(height.shape),
                         order=0) > 0.5
        height = zoom(np.nan_to_num(height), size / max(height.shape), order=1)
        height[undefined] = np.nan
    defined = np.isfinite(height)
    image = shade(np.where(defined, height, 0.0), theme)
    image[~defined] = rgb(theme.background)
    return image[::-1]


def shade(height: np.ndarray, theme: Theme) -> np.ndarray:
    """The colours of log heights (0..1): the contour map's and its colour bar's."""
    palette = band_palette(theme, 2)
    mix = np.clip(np.asarray(height, float), 0, 1)[..., None]
    return palette[0] + (palette[1] - palette[0]) * mix


def colour_bar(units: Units, box: Box, value_at: Callable[[float], float]) -> list[d.Shape]:
    """A vertical strip of `shade` over ``box`` with the function's values at its bottom,
    middle and top (``value_at`` maps a log height 0..1 to the function's value)."""
    theme = units.theme
    strip = shade(np.linspace(1, 0, 64)[:, None].repeat(2, axis=1), theme)
    x0, y0, w, h = box
    shapes: list[d.Shape] = [d.Image(box, strip, smooth=True), d.Rect(box, None, theme.grid,
                                                                     0.8)]
    for level in (0.0, 0.5, 1.0):
        shapes.append(d.Label((x0 + w + units.dx(3), y0 + h * level),
                              format_number(value_at(level)), units.size("tick"), theme.muted,
                              "left", "center"))
    return shapes


def _in_box(points: np.ndarray, box: Box, x_range: Range, y_range: Range) -> np.ndarray:
    left, bottom, w, h = box
    return np.column_stack([left + (points[:, 0] - x_range[0]) / (x_range[1] - x_range[0]) * w,
                            bottom + (points[:, 1] - y_range[0]) / (y_range[1] - y_range[0]) * h])


def clip_polyline(points: np.ndarray, x_range, y_range) -> list[np.ndarray]:
    """The parts of a polyline inside the box, each segment cut where it crosses the edge
    (Liang-Barsky, every segment at once), so a path leaving the plot is drawn up to the edge
    and no further. A part ends where a segment is dropped or cut short."""
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return []
    with np.errstate(invalid="ignore"):
        a, delta = points[:-1], np.diff(points, axis=0)
    kept, t0, t1 = _clip_segments(a, delta, x_range, y_range)
    index = np.flatnonzero(kept)
    if not len(index):
        return []
    with np.errstate(invalid="ignore"):  # a NaN point's segments stay NaN, as drawn before
        starts, ends = a + t0[:, None] * delta, a + t1[:, None] * delta
    apart = np.abs(ends[index[:-1]] - starts[index[1:]]).max(axis=1) > 1e-12
    breaks = np.flatnonzero((np.diff(index) != 1) | apart) + 1
    return [np.vstack([starts[part[0]], ends[part]]) for part in np.split(index, breaks)]


def _clip_segments(a: np.ndarray, delta: np.ndarray, x_range, y_range
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which segments ``a -> a + delta`` touch the box, and the parameters (0..1) where each
    enters and leaves it. NaN steps leave the parameters as they were, as `max` and `min`
    of Python floats do."""
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    kept = np.ones(len(a), dtype=bool)
    for p, q in ((-delta[:, 0], a[:, 0] - x_range[0]), (delta[:, 0], x_range[1] - a[:, 0]),
                 (-delta[:, 1], a[:, 1] - y_range[0]), (delta[:, 1], y_range[1] - a[:, 1])):
        parallel = p == 0
        kept &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = q / np.where(parallel, 1.0, p)
        t0 = np.where(~parallel & (p < 0), np.fmax(t0, r), t0)
        t1 = np.where(~parallel & ~(p < 0), np.fmin(t1, r), t1)
    return kept & ~(t0 > t1), t0, t1


def hex_color(color: np.ndarray) -> str:
    """An RGB float triple as ``#rrggbb``."""
    r, g, b = (round(float(c) * 255) for c in np.clip(color, 0, 1))
    return f"#{r:02x}{g:02x}{b:02x}"


class Orbit:
    """An orthographic camera circling a unit box: data (x, y, height 0..1) to figure points."""

    def __init__(self, box, x_range, y_range, azimuth_deg: float, elevation_deg: float = 32):
        self.box, self.x_range, self.y_range = box, x_range, y_range
        self.azimuth, self.elevation = math.radians(azimuth_deg), math.radians(elevation_deg)

    def project(self, x, y, z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Figure x, figure y, and depth (larger is farther) of data points."""
        left, bottom, w, h = self.box
        u = (np.asarray(x) - self.x_range[0]) / (self.x_range[1] - self.x_range[0]) * 2 - 1
        v = (np.asarray(y) - self.y_range[0]) / (self.y_range[1] - self.y_range[0]) * 2 - 1
        rx = u * math.cos(self.azimuth) - v * math.sin(self.azimuth)
        depth = u * math.sin(self.azimuth) + v * math.cos(self.azimuth)
        sy = (np.asarray(z) * 1.1 - 0.2) * math.cos(self.elevation) + \
            depth * math.sin(self.elevation)
        return left + w * (0.5 + rx / 3.0), bottom + h * (0.36 + sy / 3.0), depth


def wireframe(orbit: Orbit, xs: np.ndarray, ys: np.ndarray, height_at, theme: Theme
              ) -> list[d.Line]:
    """Wires of a height field, shaded by height, ordered far to near."""
    index = np.linspace(0, len(xs) - 1, WIRES).round().astype(int)
    wire_x, wire_y = [], []
    for k in index:  # wires along x (fixed row) and along y (fixed column), in turn
        wire_x += [xs[index], np.full(WIRES, xs[k])]
        wire_y += [np.full(WIRES, ys[k]), ys[index]]
    line_x, line_y = np.concatenate(wire_x), np.concatenate(wire_y)
    z = np.asarray(height_at(line_x, line_y)).reshape(-1, WIRES)
    px, py, depth = (np.asarray(v).reshape(-1, WIRES)
                     for v in orbit.project(line_x, line_y, z.reshape(-1)))
    levels = np.minimum(((z[:, :-1] + z[:, 1:]) / 2 * BANDS).astype(int), BANDS - 1).ravel()
    colors = wire_colors(theme)
    middle = ((depth[:, :-1] + depth[:, 1:]) / 2).ravel()
    starts = np.stack([px[:, :-1], py[:, :-1]], axis=-1).reshape(-1, 2).tolist()
    ends = np.stack([px[:, 1:], py[:, 1:]], axis=-1).reshape(-1, 2).tolist()
    order = np.argsort(-middle, kind="stable")  # far first; ties keep the order built
    return [d.Line(tuple(starts[i]), tuple(ends[i]), colors[levels[i]], 0.9, 0.9)
            for i in order.tolist()]


def wire_colors(theme: Theme) -> list[str]:
    """Each height band's wire colour: the band's shade, dimmed (and lit by the text colour on
    a dark theme)."""
    palette = band_palette(theme, BANDS)
    shades = palette * 0.5 + np.array(rgb(theme.text)) * 0.18 if theme.name == "dark" \
        else palette * 0.8
    return [hex_color(shade) for shade in shades]


def grid_height(height: np.ndarray, xs: np.ndarray, ys: np.ndarray):
    """A function giving the grid's height at data points (bilinear)."""
    from scipy.ndimage import map_coordinates

    def at(x, y):
        col = (np.asarray(x) - xs[0]) / (xs[-1] - xs[0]) * (len(xs) - 1)
        row = (np.asarray(y) - ys[0]) / (ys[-1] - ys[0]) * (len(ys) - 1)
        return map_coordinates(height, [row, col], order=1, mode="nearest")

    return at
