"""Paints a `Picture` with matplotlib.

The picture's background is drawn once per render and kept as pixels; each frame starts from
them and draws only its own shapes onto the canvas (blitting: lines and discs batched into
collections, images pasted at their pixel box), then lays the labels on top as cached sprites.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import EllipseCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image, ImageDraw

from mlanim.draw import display as d
from mlanim.draw.frame import font
from mlanim.draw.sprites import Layers, Sprite, SpriteCache, blend, handed_on, paste, place
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings

DPI = 100
POINTS_PER_INCH = 72
PAPER_MARGIN_IN = 0.04  # kept above and below what a paper figure draws
FEW_CIRCLES = 8  # up to this many discs are drawn as markers, more as one collection


def new_figure(video: VideoSettings, theme: Theme) -> Figure:
    """A figure of exactly the video's pixel size, with the theme's background and font."""
    dpi = video.dpi
    fig = plt.figure(figsize=(video.width / dpi, video.height / dpi), dpi=dpi)
    fig.patch.set_facecolor(theme.background)
    plt.rcParams["font.family"] = theme.font
    return fig


class MplPainter:
    """One figure reused for every frame of a render."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self.fig = new_figure(video, theme)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, 1)
        self.ax.set_ylim(0, 1)
        self.ax.set_axis_off()
        self.ax.set_autoscale_on(False)
        self.sprites = TextSprites(video, theme)
        self.layers = Layers(self._painted, premultiplied=False)

    def _pt(self, size: float) -> float:
        """Matplotlib points for a size in 720p points (sizes are laid out at 100 dpi)."""
        return size * self.video.scale * DPI / self.video.dpi

    def paint(self, picture: d.Picture) -> np.ndarray:
        """Render ``picture`` and return the RGB frame."""
        pixels = self.layers.background(picture.background)
        overlay = self.layers.overlay(picture.overlay)  # both may draw on the canvas: first
        buffer = np.asarray(self.fig.canvas.buffer_rgba())
        buffer[...] = pixels
        renderer = self.fig.canvas.get_renderer()
        shapes = d.flattened(picture.shapes)
        for group in _runs([s for s in shapes if not isinstance(s, d.Label)]):
            if isinstance(group[0], d.Image):
                paste(group[0], buffer)
                continue
            for artist in self._artists(group):
                artist.draw(renderer)
        if overlay is not None:
            overlay.lay_over(buffer)
        for label in shapes:
            if isinstance(label, d.Label):
                self.sprites.blend(buffer, label)
        return handed_on(buffer)

    def _painted(self, shapes: tuple[d.Shape, ...], transparent: bool) -> np.ndarray:
        """``shapes`` drawn alone on the frame's background (or on transparency), as RGBA."""
        self.fig.patch.set_alpha(0.0 if transparent else 1.0)
        artists = self._add([s for s in shapes if not isinstance(s, d.Label)])
        self.fig.canvas.draw()
        for artist in artists:
            artist.remove()
        self.fig.patch.set_alpha(1.0)
        pixels = np.array(self.fig.canvas.buffer_rgba())
        for label in shapes:
            if isinstance(label, d.Label):
                self.sprites.blend(pixels, label)
        return pixels

    def save(self, picture: d.Picture, path: Path) -> None:
        """Render ``picture`` into a vector (or raster) file, by ``path``'s suffix."""
        artists = self._add(picture.all_shapes)
        fmt = path.suffix.lstrip(".")
        fonts = {"pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType, not Type 3
                 "svg.fonttype": "none" if self.video.paper else "path"}
        with plt.rc_context(fonts):
            self.fig.savefig(path, format=fmt, facecolor=self.theme.background,
                             dpi=self.video.dpi, bbox_inches=self._paper_crop(artists))
        for artist in artists:
            artist.remove()

    def _paper_crop(self, artists: list) -> Bbox | None:
        """A paper figure keeps its column's width but not the video's empty bands: its
        height is cropped to what is drawn (any artist short of the whole figure), plus a
        small margin. Video stills keep the frame."""
        if not self.video.paper or not artists:
            return None
        renderer = self.fig.canvas.get_renderer()
        width, height = self.fig.get_size_inches()
        full = self.fig.bbox
        boxes = [box for box in (a.get_window_extent(renderer) for a in artists)
                 if np.isfinite(box.extents).all() and box.height < full.height * 0.98]
        if not boxes:
            return None
        drawn = Bbox.union(boxes)
        low = max(0.0, drawn.y0 / self.fig.dpi - PAPER_MARGIN_IN)
        high = min(height, drawn.y1 / self.fig.dpi + PAPER_MARGIN_IN)
        return Bbox([[0.0, low], [width, high]])

    def _add(self, shapes: list[d.Shape]) -> list:
        """Artists for ``shapes``, added to the axes (for a full draw or a saved figure), each
        above the ones before (matplotlib would otherwise draw images under every patch)."""
        added = self._added(shapes)
        for order, artist in enumerate(added):
            artist.set_zorder(order)
        return added

    def _added(self, shapes: list[d.Shape]) -> list:
        added = []
        for group in _runs(shapes):
            if isinstance(group[0], d.Image):
                x, y, w, h = group[0].box
                added.append(self.ax.imshow(
                    np.clip(group[0].pixels, 0, 1), extent=(x, x + w, y, y + h),
                    interpolation="bilinear" if group[0].smooth else "nearest", aspect="auto"))
                continue
            for artist in self._artists(group):
                self.ax.add_artist(artist)
                added.append(artist)
        return added

    def _artists(self, shapes: list[d.Shape]) -> list:
        """Artists for a run of shapes (not Images), in data coordinates of the frame's axes
        but not added to them: a frame draws them straight onto the canvas."""
        ax, fig = self.ax, self.fig
        if isinstance(shapes[0], d.Line):
            # one width for the whole run when they agree: matplotlib scales a dash pattern
            # per width given (two thousand a 1080p wireframe frame)
            widths = [self._pt(s.width) for s in shapes]
            artists = [PathCollection(
                _segment_paths(np.array([(s.start, s.end) for s in shapes], float)),
                facecolors="none", edgecolors=[_rgba(s.color, s.alpha) for s in shapes],
                linewidths=widths if len(set(widths)) > 1 else widths[0], capstyle="round")]
        elif isinstance(shapes[0], d.Circle) and len(shapes) <= FEW_CIRCLES:
            artists = [self._marker(s) for s in shapes]
        elif isinstance(shapes[0], d.Circle):
            pixels_per_point = fig.dpi / POINTS_PER_INCH
            diameters = [2 * self._pt(s.radius) * pixels_per_point for s in shapes]
            artists = [EllipseCollection(
                diameters, diameters, np.zeros(len(shapes)), units="dots",
                offsets=[s.center for s in shapes], offset_transform=ax.transData,
                facecolors=[to_rgba(s.fill, s.alpha) if s.fill else "none" for s in shapes],
                edgecolors=[s.edge or "none" for s in shapes],
                linewidths=[self._pt(s.edge_width) for s in shapes])]
        else:
            artists = [self._artist(shape) for shape in shapes]
        for artist in artists:
            artist.set_figure(fig)
            if not isinstance(artist, EllipseCollection):  # its discs are sized in dots
                artist.set_transform(ax.transData)
        return artists

    def _marker(self, shape: d.Circle) -> Line2D:
        """A lone disc as a marker: drawn much faster than a one-disc collection."""
        return Line2D([shape.center[0]], [shape.center[1]], linestyle="none", marker="o",
                      markersize=2 * self._pt(shape.radius),
                      markerfacecolor=to_rgba(shape.fill, shape.alpha) if shape.fill else "none",
                      markeredgecolor=shape.edge or "none",
                      markeredgewidth=self._pt(shape.edge_width) if shape.edge else 0.0)

    def _artist(self, shape: d.Shape):
        if isinstance(shape, d.Polyline):
            xs, ys = zip(*shape.points, strict=True)
            # round joins: a zigzagging path's sharp corners would otherwise spike out
            return Line2D(xs, ys, color=shape.color, linewidth=self._pt(shape.width),
                          linestyle=(0, (4, 2)) if shape.dashed else "-",
                          solid_joinstyle="round", solid_capstyle="round")
        if isinstance(shape, d.Polygon):
            return MplPolygon(shape.points, closed=True, facecolor=shape.fill,
                              alpha=shape.alpha, edgecolor="none")
        if isinstance(shape, d.Rect):
            x, y, w, h = shape.box
            return Rectangle((x, y), w, h, facecolor=shape.fill or "none",
                             edgecolor=shape.edge or "none", linewidth=self._pt(shape.edge_width))
        if isinstance(shape, d.Scatter):
            return self._scatter(shape)
        if isinstance(shape, d.Label):
            # plain text: "$5 to $10" is a budget, not mathematics
            return Text(*shape.at, shape.text, fontsize=self._pt(shape.size), color=shape.color,
                        ha=shape.ha, va=shape.va, fontweight="bold" if shape.bold else "normal",
                        parse_math=False)
        raise TypeError(f"cannot paint {type(shape).__name__}")

    def _scatter(self, shape: d.Scatter) -> EllipseCollection:
        diameter = 2 * self._pt(shape.radius) * self.fig.dpi / POINTS_PER_INCH
        count = len(shape.centers)
        if shape.colors is not None:
            faces = np.column_stack([np.clip(shape.colors, 0, 1), np.full(count, shape.alpha)])
        else:
            faces = "none"
        return EllipseCollection(
            np.full(count, diameter), np.full(count, diameter), np.zeros(count), units="dots",
            offsets=shape.centers, offset_transform=self.ax.transData, facecolors=faces,
            edgecolors=to_rgba(shape.edge, shape.alpha) if shape.edge else "none",
            linewidths=self._pt(shape.edge_width))

    def close(self) -> None:
        """Free the figure."""
        plt.close(self.fig)


