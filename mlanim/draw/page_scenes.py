"""The page's 3-D views: each `View3D` of a picture as traces of a plotly scene over its box,
which the reader turns and zooms with the mouse while the slider moves what lies in it."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.plotly_parts import color, palette_colors, with_hover
from mlanim.draw.theme import Theme

GL_MARKER = 0.6
"""Plotly draws a 3-D marker larger than a flat one of the same size (as a glyph): measured
in Chromium, this brings it to the disc a video draws."""


class Scenes:
    """The 3-D scenes of one page, named in the order their boxes first appear (the same box,
    the same scene in every frame, so the camera the reader set is kept)."""

    def __init__(self, theme: Theme, px: float) -> None:
        self.theme, self.px = theme, px
        self.scenes: dict[tuple, dict] = {}

    def layout(self) -> dict:
        """The scenes' entries of the figure's layout."""
        return {scene["name"]: {k: v for k, v in scene.items() if k != "name"}
                for scene in self.scenes.values()}

    def traces(self, view: d.View3D) -> list[dict]:
        """The view's surface, paths, clouds and facets as traces of its own 3-D scene."""
        scene = self._scene(view)
        traces = [] if view.surface is None else [self._surface(view.surface)]
        traces += [self._facet(f) for f in view.facets]
        traces += [self._path3d(p) for p in view.paths]
        traces += [self._cloud(c) for c in view.clouds]
        return [{**trace, "scene": scene} for trace in traces]

    def _scene(self, view: d.View3D) -> str:
        """The name of the scene over ``view.box`` (the same box: the same scene in every
        frame, so the camera the reader set is kept)."""
        if view.box not in self.scenes:
            name = "scene" if not self.scenes else f"scene{len(self.scenes) + 1}"
            self.scenes[view.box] = {"name": name, **scene_layout(view, self.theme, self.px)}
        return self.scenes[view.box]["name"]

    def _surface(self, s: d.Surface3D) -> dict:
        """The surface, its recorded values read on hover (typed, not as texts)."""
        low, high = band_ends(self.theme)
        x_name, y_name, value_name = (html.escape(name) for name in s.names)
        return {"type": "surface", "x": np.asarray(s.xs, np.float64),
                "y": np.asarray(s.ys, np.float64), "z": np.asarray(s.heights, np.float64),
                "customdata": np.asarray(s.values, np.float64),
                "colorscale": [[0, color(low)], [1, color(high)]], "showscale": False,
                "hovertemplate": f"{x_name} %{{x:.4g}} · {y_name} %{{y:.4g}} · {value_name} "
                                 f"%{{customdata:.4g}}<extra></extra>"}

    def _path3d(self, p: d.Path3D) -> dict:
        xyz = np.asarray(p.points, np.float64).reshape(-1, 3)
        trace: dict[str, Any] = {"type": "scatter3d", "x": xyz[:, 0], "y": xyz[:, 1],
                                 "z": xyz[:, 2], "hoverinfo": "skip", "showlegend": False}
        if p.head:
            return {**trace, "mode": "markers", "marker": {
                "size": 2 * p.head * self.px * GL_MARKER, "color": color(p.color),
                "line": {"color": color(self.theme.background), "width": self.px}}}
        return {**trace, "mode": "lines", "line": {"color": color(p.color),
                                                   "width": p.width * self.px}}

    def _cloud(self, c: d.Cloud3D) -> dict:
        xyz = np.asarray(c.points, np.float64).reshape(-1, 3)
        marker: dict[str, Any] = {"size": 2 * c.radius * self.px * GL_MARKER}
        if c.colors is not None:
            marker.update(palette_colors(np.asarray(c.colors, np.float64)))
        else:
            marker.update(color="rgba(0,0,0,0)",
                          line={"color": color(c.edge or self.theme.text), "width": self.px})
        trace = {"type": "scatter3d", "mode": "markers", "x": xyz[:, 0], "y": xyz[:, 1],
                 "z": xyz[:, 2], "marker": marker, "hoverinfo": "skip", "showlegend": False}
        return with_hover(trace, c.hover)

    def _facet(self, f: d.Facet3D) -> dict:
        """A flat polygon as a fan of triangles."""
        xyz = np.asarray(f.points, np.float64).reshape(-1, 3)
        fan = np.arange(1, len(xyz) - 1)
        return {"type": "mesh3d", "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
                "i": np.zeros(len(fan), np.int32), "j": fan.astype(np.int32),
                "k": (fan + 1).astype(np.int32), "color": color(f.fill),
                "opacity": f.alpha, "hoverinfo": "skip", "showscale": False}


def band_ends(theme: Theme) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest colours of a surface: the contour map's shading."""
    from mlanim.draw.surface_view import band_palette

    low, high = band_palette(theme, 2)
    return low, high


def scene_layout(view: d.View3D, theme: Theme, px: float) -> dict:
    """A plotly 3-D scene over the view's box, axes named and ranged as the view says (in the
    video's tick size, ``px`` pixels a point), seen at first from the view's camera; the
    reader turns it."""
    from mlanim.draw.frame import type_scale

    tick = {"size": type_scale()["tick"] * px}
    x, y, w, h = view.box
    azimuth, elevation = np.radians(view.azimuth), np.radians(view.elevation)
    distance = 2.1
    eye = {"x": -distance * np.sin(azimuth) * np.cos(elevation),
           "y": -distance * np.cos(azimuth) * np.cos(elevation),
           "z": distance * np.sin(elevation)}

    def axis(k: int) -> dict:
        return {"range": list(view.ranges[k]),
                "title": {"text": html.escape(view.names[k]), "font": tick}, "tickfont": tick,
                "color": theme.muted, "gridcolor": theme.grid, "backgroundcolor": theme.panel,
                "showbackground": True, "zeroline": False}

    return {"domain": {"x": [x, x + w], "y": [y, y + h]}, "xaxis": axis(0), "yaxis": axis(1),
            "zaxis": axis(2), "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.7}, "dragmode": "turntable",
            "camera": {"eye": {k: float(v) for k, v in eye.items()},
                       "projection": {"type": "orthographic"}},  # as the video projects it
            "bgcolor": theme.panel}
