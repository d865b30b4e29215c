"""A kind's 3-D view (`display.View3D`) as 3-D mobjects, for a lecturer's `ThreeDScene`: the
surface as faces coloured by height, paths, point clouds and facets, standing on the view's
box in the board's plane (z out of it), so that the camera the lecturer moves turns them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from manim import Polygon, VGroup, VMobject

from mlanim.draw import display as d
from mlanim.draw.page_scenes import band_ends
from mlanim.draw.surface_view import hex_color
from mlanim.draw.theme import Theme
from mlanim.manim.shapes import UNIT_CIRCLE, discs_by_fill

MOST_CELLS = 48
"""A surface drawn with more cells a side is drawn from every k-th grid point, k the least
that brings it to this many (manim draws each cell as a face it sorts by depth)."""
RISE = 0.6
"""The view's height (its z range) as a share of its box's height."""


class Space:
    """Makes 3-D mobjects of 3-D views in ``theme``'s colours."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme

    def mobject(self, view: d.View3D, point: Callable, stroke: Callable,
                radius: Callable) -> VGroup:
        """``view`` on its box: ``point`` maps figure fractions to the board's plane,
        ``stroke`` and ``radius`` sizes in points to manim's."""
        place = Placing(view, point)
        group = VGroup(self._floor(view, point, stroke))
        if view.surface is not None:
            group.add(self._surface(view.surface, place, stroke))
        for facet in view.facets:
            group.add(Polygon(*place(np.asarray(facet.points, np.float64)), stroke_width=0,
                              fill_color=facet.fill, fill_opacity=facet.alpha))
        for path in view.paths:
            group.add(self._path(path, place, stroke, radius))
        for cloud in view.clouds:
            group.add(self._cloud(cloud, place, stroke, radius))
        return group

    def _floor(self, view: d.View3D, point: Callable, stroke: Callable) -> VMobject:
        """The view's box outlined where z is lowest."""
        x, y, w, h = view.box
        corners = [point(c) for c in ((x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y))]
        return VMobject(stroke_color=self.theme.muted, stroke_width=stroke(0.6)
                        ).set_points_as_corners(corners)

    def _surface(self, surface: d.Surface3D, place: Placing, stroke: Callable) -> VGroup:
        """Each grid cell a face coloured by its mean height (the page's colour scale)."""
        heights = np.asarray(surface.heights, np.float64)
        every = max(1, int(np.ceil((max(heights.shape) - 1) / MOST_CELLS)))
        rows = np.unique(np.r_[np.arange(0, heights.shape[0], every), heights.shape[0] - 1])
        cols = np.unique(np.r_[np.arange(0, heights.shape[1], every), heights.shape[1] - 1])
        xs, ys = np.meshgrid(np.asarray(surface.xs, np.float64)[cols],
                             np.asarray(surface.ys, np.float64)[rows])
        grid = place(np.stack([xs, ys, heights[np.ix_(rows, cols)]], axis=-1))
        low, high = (np.asarray(end, np.float64) for end in band_ends(self.theme))
        faces = VGroup()
        for i in range(len(rows) - 1):
            for j in range(len(cols) - 1):
                corners = grid[[i, i, i + 1, i + 1], [j, j + 1, j + 1, j]]
                if not np.isfinite(corners).all():
                    continue
                level = float(np.clip(np.mean(heights[np.ix_(rows[i:i + 2], cols[j:j + 2])]),
                                      0, 1))
                faces.add(Polygon(*corners, fill_color=hex_color(low + (high - low) * level),
                                  fill_opacity=0.92, stroke_color=self.theme.muted,
                                  stroke_width=stroke(0.3), stroke_opacity=0.6))
        return faces

    def _path(self, path: d.Path3D, place: Placing, stroke: Callable,
              radius: Callable) -> VMobject:
        points = place(np.asarray(path.points, np.float64).reshape(-1, 3))
        if path.head:
            return disc_at(points[-1], radius(path.head), path.color)
        return VMobject(stroke_color=path.color, stroke_width=stroke(path.width)
                        ).set_points_as_corners(points)

    def _cloud(self, cloud: d.Cloud3D, place: Placing, stroke: Callable,
               radius: Callable) -> VGroup:
        points = place(np.asarray(cloud.points, np.float64).reshape(-1, 3))
        edge = {"stroke_color": cloud.edge or self.theme.text,
                "stroke_width": 0 if cloud.colors is not None else stroke(0.8)}
        return discs_by_fill(points, cloud.colors, radius(cloud.radius), 1.0, edge)


class Placing:
    """Maps a view's coordinates (x, y, z within its ranges) onto the board: x and y across
    its box, z out of the board's plane up to `RISE` of the box's height."""

    def __init__(self, view: d.View3D, point: Callable) -> None:
        x, y, w, h = view.box
        self.origin = point((x, y))
        self.across = point((x + w, y)) - self.origin
        self.up = point((x, y + h)) - self.origin
        self.rise = float(np.linalg.norm(self.up)) * RISE
        self.ranges = np.array(view.ranges, np.float64)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Points (..., 3) of the view as points of the board."""
        low, high = self.ranges[:, 0], self.ranges[:, 1]
        share = (values - low) / np.where(high > low, high - low, 1.0)
        return (self.origin + share[..., :1] * self.across + share[..., 1:2] * self.up
                + share[..., 2:3] * np.array([0.0, 0.0, self.rise]))


def disc_at(center: np.ndarray, radius: float, fill: str) -> VMobject:
    """A filled disc in the board's plane about ``center``."""
    disc = VMobject(fill_color=fill, fill_opacity=1.0, stroke_width=0)
    return disc.set_points(UNIT_CIRCLE * radius + center)
