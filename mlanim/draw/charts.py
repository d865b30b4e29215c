"""Small charts as `Picture` shapes: a line chart drawn up to the current moment, and matrices
shown as coloured cells. Every backend paints them alike."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.analysis.claims import needs_log_axis
from mlanim.draw import display as d
from mlanim.draw.frame import Units
from mlanim.draw.theme import Theme, rgb
from mlanim.numbers import compact, format_number

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Series:
    """One curve of a line chart: y ``values`` at the chart's x positions."""

    label: str
    values: np.ndarray
    color: str
    dashed: bool = False
    percent: bool = False  # show the current value as a percentage
    x: np.ndarray | None = None  # its own x positions, when not the chart's (fewer points)


def chart_top(series: Sequence[Series], top: float | None = None) -> float:
    """The y axis' upper end: ``top``, else 1.1 times the largest finite value."""
    if top:
        return top
    finite = [float(np.nanmax(s.values)) for s in series if np.isfinite(s.values).any()]
    largest = max(finite, default=1.0) * 1.1
    return largest if np.isfinite(largest) and largest > 0 else 1.0


def nice_ticks(low: float, high: float, count: int = 4) -> np.ndarray:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) in [low, high]."""
    span = high - low
    if not np.isfinite(span) or span <= 0:
        return np.array([low])
    raw = span / max(count, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10) if m * power >= raw), default=raw)
    first = np.ceil(low / step - 1e-9) * step
    return np.round(np.arange(first, high + step * 1e-6, step), 12) + 0.0  # no "-0"


def chart_axes(units: Units, box: Box, x_label: str, top: float, percent: bool = False,
               x_range: tuple[float, float] | None = None, bottom: float = 0.0,
               log: bool = False) -> list[d.Shape]:
    """The unchanging part of a line chart: its panel, grid lines with their values on the
    y axis (and on the x axis over ``x_range``), and the x axis' name. A ``log`` chart's
    ``bottom`` and ``top`` are powers of ten (-3 for 0.001); its grid lines fall on decades."""
    x0, y0, w, h = box
    theme = units.theme
    tick = units.size("tick")
    gap_x, gap_y = units.dx(4), units.dy(3)
    shapes: list[d.Shape] = [d.Rect(box, theme.panel, theme.grid, 1.0)]
    rows = max(1, min(4, int(h / (units.line(tick) * 1.6))))
    for value in (_decades(bottom, top, rows + 1) if log else nice_ticks(bottom, top, rows)):
        y = y0 + h * float(_fraction(value, bottom, top))
        if value > bottom:
            shapes.append(d.Line((x0, y), (x0 + w, y), theme.grid, 0.6))
        text = power_of_ten(value) if log else f"{value:.0%}" if percent else f"{value:.3g}"
        shapes.append(d.Label((x0 - gap_x, y), text, tick, theme.muted, "right", "center"))
    if x_range is not None:
        low, high = x_range
        for value in nice_ticks(low, high, 5 if w > units.dx(260) else 3):
            x = x0 + w * (value - low) / ((high - low) or 1.0)
            shapes.append(d.Label((x, y0 - gap_y), f"{value:g}", tick, theme.muted, "center",
                                  "top"))
        shapes.append(d.Label((x0 + w / 2, y0 - gap_y - units.line(tick)), x_label, tick,
                              theme.muted, "center", "top"))
    else:
        shapes.append(d.Label((x0 + w, y0 - gap_y), x_label, tick, theme.muted, "right",
                              "top"))
    return shapes


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶"
                             "⁷⁸⁹")


def power_of_ten(exponent: float) -> str:
    """``10`` with ``exponent`` (a whole number) as a superscript: 10⁻³."""
    return "10" + str(round(exponent)).translate(SUPERSCRIPTS)


def _decades(bottom: float, top: float, count: int) -> np.ndarray:
    """Whole powers of ten between ``bottom`` and ``top``, every one or every few so that at
    most ``count`` remain."""
    first, last = int(np.ceil(bottom - 1e-9)), int(np.floor(top + 1e-9))
    step = max(1, int(np.ceil((last - first + 1) / max(count, 1))))
    return np.arange(last, first - 1, -step)[::-1].astype(float)


def _fraction(values: np.ndarray | float, bottom: float, top: float) -> np.ndarray:
    """Where ``values`` sit between ``bottom`` and ``top`` (0..1, clipped)."""
    span = (top - bottom) or 1.0
    return np.clip((np.asarray(values, dtype=float) - bottom) / span, 0, 1)


def log_values(values: np.ndarray, bottom: float, top: float) -> np.ndarray:
    """``log10(values)`` for a log chart: zeros at ``bottom``, infinities and NaN at ``top``
    (off the chart's top is where a value that overflowed belongs)."""
    values = np.abs(np.asarray(values, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(values)
    return np.where(np.isfinite(logs), logs, np.where(values == 0, bottom, top))


def axes_room(units: Units, x_ticks: bool = True) -> tuple[float, float]:
    """Room (width, height fractions) that `chart_axes` needs left of and below its box."""
    tick = units.size("tick")
    return units.width("100%", tick) + units.dx(6), units.line(tick) * (2 if x_ticks else 1)


def chart_curves(units: Units, box: Box, x: np.ndarray, series: Sequence[Series], now: float,
                 top: float, heading: str = "", bottom: float = 0.0,
                 log: bool = False, values: bool = True) -> list[d.Shape]:
    """Curves over ``x`` drawn up to ``now`` (interpolated there) with a dot at their head,
    and a row above the box with ``heading`` and (unless not ``values``) each curve's current
    value, stacked when the row does not fit the box's width. On a ``log`` chart, ``bottom``
    and ``top`` are powers of ten."""
    x0, y0, w, h = box
    x = np.asarray(x, dtype=float)
    span = float(x[-1] - x[0]) or 1.0
    shapes: list[d.Shape] = []
    texts: list[tuple[str, str]] = [(heading, units.theme.text)] if heading else []
    for s in series:
        at = x if s.x is None else np.asarray(s.x, dtype=float)
        if not len(at) or now < at[0] - 1e-9:
            continue  # its first point is still to come
        upto = at <= now + 1e-9
        raw = np.asarray(s.values, float)
        plotted = log_values(raw, bottom, top) if log else raw
        value = float(np.interp(now, at, plotted))
        shown_x = x0 + w * (at[upto] - x[0]) / span
        kept = column_points(shown_x * units.video.width, plotted[upto])
        xs = [*shown_x[kept], x0 + w * (now - x[0]) / span]
        ys = [*(y0 + h * _fraction(plotted[upto][kept], bottom, top)),
              y0 + h * float(_fraction(value, bottom, top))]
        if len(xs) > 1:
            hover = tuple(map(functools.partial(_point_text, s.label, s.percent),
                              [*at[upto][kept].tolist(), now],
                              [*raw[upto][kept].tolist(), float(np.interp(now, at, raw))]))
            shapes.append(d.Polyline(tuple(zip(xs, ys, strict=True)), s.color, 2.0, s.dashed,
                                     hover))
            shapes.append(d.Circle((xs[-1], ys[-1]), 3.0, s.color, None))
        shown = (compact(10 ** value) if log else f"{value:.0%}" if s.percent
                 else f"{value:.3f}" if abs(value) < 1e4 else format_number(value))
        if values:
            texts.append((f"{s.label} {shown}", s.color))
    return shapes + _value_row(units, box, texts)


POINTS_PER_COLUMN = 4
"""A long curve keeps, in each pixel column of its chart, its first, last, lowest and highest
point there (M4, Jugel et al., VLDB 2014): drawn as a line at that width it covers the pixels
every point would, and a page of a run of 100,000 steps holds a few thousand points a curve
and frame, not every step. A curve with fewer points than four a column keeps them all."""


def column_points(x_pixels: np.ndarray, y: np.ndarray) -> np.ndarray | slice:
    """The points of a line through (``x_pixels``, ``y``) that a chart at one-pixel columns
    needs (`POINTS_PER_COLUMN`): every point (``slice(None)``) when it has few, or when its x
    ever goes back."""
    columns = np.floor(x_pixels).astype(np.int64)
    if len(columns) == 0 or np.any(np.diff(columns) < 0):
        return slice(None)
    if len(columns) <= POINTS_PER_COLUMN * (int(columns[-1] - columns[0]) + 1):
        return slice(None)
    starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
    ends = np.r_[starts[1:], len(columns)] - 1
    by_value = np.lexsort((y, columns))  # a column's points stay where they were, lowest first
    return np.unique(np.concatenate([starts, ends, by_value[starts], by_value[ends]]))


def chart_band(units: Units, box: Box, x: np.ndarray, low: np.ndarray, high: np.ndarray,
               now: float, scale: Scale, color: str, alpha: float = 0.22) -> list[d.Shape]:
    """The area between ``low`` and ``high`` over ``x``, drawn up to ``now``."""
    if scale.log:
        low = log_values(low, scale.bottom, scale.top)
        high = log_values(high, scale.bottom, scale.top)
    x0, y0, w, h = box
    x = np.asarray(x, dtype=float)
    span = float(x[-1] - x[0]) or 1.0
    upto = x <= now + 1e-9
    xs = np.append(x[upto], now)
    lows = np.append(np.asarray(low, dtype=float)[upto], np.interp(now, x, low))
    highs = np.append(np.asarray(high, dtype=float)[upto], np.interp(now, x, high))
    if len(xs) < 2:
        return []
    px = x0 + w * (xs - x[0]) / span
    upper = list(zip(px, y0 + h * _fraction(highs, scale.bottom, scale.top), strict=True))
    lower = list(zip(px, y0 + h * _fraction(lows, scale.bottom, scale.top), strict=True))
    return [d.Polygon(tuple(upper + lower[::-1]), color, alpha)]


def point_text(series: Series, x: float, value: float) -> str:
    """What a page shows over a curve's point: ``val 0.142 at 12``."""
    return _point_text(series.label, series.percent, x, value)


@functools.lru_cache(maxsize=1 << 17)
def _point_text(label: str, percent: bool, x: float, value: float) -> str:
    """(Each frame of a growing curve repeats the texts of the frame before: each is
    written once.)"""
    shown = f"{value:.1%}" if percent else f"{value:.4g}"
    return f"{label} {shown} at {x:g}"


def _value_row(units: Units, box: Box, texts: list[tuple[str, str]]) -> list[d.Label]:
    x0, y0, w, h = box
    size = units.size("label")
    gap = units.dx(12)
    widths = [units.width(text, size) for text, _ in texts]
    y = y0 + h + units.dy(4)
    row = sum(widths) + gap * (len(texts) - 1)
    if w < row <= w / 0.75:  # a smaller size keeps the row on one line
        size *= w / row * 0.97  # fonts are set at whole pixel sizes: keep a margin
        gap *= w / row
        widths = [units.width(text, size) for text, _ in texts]
        row = sum(widths) + gap * (len(texts) - 1)
    if row <= w * 1.0001:
        labels, x = [], x0
        for (text, color), width in zip(texts, widths, strict=True):
            labels.append(d.Label((x, y), text, size, color, "left", "bottom"))
            x += width + gap
        return labels
    step = units.line(size)
    return [d.Label((x0, y + k * step), text, size, color, "left", "bottom")
            for k, (text, color) in enumerate(reversed(texts))]


@dataclass(frozen=True)
class Scale:
    """A chart's y axis: ``bottom`` and ``top`` (powers of ten when ``log``)."""

    bottom: float
    top: float
    log: bool = False


def value_scale(series: Sequence[Series], top: float | None = None) -> Scale:
    """The y axis for ``series``: from 0 to ``top`` (or `chart_top`), or logarithmic when
    the values span more than two decades (`needs_log_axis`: a run that blew up), so the
    rest of the run is not flattened under the spike."""
    percent = all(s.percent for s in series)
    if not percent and top is None and needs_log_axis(*(s.values for s in series)):
        return Scale(*log_range(series), log=True)
    return Scale(0.0, chart_top(series, top))


def scaled_axes(units: Units, box: Box, x_label: str, scale: Scale, percent: bool = False,
                x_range: tuple[float, float] | None = None) -> list[d.Shape]:
    """`chart_axes` on ``scale`` (a log axis says so in its x label)."""
    label = f"{x_label} · log scale" if scale.log else x_label
    return chart_axes(units, box, label, scale.top, percent, x_range, scale.bottom, scale.log)


def line_chart(units: Units, box: Box, x: np.ndarray, series: Sequence[Series], now: float,
               x_label: str, top: float | None = None, heading: str = "") -> list[d.Shape]:
    """A whole line chart: `chart_axes` and `chart_curves` on the `value_scale`."""
    scale = value_scale(series, top)
    percent = all(s.percent for s in series)
    x_range = (float(x[0]), float(x[-1]))
    return [*scaled_axes(units, box, x_label, scale, percent, x_range),
            *chart_curves(units, box, x, series, now, scale.top, heading, scale.bottom,
                          scale.log)]


def log_range(series: Sequence[Series]) -> tuple[float, float]:
    """A log chart's bottom and top (powers of ten) around the series' finite positive
    values."""
    values = np.concatenate([np.asarray(s.values, float).ravel() for s in series])
    values = values[np.isfinite(values) & (values > 0)]
    low, high = (float(np.log10(values.min())), float(np.log10(values.max()))) \
        if len(values) else (0.0, 1.0)
    return float(np.floor(low)), max(float(np.ceil(high + 1e-9)), np.floor(low) + 1.0)


def value_row_height(units: Units, texts: int = 1) -> float:
    """Room (figure fraction of the height) a chart's value row takes above its box."""
    return units.line("label") * texts + units.dy(4)


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
