"""A third painter: a render's pictures as one self-contained HTML page (plotly), with a slider
over them, play and pause, the arrow keys and space, and hover on the drawn points.

The page paints the same `Picture`s the matplotlib and manim painters paint, so every kind that
draws pictures has a page without a second drawing. Its background and overlay are written
once; each frame carries only its own shapes, and numbers travel as typed arrays (plotly's
``bdata``). Every text from a spec or a trace is escaped before it reaches the page, and the
page loads no script but its own.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.hover_text import Templated, templated
from mlanim.draw.theme import Theme, rgb
from mlanim.draw.video import PIXELS_PER_POINT, VideoSettings

PAGE_FRAMES = 90
"""Pictures a page holds at most, spread over the video (the last included)."""
CONTROLS_HEIGHT = 60
"""Pixels the slider's row takes under the picture (what a notebook's frame adds)."""
ANCHOR_X = {"left": "left", "center": "center", "right": "right"}
GL_MARKER = 0.6
"""Plotly draws a 3-D marker larger than a flat one of the same size (as a glyph): measured
in Chromium, this brings it to the disc a video draws."""
ANCHOR_Y = {"top": "top", "center": "middle", "bottom": "bottom", "baseline": "bottom"}


def page_frames(count: int, most: int = PAGE_FRAMES) -> list[int]:
    """The video frames a page shows: all of a short video, else ``most`` spread evenly."""
    if count <= most:
        return list(range(count))
    return sorted({round(k * (count - 1) / (most - 1)) for k in range(most)})


def color(value: str | np.ndarray, alpha: float = 1.0) -> str:
    """A CSS colour from ``"#rrggbb"`` or RGB floats, with ``alpha``."""
    r, g, b = (np.asarray(rgb(value) if isinstance(value, str) else value) * 255).round()
    return f"rgba({int(r)},{int(g)},{int(b)},{alpha:g})"


class HtmlPainter:
    """Turns pictures into plotly traces and annotations on a unit square the size of the
    video, and writes them as one page."""

    def __init__(self, video: VideoSettings, theme: Theme, max_points: int = 3000) -> None:
        self.video, self.theme, self.max_points = video, theme, max_points
        self.px = video.scale * PIXELS_PER_POINT  # pixels a layout point
        self.sampled: tuple[int, int] | None = None  # (shown, of) when points were sampled
        self.scenes: dict[tuple, dict] = {}  # each 3-D view's scene, by its box

    # -- shapes -> plotly ------------------------------------------------------------------
    def parts(self, shapes: Sequence[d.Shape]) -> tuple[list[dict], list[dict], list[dict]]:
        """Plotly traces (in drawing order), annotations (the labels) and layout shapes (the
        filled rectangles) for ``shapes``. Plotly draws image traces under every scatter
        trace, so a panel's filled rectangle goes under both, as a layout shape."""
        traces: list[dict] = []
        notes: list[dict] = []
        boxes: list[dict] = []
        for shape in strokes_joined(shapes):
            if isinstance(shape, d.Label):
                notes.append(self._label(shape))
            elif isinstance(shape, d.Rect) and shape.fill:
                boxes.append(self._box(shape))
            elif isinstance(shape, d.View3D):
                traces.extend(self._view3d(shape))
            elif isinstance(shape, d.Scatter | d.Hover):
                traces.extend(self._scatter(shape) if isinstance(shape, d.Scatter)
                              else self._hover(shape))
            else:
                traces.append(getattr(self, f"_{type(shape).__name__.lower()}")(shape))
                if isinstance(shape, d.Image) and shape.hover is not None:
                    traces.append(self._cells(shape))
        return traces, notes, boxes

    def _box(self, s: d.Rect) -> dict:
        x, y, w, h = s.box
        line = {"color": color(s.edge), "width": s.edge_width * self.px} if s.edge else {
            "width": 0}
        return {"type": "rect", "xref": "x", "yref": "y", "x0": x, "y0": y, "x1": x + w,
                "y1": y + h, "fillcolor": color(s.fill or "#000000"), "line": line,
                "layer": "below"}

    def _path(self, points: Sequence[tuple[float, float]], line: dict, **extra: Any) -> dict:
        xy = np.asarray(points, np.float64).reshape(-1, 2)
        return {"type": "scatter", "mode": "lines", "x": xy[:, 0], "y": xy[:, 1],
                "line": line, "hoverinfo": "skip", "showlegend": False, **extra}

    def _stroke(self, s: Stroke) -> dict:
        return self._path(s.points, {"color": color(s.color, s.alpha),
                                     "width": s.width * self.px,
                                     "dash": "dash" if s.dashed else "solid"})

    def _polyline(self, s: d.Polyline) -> dict:
        trace = self._path(s.points, {"color": color(s.color), "width": s.width * self.px,
                                      "dash": "dash" if s.dashed else "solid"})
        return with_hover(trace, s.hover)

    def _polygon(self, s: d.Polygon) -> dict:
        closed = [*s.points, s.points[0]]
        return self._path(closed, {"width": 0}, fill="toself",
                          fillcolor=color(s.fill, s.alpha))

    def _rect(self, s: d.Rect) -> dict:
        """An outline (a filled rectangle is a layout shape: `_box`)."""
        x, y, w, h = s.box
        edge = {"color": color(s.edge), "width": s.edge_width * self.px} if s.edge else {
            "width": 0}
        return self._path([(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)], edge)

    def _circle(self, s: d.Circle) -> dict:
        trace = self._markers(np.array([s.center]), s.radius, None, s.fill, s.edge,
                              s.edge_width, s.alpha)
        return with_hover(trace, None if s.hover is None else (s.hover,))

    def _scatter(self, s: d.Scatter) -> list[dict]:
        """The discs, and over them (when they carry texts) the places that show them."""
        keep = self._kept(s)
        colors = None if s.colors is None else np.asarray(s.colors)[keep]
        trace = self._markers(np.asarray(s.centers)[keep], s.radius, colors, None, s.edge,
                              s.edge_width, s.alpha)
        if s.hover is None:
            return [trace]
        hover = tuple(np.asarray(s.hover, dtype=object)[keep])
        found = templated(hover)
        if found is None or len(found.templates) == 1:  # the discs themselves can show them
            return [with_hover(trace, hover, found)]
        return [trace, *self._hover(d.Hover(s.centers, s.radius, s.hover), keep)]

    def _hover(self, s: d.Hover, keep: np.ndarray | None = None) -> list[dict]:
        """Invisible discs that show their texts: a trace for each template of the texts,
        their numbers a typed array (`hover_text`), or one with the texts themselves."""
        keep = self._kept(d.Scatter(s.centers, s.radius)) if keep is None else keep
        centers = np.asarray(s.centers, np.float64).reshape(-1, 2)[keep]
        texts = tuple(np.asarray(s.texts, dtype=object)[keep])
        invisible = self._markers(centers, s.radius, None, None, None, 0, 1.0)
        found = templated(texts)
        if found is None:
            return [with_hover(invisible, texts)]
        traces = []
        for index, template in enumerate(found.templates):
            rows = found.which == index
            traces.append({**invisible, "x": centers[rows, 0], "y": centers[rows, 1],
                           "customdata": found.numbers[rows], "hoverinfo": None,
                           "hovertemplate": template + "<extra></extra>"})
        return [{k: v for k, v in t.items() if v is not None} for t in traces]

    def _kept(self, s: d.Scatter) -> np.ndarray:
        """The discs a page shows: all, or past `max_points` an even share of each colour
        (a class), the same ones in every frame."""
        count = len(s.centers)
        if count <= self.max_points:
            return np.arange(count)
        colors = (np.zeros((count, 3)) if s.colors is None
                  else np.round(np.asarray(s.colors, np.float64), 3))
        _, group = np.unique(colors, axis=0, return_inverse=True)
        share = self.max_points / count
        keep = np.concatenate([members[:: max(1, round(1 / share))]
                               for members in (np.flatnonzero(group.ravel() == g)
                                               for g in np.unique(group))])
        keep.sort()
        self.sampled = (len(keep), count)
        return keep

    def _markers(self, centers: np.ndarray, radius: float, colors: np.ndarray | None,
                 fill: str | None, edge: str | None, edge_width: float, alpha: float) -> dict:
        centers = np.asarray(centers, np.float64).reshape(-1, 2)
        marker: dict[str, Any] = {"size": 2 * radius * self.px, "opacity": alpha,
                                  "line": {"color": color(edge) if edge else "rgba(0,0,0,0)",
                                           "width": edge_width * self.px if edge else 0}}
        if colors is not None:
            marker.update(palette_colors(np.asarray(colors, np.float64)))
        else:
            marker["color"] = color(fill, alpha) if fill else "rgba(0,0,0,0)"
        return {"type": "scatter", "mode": "markers", "x": centers[:, 0], "y": centers[:, 1],
                "marker": marker, "hoverinfo": "skip", "showlegend": False}

    def _image(self, s: d.Image) -> dict:
        """An image trace from a PNG held in the page (a ``data:`` address: no request)."""
        from PIL import Image

        cells = (np.clip(np.asarray(s.pixels, np.float64), 0, 1) * 255).round().astype(
            np.uint8)[::-1]  # rows from the bottom, as the frame's y runs
        rows, cols = cells.shape[:2]
        x, y, w, h = s.box
        buffer = io.BytesIO()
        Image.fromarray(cells).save(buffer, format="PNG")
        source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        return {"type": "image", "source": source, "x0": x + w / cols / 2, "dx": w / cols,
                "y0": y + h / rows / 2, "dy": h / rows, "hoverinfo": "skip"}

    def _cells(self, s: d.Image) -> dict:
        """An invisible heatmap over an image whose cells carry hover texts."""
        texts = np.asarray(s.hover, dtype=object)[::-1]  # rows from the bottom, as drawn
        rows, cols = texts.shape
        x, y, w, h = s.box
        return {"type": "heatmap", "z": np.zeros((rows, cols), np.uint8),
                "x0": x + w / cols / 2, "dx": w / cols, "y0": y + h / rows / 2,
                "dy": h / rows, "opacity": 0, "showscale": False,
                "text": [[html.escape(str(t)) for t in row] for row in texts],
                "hovertemplate": "%{text}<extra></extra>"}

    # -- 3-D views: plotly scenes the reader turns -----------------------------------------
    def _view3d(self, view: d.View3D) -> list[dict]:
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

    def _label(self, s: d.Label) -> dict:
        text = html.escape(s.text)
        return {"x": s.at[0], "y": s.at[1], "xref": "x", "yref": "y", "showarrow": False,
                "text": f"<b>{text}</b>" if s.bold else text,
                "font": {"size": s.size * self.px, "color": color(s.color)},
                "xanchor": ANCHOR_X[s.ha], "yanchor": ANCHOR_Y.get(s.va, "middle")}

    # -- the page ----------------------------------------------------------------------------
    def write(self, pictures: Sequence[d.Picture], labels: Sequence[str],
              captions: Sequence[str], title: str, path: Path,
              views: Sequence[tuple[str, int, int]] = ()) -> None:
        """One page of ``pictures`` (a slider step each, named by ``labels``), written to
        ``path``; ``views`` (name, first and last picture) become tabs, each with the slider
        over its own pictures."""
        pool = Pool()
        self.sampled = None
        self.scenes = {}
        first = pictures[0]
        below, below_notes, below_boxes = self.parts(first.background)
        above, above_notes, above_boxes = self.parts(first.overlay)
        frames = []
        for picture in pictures:
            traces, notes, boxes = self.parts(picture.shapes)
            frames.append({"data": pool.ids(traces), "notes": pool.ids(notes),
                           "boxes": pool.ids(boxes)})
        if self.sampled:
            labels = [f"{label} · {self.sampled[0]:,} of {self.sampled[1]:,} points shown"
                      for label in labels]
        data = {"below": pool.ids(below), "above": pool.ids(above),
                "notes": pool.ids(below_notes + above_notes),
                "boxes": pool.ids(below_boxes + above_boxes), "frames": frames,
                "labels": list(labels), "captions": list(captions), "layout": self._layout(),
                "views": [{"name": name, "start": start, "end": end}
                          for name, start, end in views]}
        payload = encoded(data)[:-1] + ',"pool":[' + ",".join(pool.items) + "]}"
        path.write_text(page_html(title, payload, self.theme, self.video), encoding="utf-8")

    def _layout(self) -> dict:
        axis = {"range": [0, 1], "visible": False, "fixedrange": True}
        return {"width": self.video.width, "height": self.video.height,
                "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                "paper_bgcolor": self.theme.background, "plot_bgcolor": self.theme.background,
                "xaxis": {**axis, "domain": [0, 1]},
                "yaxis": {**axis, "domain": [0, 1], "scaleanchor": False},
                "hovermode": "closest", "dragmode": False, "uirevision": "page",
                "font": {"family": f"{self.theme.font}, DejaVu Sans, sans-serif"},
                **{scene["name"]: {k: v for k, v in scene.items() if k != "name"}
                   for scene in self.scenes.values()}}


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


