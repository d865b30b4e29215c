"""matplotlib helpers: a figure sized to the video, themed axes, and fast frame capture.

Frames are drawn with blitting: the static parts are rendered once, and each frame restores that
background and redraws only the artists that change.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings

DPI = 100


def new_figure(video: VideoSettings, theme: Theme) -> Figure:
    """A figure of exactly the video's pixel size, with the theme's background and font."""
    fig = plt.figure(figsize=(video.width / DPI, video.height / DPI), dpi=DPI)
    fig.patch.set_facecolor(theme.background)
    plt.rcParams["font.family"] = theme.font
    return fig


def points(video: VideoSettings, size: float) -> float:
    """A font or line size given for 720p, scaled to this video."""
    return size * video.scale


def style_axes(ax: Axes, theme: Theme, video: VideoSettings) -> None:
    """Theme colours, light spines, readable ticks."""
    ax.set_facecolor(theme.panel)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    ax.tick_params(colors=theme.muted, labelsize=points(video, 10), length=0)
    ax.xaxis.label.set_color(theme.muted)
    ax.yaxis.label.set_color(theme.muted)
    ax.xaxis.label.set_size(points(video, 11))
    ax.yaxis.label.set_size(points(video, 11))
    ax.grid(True, color=theme.grid, linewidth=points(video, 0.6))
    ax.set_axisbelow(True)


class BlitCanvas:
    """Draws a figure's static parts once; each frame redraws only what changed.

    ``animated`` artists are redrawn every frame. ``sprites`` are texts that change now and
    then (counters, captions): each is re-rendered only when its string changes, and otherwise
    its pixels from the last rendering are restored (glyph rendering is the costliest part of
    a frame). Sprites must not overlap animated artists.
    """

    def __init__(self, fig: Figure, animated: list[Artist], sprites: list[Text] = ()) -> None:
        self.fig = fig
        self.animated = list(animated)
        self.sprites = list(sprites)
        for artist in [*self.animated, *self.sprites]:
            artist.set_animated(True)
        fig.canvas.draw()
        self._background = fig.canvas.copy_from_bbox(fig.bbox)
        self._sprite_pixels: dict[int, tuple[str, object]] = {}

    def add(self, artist: Artist) -> None:
        """Animate an artist created after the background was captured."""
        artist.set_animated(True)
        self.animated.append(artist)

    def remove(self, artist: Artist) -> None:
        """Stop drawing and delete an animated artist."""
        self.animated.remove(artist)
        artist.remove()

    def buffer(self) -> np.ndarray:
        """The canvas pixels, (height, width, 4) uint8, writable, top row first."""
        return np.asarray(self.fig.canvas.buffer_rgba())

    def pixel_box(self, ax: Axes) -> tuple[slice, slice]:
        """Row and column slices of the buffer covered by ``ax``."""
        height = self.fig.canvas.get_width_height()[1]
        box = ax.get_window_extent()
        rows = slice(round(height - box.y1), round(height - box.y0))
        return rows, slice(round(box.x0), round(box.x1))

    def restore(self) -> None:
        """Start a frame: the static background only."""
        self.fig.canvas.restore_region(self._background)

    def capture(self, overlays: tuple[tuple[Image.Image, tuple[slice, slice]], ...] = ()
                ) -> np.ndarray:
        """Draw the animated artists, lay each overlay on its pixel box, draw or restore the
        sprites; return the RGB frame."""
        for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
            _draw(self.fig, artist)
        for layer, (rows, cols) in overlays:
            region = self.buffer()[rows, cols]
            region[...] = np.asarray(Image.alpha_composite(Image.fromarray(region), layer))
        for sprite in self.sprites:
            self._draw_sprite(sprite)
        return rgb_frame(self.fig)

    def _draw_sprite(self, sprite: Text) -> None:
        canvas = self.fig.canvas
        text = sprite.get_text() if sprite.get_visible() else ""
        cached = self._sprite_pixels.get(id(sprite))
        if cached is not None and cached[0] == text:
            canvas.restore_region(cached[1])
            return
        if not text:
            return
        _draw(self.fig, sprite)
        box = sprite.get_window_extent(canvas.get_renderer()).padded(3)
        box = Bbox.intersection(box, self.fig.bbox) or box
        self._sprite_pixels[id(sprite)] = (text, canvas.copy_from_bbox(box))

    def close(self) -> None:
        """Free the figure."""
        plt.close(self.fig)


def rgb_frame(fig: Figure) -> np.ndarray:
    """The canvas as a new RGB array (Pillow drops the alpha channel 5x faster than numpy)."""
    width, height = fig.canvas.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    return np.asarray(rgba.convert("RGB"))


def transparent_layer(video: VideoSettings, rect: tuple[float, float, float, float],
                      xlim: tuple[float, float], ylim: tuple[float, float],
                      draw: Callable[[Axes], object]) -> Image.Image:
    """What ``draw`` puts on axes at ``rect`` (with these limits), alone on a transparent
    background, cropped to the axes: an RGBA overlay to composite onto every frame."""
    fig = plt.figure(figsize=(video.width / DPI, video.height / DPI), dpi=DPI)
    fig.patch.set_alpha(0.0)
    ax = fig.add_axes(rect)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    draw(ax)
    fig.canvas.draw()
    box = ax.get_window_extent()
    width, height = fig.canvas.get_width_height()
    full = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA",
                            0, 1).copy()
    plt.close(fig)
    return full.crop((round(box.x0), round(height - box.y1), round(box.x1),
                      round(height - box.y0)))


def _draw(fig: Figure, artist: Artist) -> None:
    if artist.axes is not None:
        artist.axes.draw_artist(artist)
    else:
        fig.draw_artist(artist)
