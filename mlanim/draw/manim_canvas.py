"""manim as a frame renderer: mobjects placed in figure fractions, captured by a Camera.

mlanim drives manim's `Camera` directly, one frame per timeline moment, rather than through
`Scene.play`: both backends then draw from the same timeline, frames are random-access, and
nothing depends on manim's scene-file-writer internals, which change between releases.
Text goes through Pango (`Text`), never LaTeX.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings

FRAME_HEIGHT = 8.0
# manim font_size that matches a matplotlib point size on a 720-pixel-high frame: measured so
# that Pango sets a text as wide as FreeType does in matplotlib frames (within 4%), so one
# layout, checked once, holds for both backends.
FONT_PER_POINT = 1.13


_SCRATCH: list[str] = []
_SMALL_SCRATCH: list[str] = []


def scratch_folder() -> str:
    """This process's temporary folder for manim's working files, removed at exit."""
    if not _SCRATCH:
        folder = tempfile.mkdtemp(prefix="mlanim-manim-")
        atexit.register(shutil.rmtree, folder, True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


MEMORY_FOLDER = Path("/dev/shm")  # Linux's memory-backed folder, where there is one


def small_scratch_folder() -> str:
    """A folder for small files written and read back at once (the SVG of each label Pango
    sets): in memory where the system has such a folder (half the cost of each label on a
    disk), else `scratch_folder`; removed at exit."""
    if not _SMALL_SCRATCH:
        folder = scratch_folder()
        if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK):
            try:
                folder = tempfile.mkdtemp(prefix="mlanim-labels-", dir=MEMORY_FOLDER)
                atexit.register(shutil.rmtree, folder, True)
            except OSError:
                pass  # no room there: the disk's scratch folder serves
        _SMALL_SCRATCH.append(folder)
    return _SMALL_SCRATCH[0]


class ManimCanvas:
    """A manim camera sized to the video, with helpers to place things by figure fraction."""

    def __init__(self, video: VideoSettings, theme: Theme) -> None:
        from manim import Camera, config

        self.video, self.theme = video, theme
        self.frame_width = FRAME_HEIGHT * video.width / video.height
        config.pixel_width, config.pixel_height = video.width, video.height
        config.frame_height, config.frame_width = FRAME_HEIGHT, self.frame_width
        config.frame_rate = video.fps
        config.media_dir = scratch_folder()  # manim's text cache: never the user's folder
        self.camera = Camera(background_color=theme.background, pixel_width=video.width,
                             pixel_height=video.height, frame_width=self.frame_width,
                             frame_height=FRAME_HEIGHT)
        self.blank = self.camera.background.copy()

    @property
    def frame_units(self) -> float:
        """The frame's height in manim units."""
        return FRAME_HEIGHT

    def point(self, fx: float, fy: float) -> np.ndarray:
        """Figure fraction (0..1 from the bottom left) to manim coordinates."""
        return np.array([(fx - 0.5) * self.frame_width, (fy - 0.5) * FRAME_HEIGHT, 0.0])

    def points(self, fractions) -> np.ndarray:
        """Many figure fractions, (n, 2), to manim coordinates, (n, 3): `point` for each."""
        xy = np.asarray(fractions, dtype=float).reshape(-1, 2)
        return np.column_stack([(xy[:, 0] - 0.5) * self.frame_width,
                                (xy[:, 1] - 0.5) * FRAME_HEIGHT, np.zeros(len(xy))])

    def units(self, fraction_w: float = 0.0, fraction_h: float = 0.0) -> tuple[float, float]:
        """Figure-fraction lengths in manim units."""
        return fraction_w * self.frame_width, fraction_h * FRAME_HEIGHT

    @property
    def unit(self) -> float:
        """Length in manim units of what measures 1 unit on a landscape frame.

        manim units are a fixed fraction of the frame's height, while mlanim sizes follow the
        frame's short side; in portrait the two differ, so sizes are scaled by this."""
        return min(self.video.width, self.video.height) / self.video.height

    def font_size(self, points: float) -> float:
        """manim font size for a point size given for a 720-pixel short side."""
        return points * FONT_PER_POINT * self.unit

    def text(self, content: str, points: float, color: str, bold: bool = False):
        """A new Pango `Text` mobject (about 70 ms to build: frames use `PangoSprites`)."""
        from manim import BOLD, NORMAL, Text

        return Text(content, font=self.theme.font, font_size=self.font_size(points),
                    color=color, weight=BOLD if bold else NORMAL)