@dataclass(frozen=True)
class Stroke:
    """Lines of one style joined into one path, broken by `GAP`s."""

    points: tuple[tuple[float, float], ...]
    color: str
    width: float
    alpha: float
    dashed: bool


def strokes_joined(shapes: Sequence[d.Shape]) -> list[d.Shape | Stroke]:
    """``shapes`` with each run of lines and polylines of one style (and no hover) joined into
    one polyline broken by gaps: a page redraws tens of traces, not hundreds."""
    joined: list[d.Shape | Stroke] = []
    run: list[d.Line | d.Polyline] = []

    def style(shape: d.Shape) -> tuple | None:
        if isinstance(shape, d.Line):
            return (shape.color, shape.width, shape.alpha, False)
        if isinstance(shape, d.Polyline) and shape.hover is None:
            return (shape.color, shape.width, 1.0, shape.dashed)
        return None

    def flush() -> None:
        if run:
            color_, width, alpha, dashed = style(run[0])  # type: ignore[misc]
            points: list[tuple[float, float]] = []
            for stroke in run:
                part = [stroke.start, stroke.end] if isinstance(stroke, d.Line) else list(
                    stroke.points)
                points += [*part, GAP]
            joined.append(Stroke(tuple(points[:-1]), color_, width, alpha, dashed))
        run.clear()

    for shape in shapes:
        key = style(shape)
        if key is None or (run and style(run[0]) != key):
            flush()
        if key is None:
            joined.append(shape)
        else:
            run.append(shape)  # type: ignore[arg-type]
    flush()
    return joined


