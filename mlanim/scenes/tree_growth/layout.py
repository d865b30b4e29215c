"""What the tree_growth scene's views use of its layout (`TreePicture`), as a protocol: the
views live in their own modules and import no picture."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.frame import Box, Frame
from mlanim.draw.plane_panel import PlanePanel
from mlanim.draw.theme import Theme
from mlanim.scenes.tree_growth.story import TreeStory


class Layout(Protocol):
    """The plane, the side panel and the images a view draws with."""

    story: TreeStory
    f: Frame
    t: Theme
    side: Box
    panel: PlanePanel
    radius: float
    value_range: tuple[float, float]

    def regions(self, depth: int | None = None, trees: int | None = None) -> d.Image:
        """The plane's colours for the first ``trees`` trees."""

    def tree_image(self, member: int) -> d.Image:
        """Tree ``member`` alone on the plane."""

    def points(self, mask: np.ndarray | None = None) -> list[d.Shape]:
        """The training rows as dots."""