class TextSprites:
    """Labels rendered once by Pillow (with matplotlib's own font file) and reused, cropped to
    their advance width and line height."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self._cache = SpriteCache(self._render)

    def _render(self, text: str, size: float, color: str, bold: bool) -> Sprite:
        face = font(self.theme.font, size, self.video.scale, bold)
        ascent, descent = face.getmetrics()
        width = max(1, int(np.ceil(face.getlength(text))) + 2)
        image = Image.new("RGBA", (width, ascent + descent + 2), (0, 0, 0, 0))
        ImageDraw.Draw(image).text((1, 1), text, font=face, fill=color)
        pixels = np.asarray(image).astype(np.uint16)
        alpha = pixels[..., 3:4]
        return Sprite(alpha, pixels[..., :3] * alpha, (0, 0, *image.size))

    def blend(self, pixels: np.ndarray, label: d.Label) -> None:
        """Blend ``label`` into ``pixels`` ((height, width, 3 or 4) uint8) at its anchor."""
        sprite = self._cache.get(label.text, label.size, label.color, label.bold)
        height, width = pixels.shape[:2]
        blend(pixels, sprite, *place(sprite, label.at, label.ha, label.va, (width, height)))


_SEGMENT = MplPath(np.zeros((2, 2)))


def _segment_paths(segments: np.ndarray) -> list[MplPath]:
    """A two-point `Path` per (start, end) row of ``segments`` (n, 2, 2), made without
    `Path`'s checks (the same as ``Path(segment)``: 2 points, no codes): a 1080p wireframe
    frame makes over a thousand."""
    return [MplPath._fast_from_codes_and_verts(segment, None, _SEGMENT) for segment in segments]


@lru_cache(maxsize=1024)
def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    """matplotlib's RGBA for a colour and alpha, worked out once per pair."""
    return to_rgba(color, alpha)


def _runs(shapes: list[d.Shape]) -> list[list[d.Shape]]:
    """Consecutive shapes of one kind, so lines and discs become one collection each."""
    runs: list[list[d.Shape]] = []
    for shape in shapes:
        if runs and type(runs[-1][0]) is type(shape) and isinstance(shape, (d.Line, d.Circle)):
            runs[-1].append(shape)
        else:
            runs.append([shape])
    return runs
