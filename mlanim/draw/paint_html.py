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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.hover_text import Templated, templated
from mlanim.draw.page_scenes import Scenes
from mlanim.draw.plotly_parts import Pool, color, encoded, palette_colors, with_hover
from mlanim.draw.theme import Theme
from mlanim.draw.video import PIXELS_PER_POINT, VideoSettings

CONTROLS_HEIGHT = 60
"""Pixels the slider's row takes under the picture (what a notebook's frame adds)."""
ANCHOR_X = {"left": "left", "center": "center", "right": "right"}
ANCHOR_Y = {"top": "top", "center": "middle", "bottom": "bottom", "baseline": "bottom"}


def page_frames(count: int, most: int) -> list[int]:
    """The video frames a page shows: all of a short video, else ``most`` spread evenly."""
    if count <= most:
        return list(range(count))
    return sorted({round(k * (count - 1) / (most - 1)) for k in range(most)})


class HtmlPainter:
    """Turns pictures into plotly traces and annotations on a unit square the size of the
    video, and writes them as one page."""

    def __init__(self, video: VideoSettings, theme: Theme, max_points: int = 3000) -> None:
        self.video, self.theme, self.max_points = video, theme, max_points
        self.px = video.scale * PIXELS_PER_POINT  # pixels a layout point
        self.sampled: tuple[int, int] | None = None  # (shown, of) when points were sampled
        self.scenes = Scenes(theme, self.px)

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
                traces.extend(self.scenes.traces(shape))
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
        return [trace, *self._hover(d.Hover(s.centers, s.radius, s.hover), keep, found)]

    def _hover(self, s: d.Hover, keep: np.ndarray | None = None,
               found: Templated | None = None) -> list[dict]:
        """Invisible discs that show their texts: a trace for each template of the texts,
        their numbers a typed array (`hover_text`), or one with the texts themselves."""
        keep = self._kept(d.Scatter(s.centers, s.radius)) if keep is None else keep
        centers = np.asarray(s.centers, np.float64).reshape(-1, 2)[keep]
        texts = tuple(np.asarray(s.texts, dtype=object)[keep])
        invisible = self._markers(centers, s.radius, None, None, None, 0, 1.0)
        found = found or templated(texts)
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
        self.scenes = Scenes(self.theme, self.px)
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
                **self.scenes.layout()}


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


GLUE = """
window.mlanimPage = function (data) {  // the controls over one page's data
  const plot = document.getElementById("plot");
  const slider = document.getElementById("slider");
  const label = document.getElementById("moment");
  const caption = document.getElementById("caption");
  const play = document.getElementById("play");
  let timer = null;
  function pooled(ids) { return ids.map(function (i) { return data.pool[i]; }); }
  let low = 0, high = data.frames.length - 1;  // the active view's frames
  function show(k) {  // a promise kept when the step is drawn
    k = Math.max(low, Math.min(high, k));
    slider.value = k;
    const frame = data.frames[k];
    const layout = Object.assign({}, data.layout, {
      annotations: pooled(data.notes.concat(frame.notes)),
      shapes: pooled(data.boxes.concat(frame.boxes))});
    const drawn = Plotly.react(plot, pooled(data.below.concat(frame.data, data.above)), layout,
                               {displayModeBar: false, responsive: false});
    label.textContent = data.labels[k];
    caption.textContent = data.captions[k];
    plot.dataset.frame = k;
    return drawn;
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
    button.addEventListener("click", function () {  // by name: a live page's views grow
      choose(data.views.find(function (v) { return v.name === view.name; }) || view); });
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
  return function update(next) {  // a live run's page, grown: follow the newest unless moved
    const following = +slider.value >= high;
    const view = data.views.find(function (v) { return v.start === low; });
    data = next;
    const same = view && data.views.find(function (v) { return v.name === view.name; });
    if (same) { low = same.start; high = same.end; }
    else { low = 0; high = data.frames.length - 1; }
    slider.min = low; slider.max = high;
    show(following ? high : +slider.value);
  };
};
"""

STATIC_START = """
window.mlanimPage(JSON.parse(document.getElementById("mlanim-data").textContent));
"""




def page_html(title: str, payload: str, theme: Theme, video: VideoSettings) -> str:
    """The page: plotly's script inline, the controls, the data, and the glue."""
    from plotly.offline import get_plotlyjs

    return page_document(
        title, theme, video, f"<script>{get_plotlyjs()}</script>",
        f"<script type=\"application/json\" id=\"mlanim-data\">{payload}</script>"
        f"<script>{GLUE}{STATIC_START}</script>")


def page_document(title: str, theme: Theme, video: VideoSettings, head: str, tail: str,
                  top: str = "") -> str:
    """A page's markup: its style and controls, with ``head`` (plotly's script), ``top``
    (markup above the picture) and ``tail`` (the data and the glue) as the static page and
    the live one each bring them."""
    style = (f"body{{margin:0;background:{theme.background};color:{theme.text};"
             f"font-family:{theme.font},DejaVu Sans,sans-serif}}"
             "#frame{overflow:hidden}#plot{transform-origin:0 0}"
             ".controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:8px}"
             f"#slider{{flex:1}}button{{background:{theme.panel};color:{theme.text};"
             f"border:1px solid {theme.grid};border-radius:4px;padding:2px 10px}}"
             "#caption{position:absolute;left:-9999px}"  # the picture shows it; kept for readers

             f"#moment{{color:{theme.accent}}}"
             "#views,#kinds{display:flex;flex-wrap:wrap;gap:6px;padding:8px;align-items:center}"
             f"#views button[aria-selected=true],#kinds button[aria-selected=true]"
             f"{{border-color:{theme.accent};color:{theme.accent}}}"
             f"#status{{padding:0 8px;color:{theme.accent}}}")
    return (f"<!doctype html><html data-height=\"{video.height + CONTROLS_HEIGHT}\"><head>"
            "<meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{style}</style>{head}</head><body>"
            f"{top}<div id=\"views\" role=\"tablist\"></div>"
            "<div id=\"frame\"><div id=\"plot\"></div></div><div class=\"controls\">"
            "<button id=\"back\" aria-label=\"back\">\u25C0</button>"
            "<button id=\"play\" aria-label=\"play\">\u25B6</button>"
            "<button id=\"forward\" aria-label=\"forward\">\u25B6|</button>"
            "<input id=\"slider\" type=\"range\" min=\"0\" value=\"0\" step=\"1\">"
            f"<span id=\"moment\"></span></div><div id=\"caption\"></div>{tail}</body></html>")


DATA_START = '<script type="application/json" id="mlanim-data">'


def page_payload(page: str) -> str:
    """The data a page written by `page_html` carries (what a live page fetches)."""
    start = page.index(DATA_START) + len(DATA_START)
    return page[start: page.index("</script>", start)]
