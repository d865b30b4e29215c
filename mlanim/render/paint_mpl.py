"""Paints a `Picture` with matplotlib.

The picture's background is drawn once per render and kept as pixels; each frame starts from
them and draws only its own shapes onto the canvas (blitting: lines and discs batched into
collections, images pasted at their pixel box), then lays the labels on top as cached sprites.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import EllipseCollection, LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image, ImageDraw

from mlanim.render import display as d
from mlanim.render.frame import font
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings

DPI = 100
POINTS_PER_INCH = 72


def new_figure(video: VideoSettings, theme: Theme) -> Figure:
    """A figure of exactly the video's pixel size, with the theme's background and font."""
    fig = plt.figure(figsize=(video.width / DPI, video.height / DPI), dpi=DPI)
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
        self._background: tuple[tuple[d.Shape, ...], np.ndarray] | None = None

    def _pt(self, size: float) -> float:
        return size * self.video.scale

    def paint(self, picture: d.Picture) -> np.ndarray:
        """Render ``picture`` and return the RGB frame."""
        pixels = self._background_pixels(picture.background)
        buffer = np.asarray(self.fig.canvas.buffer_rgba())
        buffer[...] = pixels
        shapes = [s for s in picture.shapes if not isinstance(s, d.Label)]
        for group in _runs(shapes):
            if isinstance(group[0], d.Image):
                self._paste(group[0], buffer)
                continue
            for artist in self._draw(group):
                self.ax.draw_artist(artist)
                artist.remove()
        frame = Image.fromarray(buffer)
        for label in picture.shapes:
            if isinstance(label, d.Label):
                self.sprites.paste(frame, label)
        return np.asarray(frame.convert("RGB"))

    def _background_pixels(self, background: tuple[d.Shape, ...]) -> np.ndarray:
        """The background painted once (kept while the picture hands the same tuple)."""
        if self._background is not None and self._background[0] is background:
            return self._background[1]
        artists = [a for group in _runs([s for s in background if not isinstance(s, d.Label)])
                   for a in self._draw(group)]
        self.fig.canvas.draw()
        for artist in artists:
            artist.remove()
        width, height = self.fig.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.fig.canvas.buffer_rgba(), "raw",
                                 "RGBA", 0, 1).copy()
        for label in background:
            if isinstance(label, d.Label):
                self.sprites.paste(image, label)
        self._background = (background, np.asarray(image))
        return self._background[1]

    def _paste(self, shape: d.Image, buffer: np.ndarray) -> None:
        """An image resized straight into its pixel box (faster than an artist)."""
        height, width = buffer.shape[:2]
        x, y, w, h = shape.box
        left, right = round(x * width), round((x + w) * width)
        top, bottom = round((1 - y - h) * height), round((1 - y) * height)
        if right <= left or bottom <= top:
            return
        cells = (np.clip(shape.pixels, 0, 1) * 255).round().astype(np.uint8)
        resample = Image.Resampling.BILINEAR if shape.smooth else Image.Resampling.NEAREST
        image = Image.fromarray(cells).resize((right - left, bottom - top), resample)
        rows = slice(max(top, 0), min(bottom, height))
        cols = slice(max(left, 0), min(right, width))
        patch = np.asarray(image)[rows.start - top: rows.stop - top,
                                  cols.start - left: cols.stop - left]
        buffer[rows, cols, :3] = patch
        buffer[rows, cols, 3] = 255

    def save(self, picture: d.Picture, path: Path) -> None:
        """Render ``picture`` into a vector (or raster) file, by ``path``'s suffix."""
        artists = [a for group in _runs(picture.all_shapes) for a in self._draw(group)]
        self.fig.savefig(path, format=path.suffix.lstrip("."), facecolor=self.theme.background)
        for artist in artists:
            artist.remove()

    def _draw(self, shapes: list[d.Shape]) -> list:
        """Artists for a run of shapes, added to the axes (not yet drawn)."""
        ax = self.ax
        if isinstance(shapes[0], d.Line):
            return [ax.add_collection(LineCollection(
                [(s.start, s.end) for s in shapes],
                colors=[to_rgba(s.color, s.alpha) for s in shapes],
                linewidths=[self._pt(s.width) for s in shapes], capstyle="round"))]
        if isinstance(shapes[0], d.Circle):
            pixels_per_point = self.fig.dpi / POINTS_PER_INCH
            diameters = [2 * self._pt(s.radius) * pixels_per_point for s in shapes]
            return [ax.add_collection(EllipseCollection(
                diameters, diameters, np.zeros(len(shapes)), units="dots",
                offsets=[s.center for s in shapes], offset_transform=ax.transData,
                facecolors=[to_rgba(s.fill, s.alpha) if s.fill else "none" for s in shapes],
                edgecolors=[s.edge or "none" for s in shapes],
                linewidths=[self._pt(s.edge_width) for s in shapes]))]
        return [self._draw_one(shape) for shape in shapes]

    def _draw_one(self, shape: d.Shape):
        ax = self.ax
        if isinstance(shape, d.Polyline):
            xs, ys = zip(*shape.points, strict=True)
            return ax.plot(xs, ys, color=shape.color, linewidth=self._pt(shape.width),
                           linestyle=(0, (4, 2)) if shape.dashed else "-")[0]
        if isinstance(shape, d.Rect):
            x, y, w, h = shape.box
            return ax.add_patch(Rectangle((x, y), w, h, facecolor=shape.fill or "none",
                                          edgecolor=shape.edge or "none",
                                          linewidth=self._pt(shape.edge_width)))
        if isinstance(shape, d.Image):
            x, y, w, h = shape.box
            return ax.imshow(np.clip(shape.pixels, 0, 1), extent=(x, x + w, y, y + h),
                             interpolation="bilinear" if shape.smooth else "nearest",
                             aspect="auto")
        if isinstance(shape, d.Scatter):
            return ax.add_collection(self._scatter(shape))
        if isinstance(shape, d.Label):
            return ax.text(*shape.at, shape.text, fontsize=self._pt(shape.size),
                           color=shape.color, ha=shape.ha, va=shape.va,
                           fontweight="bold" if shape.bold else "normal")
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
    """Labels rendered once by Pillow (with matplotlib's own font file) and reused: glyph
    rendering is the costliest part of a matplotlib frame, and most labels repeat."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self._cache: dict[tuple, Image.Image] = {}

    def sprite(self, label: d.Label) -> Image.Image:
        """The label's text as an RGBA image, cropped to its ink box plus the line height."""
        key = (label.text, label.size, label.color, label.bold)
        if key not in self._cache:
            face = font(self.theme.font, label.size, self.video.scale, label.bold)
            ascent, descent = face.getmetrics()
            width = max(1, int(np.ceil(face.getlength(label.text))) + 2)
            image = Image.new("RGBA", (width, ascent + descent + 2), (0, 0, 0, 0))
            ImageDraw.Draw(image).text((1, 1), label.text, font=face, fill=label.color)
            self._cache[key] = image
        return self._cache[key]

    def paste(self, frame: Image.Image, label: d.Label) -> None:
        """Composite ``label`` onto ``frame`` at its anchor."""
        sprite = self.sprite(label)
        w, h = sprite.size
        x = label.at[0] * frame.width - {"left": 0, "center": w / 2, "right": w}[label.ha]
        y = (1 - label.at[1]) * frame.height - {"top": 0, "center": h / 2, "bottom": h,
                                                "baseline": h * 0.8}[label.va]
        frame.alpha_composite(sprite, (round(x), round(y)))


def _runs(shapes: list[d.Shape]) -> list[list[d.Shape]]:
    """Consecutive shapes of one kind, so lines and discs become one collection each."""
    runs: list[list[d.Shape]] = []
    for shape in shapes:
        if runs and type(runs[-1][0]) is type(shape) and isinstance(shape, (d.Line, d.Circle)):
            runs[-1].append(shape)
        else:
            runs.append([shape])
    return runs
