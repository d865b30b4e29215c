"""Line charts of long runs: a curve keeps the points its chart's pixel columns need (first,
last, lowest, highest of each column), so it covers the pixels every point would, and a page
of a long run stays small."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from mlanim.draw import display as d
from mlanim.draw.charts import POINTS_PER_COLUMN, Series, chart_curves, column_points
from mlanim.draw.frame import Units
from mlanim.draw.paint_mpl import MplPainter
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings


def noisy_run(steps: int, seed: int = 0) -> np.ndarray:
    """A gradient norm's kind of curve: a slow trend under spiky noise."""
    rng = np.random.default_rng(seed)
    return np.exp(-np.arange(steps) / steps) + rng.gamma(0.5, 0.1, steps) \
        + (rng.random(steps) < 0.001) * 3.0


def test_a_long_curve_keeps_each_columns_ends_and_extremes():
    y = noisy_run(100_000)
    x_pixels = np.linspace(10.0, 409.99, len(y))  # 400 columns
    kept = column_points(x_pixels, y)
    assert isinstance(kept, np.ndarray) and len(kept) <= POINTS_PER_COLUMN * 400
    assert kept[0] == 0 and kept[-1] == len(y) - 1 and np.all(np.diff(kept) > 0)
    columns = np.floor(x_pixels).astype(int)
    for column in (10, 137, 409):
        every, some = y[columns == column], y[kept][columns[kept] == column]
        assert some.min() == every.min() and some.max() == every.max()
        ends = np.flatnonzero(columns == column)[[0, -1]]
        assert set(ends.tolist()) <= set(kept.tolist())


@pytest.mark.parametrize("x_pixels", [np.arange(100.0) / 2, np.r_[np.arange(5000.0) / 100, 3.0],
                                      np.zeros(0)])
def test_short_curves_and_curves_that_turn_back_keep_every_point(x_pixels):
    """Fewer than four points a column, or an x that goes back: nothing is left out."""
    assert column_points(x_pixels, np.sin(np.arange(len(x_pixels)))) == slice(None)


def chart(steps: np.ndarray, values: np.ndarray, video: VideoSettings) -> list[d.Shape]:
    units = Units(video, load_theme("dark"))
    return chart_curves(units, (0.1, 0.15, 0.8, 0.7), steps,
                        [Series("conv1", values, "#4ea8de")], float(steps[-1]),
                        float(values.max()) * 1.05)


def test_a_long_curve_covers_the_pixels_every_point_would():
    """Painted at 854x480, the curve of 60,000 steps and the curve of the points it keeps
    cover the same pixels, up to the stroke's edge: every pixel either covers lies within
    two pixels of one the other covers (the spikes included)."""
    video = VideoSettings(854, 480, 15, 1.0)
    steps = np.arange(1, 60_001, dtype=float)
    values = noisy_run(len(steps), seed=1)
    line = next(s for s in chart(steps, values, video) if isinstance(s, d.Polyline))
    assert len(line.points) < 4 * 854  # 60,000 before
    every = d.Polyline(tuple(zip(0.1 + 0.8 * (steps - 1) / (steps[-1] - 1),
                                 0.15 + 0.7 * values / (values.max() * 1.05), strict=True)),
                       line.color, line.width)
    kept, full = (_painted(video, d.Picture([shape])) for shape in (line, every))
    assert (full > 96).sum() > 20_000
    near = np.ones((5, 5), dtype=bool)
    for one, other in ((kept, full), (full, kept)):
        strays = (one > 96) & ~binary_dilation(other > 32, near)
        assert strays.sum() == 0, f"{strays.sum()} pixels covered by one curve only"


def test_a_long_curves_hover_texts_name_the_points_it_keeps():
    video = VideoSettings(1280, 720, 30, 1.0)
    steps = np.arange(1, 20_001, dtype=float)
    values = noisy_run(len(steps), seed=2)
    line = next(s for s in chart(steps, values, video) if isinstance(s, d.Polyline))
    assert line.hover is not None and len(line.hover) == len(line.points) < 5000
    for text, (x, _) in zip(line.hover[:-1], line.points[:-1], strict=True):
        step = float(re.search(r" at (\S+)$", text).group(1))
        assert abs(0.1 + 0.8 * (step - 1) / (steps[-1] - 1) - x) < 1e-9
        assert f"{values[int(step) - 1]:.4g}" in text
    assert f"{values.max():.4g}" in " ".join(line.hover)  # the highest spike is there


def _painted(video: VideoSettings, picture: d.Picture) -> np.ndarray:
    painter = MplPainter(video, load_theme("dark"))
    try:
        blank = np.array(painter.paint(d.Picture([]))).astype(int)
        return np.abs(np.array(painter.paint(picture)).astype(int) - blank).max(axis=2)
    finally:
        painter.close()