GAP = (float("nan"), float("nan"))
"""Where a joined stroke lifts the pen."""


PALETTE_MOST = 64
"""Distinct colours a set of discs may have to travel as numbers into a palette."""


def palette_colors(colors: np.ndarray) -> dict[str, Any]:
    """Per-disc colours for plotly: a few distinct ones (classes) as an index into a palette
    of exact colours (numbers, not one string a disc), else one CSS colour a disc."""
    rounded = np.round(colors, 4)
    palette, index = np.unique(rounded, axis=0, return_inverse=True)
    if len(palette) > PALETTE_MOST:
        return {"color": [color(c) for c in colors]}
    if len(palette) == 1:
        return {"color": color(palette[0])}
    last = len(palette) - 1
    scale = [[k / last, color(c)] for k, c in enumerate(palette)]
    return {"color": index.ravel().astype(np.int32), "colorscale": scale, "cmin": 0,
            "cmax": last, "showscale": False}


class Pool:
    """Each distinct trace, annotation or shape of a page written once (as JSON), frames
    naming them by number: what stays the same from frame to frame (a surface, an image, a
    chart's axes) is not repeated."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._known: dict[str, int] = {}

    def ids(self, items: Sequence[dict]) -> list[int]:
        """The numbers of ``items`` in the pool, adding the new ones."""
        found = []
        for item in items:
            text = encoded(item)
            if text not in self._known:
                self._known[text] = len(self.items)
                self.items.append(text)
            found.append(self._known[text])
        return found


def with_hover(trace: dict, hover: Sequence[str] | None,
               found: Templated | None = None) -> dict:
    """``trace`` showing ``hover`` at each of its points: as one template reading typed
    numbers where the texts have one (`hover_text`; ``found`` when already read), else as
    the texts, escaped."""
    if hover is None:
        return trace
    trace.pop("hoverinfo", None)
    if found is None and len(hover) > 1:
        found = templated(hover)
    if found is not None and len(found.templates) == 1:
        return {**trace, "customdata": found.numbers,
                "hovertemplate": found.templates[0] + "<extra></extra>"}
    return {**trace, "text": [html.escape(text) for text in hover],
            "hovertemplate": "%{text}<extra></extra>"}


def encoded(data: Any) -> str:
    """``data`` as JSON with numpy arrays as typed arrays (``{"dtype", "bdata"}``; floats as
    float32), safe to place inside a ``<script>`` element."""
    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            # positions in a frame of a few thousand pixels: float32 is exact to far below one
            kind = {"f": "f4", "i": "i4", "u": "u1"}[array.dtype.kind]
            array = array.astype({"f4": np.float32, "i4": np.int32, "u1": np.uint8}[kind])
            typed = {"dtype": kind, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
            if array.ndim > 1:
                typed["shape"] = ",".join(str(n) for n in array.shape)
            return typed
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    text = json.dumps(plain(data), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


GLUE = """
(function () {
  const data = JSON.parse(document.getElementById("mlanim-data").textContent);
  const plot = document.getElementById("plot");
  const slider = document.getElementById("slider");
  const label = document.getElementById("moment");
  const caption = document.getElementById("caption");
  const play = document.getElementById("play");
  let timer = null;
  function pooled(ids) { return ids.map(function (i) { return data.pool[i]; }); }
  let low = 0, high = data.frames.length - 1;  // the active view's frames
  function show(k) {
    k = Math.max(low, Math.min(high, k));
    slider.value = k;
    const frame = data.frames[k];
    const layout = Object.assign({}, data.layout, {
      annotations: pooled(data.notes.concat(frame.notes)),
      shapes: pooled(data.boxes.concat(frame.boxes))});
    Plotly.react(plot, pooled(data.below.concat(frame.data, data.above)), layout,
                 {displayModeBar: false, responsive: false});
    label.textContent = data.labels[k];
    caption.textContent = data.captions[k];
    plot.dataset.frame = k;
  }
  function toggle() {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "\\u25B6"; return; }
    if (+slider.value >= high) { show(low); }
    play.textContent = "\\u275A\\u275A";
    timer = setInterval(function () {
      if (+slider.value >= high) { toggle(); return; }
      show(+slider.value + 1);
    }, 150);
  }
  slider.max = high;
  const tabs = document.getElementById("views");
  function choose(view) {  // a view of the video as a tab, with the slider over its frames
    low = view.start; high = view.end; slider.min = low; slider.max = high;
    Array.from(tabs.children).forEach(function (b) {
      b.setAttribute("aria-selected", String(b.textContent === view.name)); });
    show(high);
  }
  data.views.forEach(function (view) {
    const button = document.createElement("button");
    button.textContent = view.name;  // text, never markup
    button.setAttribute("role", "tab");
    button.addEventListener("click", function () { choose(view); });
    tabs.appendChild(button);
  });
  window.mlanimView = function (name) {
    const view = data.views.find(function (v) { return v.name === name; });
    if (view) { choose(view); } };
  slider.addEventListener("input", function () { show(+slider.value); });
  play.addEventListener("click", toggle);
  function step(by) { return function () { show(+slider.value + by); }; }
  document.getElementById("back").addEventListener("click", step(-1));
  document.getElementById("forward").addEventListener("click", step(1));
  document.addEventListener("keydown", function (event) {
    if (event.key === " ") { event.preventDefault(); toggle(); }
    else if (event.key === "ArrowLeft") { show(+slider.value - 1); }
    else if (event.key === "ArrowRight") { show(+slider.value + 1); }
  });
  const frame = document.getElementById("frame");
  function fit() {  // a narrow window (a phone) sees the whole picture, scaled down
    const scale = Math.min(1, frame.parentElement.clientWidth / data.layout.width);
    plot.style.transform = "scale(" + scale + ")";
    frame.style.height = Math.ceil(data.layout.height * scale) + "px";
  }
  window.addEventListener("resize", fit);
  fit();
  window.mlanimShow = show;
  if (data.views.length) { choose(data.views[data.views.length - 1]); }
  else { show(high); }
})();
"""


def page_html(title: str, payload: str, theme: Theme, video: VideoSettings) -> str:
    """The page: plotly's script inline, the controls, the data, and the glue."""
    from plotly.offline import get_plotlyjs

    style = (f"body{{margin:0;background:{theme.background};color:{theme.text};"
             f"font-family:{theme.font},DejaVu Sans,sans-serif}}"
             "#frame{overflow:hidden}#plot{transform-origin:0 0}"
             ".controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:8px}"
             f"#slider{{flex:1}}button{{background:{theme.panel};color:{theme.text};"
             f"border:1px solid {theme.grid};border-radius:4px;padding:2px 10px}}"
             "#caption{position:absolute;left:-9999px}"  # the picture shows it; kept for readers

             f"#moment{{color:{theme.accent}}}"
             "#views{display:flex;flex-wrap:wrap;gap:6px;padding:8px}"
             f"#views button[aria-selected=true]{{border-color:{theme.accent};"
             f"color:{theme.accent}}}")
    return (f"<!doctype html><html data-height=\"{video.height + CONTROLS_HEIGHT}\"><head>"
            "<meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{style}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>"
            "<div id=\"views\" role=\"tablist\"></div>"
            "<div id=\"frame\"><div id=\"plot\"></div></div><div class=\"controls\">"
            "<button id=\"back\" aria-label=\"back\">\u25C0</button>"
            "<button id=\"play\" aria-label=\"play\">\u25B6</button>"
            "<button id=\"forward\" aria-label=\"forward\">\u25B6|</button>"
            "<input id=\"slider\" type=\"range\" min=\"0\" value=\"0\" step=\"1\">"
            "<span id=\"moment\"></span></div><div id=\"caption\"></div>"
            f"<script type=\"application/json\" id=\"mlanim-data\">{payload}</script>"
            f"<script>{GLUE}</script></body></html>")
