"""Paints a `Picture` with matplotlib: lines and discs batched into collections per frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import font_manager
from matplotlib.collections import EllipseCollection, LineCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle
from PIL import Image, ImageDraw, ImageFont

from mlanim.render import display as d
from mlanim.render.mpl import new_figure, rgb_frame
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings

POINTS_PER_INCH = 72


class MplPainter:
    """One figure reused for every frame; each frame removes the last frame's artists and
    draws the new picture. In frames, texts are pre-rendered sprites (see `TextSprites`)."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self.fig = new_figure(video, theme)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, 1)
        self.ax.set_ylim(0, 1)
        self.ax.set_axis_off()
        self.ax.set_autoscale_on(False)
        self.sprites = TextSprites(video, theme)
        self._added: list = []
        self._z = 1

    def _reset_axes(self) -> None:
        for artist in self._added:
            artist.remove()
        self._added = []
        self._z = 1

    def _pt(self, size: float) -> float:
        return size * self.video.scale

    def paint(self, picture: d.Picture) -> np.ndarray:
        """Render ``picture`` and return the RGB frame (labels on top of the shapes)."""
        self._reset_axes()
        labels = [s for s in picture.shapes if isinstance(s, d.Label)]
        for group in _runs([s for s in picture.shapes if not isinstance(s, d.Label)]):
            self._draw(group)
        self.fig.canvas.draw()
        if not labels:
            return rgb_frame(self.fig)
        width, height = self.fig.canvas.get_width_height()
        frame = Image.frombuffer("RGBA", (width, height), self.fig.canvas.buffer_rgba(), "raw",
                                 "RGBA", 0, 1).copy()
        for label in labels:
            self.sprites.paste(frame, label)
        return np.asarray(frame.convert("RGB"))

    def save(self, picture: d.Picture, path: Path) -> None:
        """Render ``picture`` into a vector (or raster) file, by ``path``'s suffix."""
        self._reset_axes()
        for group in _runs(picture.shapes):
            self._draw(group)
        self.fig.savefig(path, format=path.suffix.lstrip("."), facecolor=self.theme.background)

    def _draw(self, shapes: list[d.Shape]) -> None:
        self._z += 1
        ax, z = self.ax, self._z
        before = {id(a) for a in ax.get_children()}
        self._draw_group(shapes, ax, z)
        self._added += [a for a in ax.get_children() if id(a) not in before]

    def _draw_group(self, shapes: list[d.Shape], ax, z: int) -> None:
        if isinstance(shapes[0], d.Line):
            ax.add_collection(LineCollection(
                [(s.start, s.end) for s in shapes],
                colors=[to_rgba(s.color, s.alpha) for s in shapes],
                linewidths=[self._pt(s.width) for s in shapes], zorder=z, capstyle="round"))
        elif isinstance(shapes[0], d.Circle):
            pixels_per_point = self.fig.dpi / POINTS_PER_INCH
            diameters = [2 * self._pt(s.radius) * pixels_per_point for s in shapes]
            ax.add_collection(EllipseCollection(
                diameters, diameters, np.zeros(len(shapes)), units="dots",
                offsets=[s.center for s in shapes], offset_transform=ax.transData,
                facecolors=[to_rgba(s.fill, s.alpha) if s.fill else "none" for s in shapes],
                edgecolors=[s.edge or "none" for s in shapes],
                linewidths=[self._pt(s.edge_width) for s in shapes], zorder=z))
        else:
            for shape in shapes:
                self._draw_one(shape, z)

    def _draw_one(self, shape: d.Shape, z: int) -> None:
        ax = self.ax
        if isinstance(shape, d.Polyline):
            xs, ys = zip(*shape.points, strict=True)
            ax.plot(xs, ys, color=shape.color, linewidth=self._pt(shape.width),
                    linestyle=(0, (4, 2)) if shape.dashed else "-", zorder=z)
        elif isinstance(shape, d.Rect):
            x, y, w, h = shape.box
            ax.add_patch(Rectangle((x, y), w, h, facecolor=shape.fill or "none",
                                   edgecolor=shape.edge or "none",
                                   linewidth=self._pt(shape.edge_width), zorder=z))
        elif isinstance(shape, d.Image):
            x, y, w, h = shape.box
            ax.imshow(np.clip(shape.pixels, 0, 1), extent=(x, x + w, y, y + h),
                      interpolation="bilinear" if shape.smooth else "nearest", aspect="auto",
                      zorder=z)
        elif isinstance(shape, d.Scatter):
            ax.add_collection(self._scatter(shape, z))
        elif isinstance(shape, d.Label):
            ax.text(*shape.at, shape.text, fontsize=self._pt(shape.size), color=shape.color,
                    ha=shape.ha, va=shape.va,
                    fontweight="bold" if shape.bold else "normal", zorder=z)

    def _scatter(self, shape: d.Scatter, z: int) -> EllipseCollection:
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
            linewidths=self._pt(shape.edge_width), zorder=z)

    def close(self) -> None:
        """Free the figure."""
        import matplotlib.pyplot as plt

        plt.close(self.fig)


class TextSprites:
    """Labels rendered once by Pillow (with matplotlib's own font file) and reused: glyph
    rendering is the costliest part of a matplotlib frame, and most labels repeat."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        self.video, self.theme = video, theme
        self._cache: dict[tuple, Image.Image] = {}
        self._fonts: dict[tuple, ImageFont.FreeTypeFont] = {}

    def _font(self, size: float, bold: bool) -> ImageFont.FreeTypeFont:
        pixels = max(6, round(size * self.video.scale * 100 / POINTS_PER_INCH))
        key = (pixels, bold)
        if key not in self._fonts:
            path = font_manager.findfont(font_manager.FontProperties(
                family=self.theme.font, weight="bold" if bold else "normal"))
            self._fonts[key] = ImageFont.truetype(path, pixels)
        return self._fonts[key]

    def sprite(self, label: d.Label) -> Image.Image:
        """The label's text as an RGBA image, cropped to its ink box plus the line height."""
        key = (label.text, label.size, label.color, label.bold)
        if key not in self._cache:
            font = self._font(label.size, label.bold)
            ascent, descent = font.getmetrics()
            width = max(1, int(np.ceil(font.getlength(label.text))) + 2)
            image = Image.new("RGBA", (width, ascent + descent + 2), (0, 0, 0, 0))
            ImageDraw.Draw(image).text((1, 1), label.text, font=font, fill=label.color)
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
