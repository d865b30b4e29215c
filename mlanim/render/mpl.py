"""matplotlib helpers: a figure sized to the video, themed axes, and fast frame capture.

Frames are drawn with blitting: the static parts are rendered once, and each frame restores that
background and redraws only the artists that change.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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
    """Draws a figure's static parts once, then each frame only its animated artists."""

    def __init__(self, fig: Figure, animated: list[Artist]) -> None:
        self.fig = fig
        self.animated = animated
        for artist in animated:
            artist.set_animated(True)
        fig.canvas.draw()
        self._background = fig.canvas.copy_from_bbox(fig.bbox)

    def add(self, artist: Artist) -> None:
        """Animate an artist created after the background was captured."""
        artist.set_animated(True)
        self.animated.append(artist)

    def remove(self, artist: Artist) -> None:
        """Stop drawing and delete an animated artist."""
        self.animated.remove(artist)
        artist.remove()

    def capture(self) -> np.ndarray:
        """The current frame as RGB uint8."""
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
            artist.axes.draw_artist(artist) if artist.axes else self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def close(self) -> None:
        """Free the figure."""
        plt.close(self.fig)
