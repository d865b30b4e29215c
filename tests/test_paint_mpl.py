"""The matplotlib painter: runs of lines drawn as one collection of fast-made paths are the
pixels matplotlib's own `LineCollection` draws."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection

from mlanim.draw import display as d
from mlanim.draw.paint_mpl import MplPainter, _rgba
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings


class LineCollectionPainter(MplPainter):
    """The reference: each run of lines as matplotlib's `LineCollection` of them."""

    def _artists(self, shapes: list[d.Shape]) -> list:
        if not isinstance(shapes[0], d.Line):
            return super()._artists(shapes)
        widths = [self._pt(s.width) for s in shapes]
        collection = LineCollection([(s.start, s.end) for s in shapes],
                                    colors=[_rgba(s.color, s.alpha) for s in shapes],
                                    linewidths=widths if len(set(widths)) > 1 else widths[0],
                                    capstyle="round")
        collection.set_figure(self.fig)
        collection.set_transform(self.ax.transData)
        return [collection]


@pytest.mark.parametrize("widths", [(0.9,), (0.6, 1.4, 2.5)])
def test_a_run_of_lines_is_what_a_line_collection_draws(widths):
    """A wireframe-like run: crossing segments of several colours and alphas, far to near."""
    rng = np.random.default_rng(3)
    starts = rng.uniform(0.05, 0.95, (1500, 2))
    ends = np.clip(starts + rng.normal(0, 0.03, (1500, 2)), 0, 1)
    colours = ["#4ea8de", "#f2c14e", "#e5e5e5", "#8a5a44"]
    lines = [d.Line(tuple(a), tuple(b), colours[k % 4], widths[k % len(widths)],
                    0.6 + 0.1 * (k % 4))
             for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True))]
    video, theme = VideoSettings(854, 480, 15, 1.0), load_theme("dark")
    drawn = _painted(MplPainter(video, theme), d.Picture([d.Rect((0.1, 0.1, 0.3, 0.3),
                                                                 "#336699"), *lines]))
    expected = _painted(LineCollectionPainter(video, theme),
                        d.Picture([d.Rect((0.1, 0.1, 0.3, 0.3), "#336699"), *lines]))
    blank = _painted(MplPainter(video, theme), d.Picture([]))
    assert (drawn != blank).any(axis=2).sum() > 50_000
    np.testing.assert_array_equal(drawn, expected)


def _painted(painter: MplPainter, picture: d.Picture) -> np.ndarray:
    try:
        return np.array(painter.paint(picture))
    finally:
        painter.close()
