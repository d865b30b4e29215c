"""Pixel work both painters share: rendered labels (small premultiplied RGBA images) kept for
reuse and blended into frames, and images pasted into their pixel box.

Both painters rasterise each distinct label once and blend it wherever it appears: glyph
rendering is the costliest part of a frame, and most labels repeat from frame to frame.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image as PilImage

from mlanim.draw import display as d

SPRITES_KEPT = 4096  # counters and values change every frame: keep the most recent


@dataclass(frozen=True)
class Sprite:
    """A rendered label: ``alpha`` (h, w, 1) and premultiplied ``color`` (h, w, 3), uint16;
    ``box`` is the part its anchor refers to (left, top, width, height, in sprite pixels)."""

    alpha: np.ndarray
    color: np.ndarray
    box: tuple[float, float, float, float]


class SpriteCache:
    """The most recently used sprites by key, each made once by ``make``."""

    def __init__(self, make: Callable[..., Sprite | None], kept: int = SPRITES_KEPT) -> None:
        self._make, self._kept = make, kept
        self._cache: OrderedDict[Hashable, Sprite | None] = OrderedDict()

    def has(self, *key: Hashable) -> bool:
        """Whether the sprite for ``key`` is kept."""
        return key in self._cache

    def get(self, *key: Hashable) -> Sprite | None:
        """The sprite for ``key``, made by ``make(*key)`` the first time."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        sprite = self._cache[key] = self._make(*key)
        if len(self._cache) > self._kept:
            self._cache.popitem(last=False)
        return sprite


def premultiplied(alpha: np.ndarray, rgb: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(alpha (h, w, 1), colour premultiplied by it (h, w, 3)) as uint16, from a uint8 mask."""
    alpha16 = alpha.astype(np.uint16)[..., None]
    return alpha16, alpha16 * np.asarray(rgb, np.uint16)


def place(sprite: Sprite, at: tuple[float, float], ha: str, va: str,
          size: tuple[int, int], baseline: float = 0.8) -> tuple[int, int]:
    """Top-left pixel of ``sprite`` anchored at figure fraction ``at`` on a frame of ``size``
    (width, height): ``ha`` left/center/right and ``va`` top/center/bottom/baseline refer to its
    box (baseline: ``baseline`` of the box's height from its top)."""
    left, top, w, h = sprite.box
    x = at[0] * size[0] - left - {"left": 0.0, "center": w / 2, "right": w}[ha]
    y = (1 - at[1]) * size[1] - top - {"top": 0.0, "center": h / 2, "bottom": h,
                                       "baseline": h * baseline}[va]
    return round(x), round(y)


def blend(pixels: np.ndarray, sprite: Sprite, x: int, y: int) -> None:
    """Blend ``sprite`` into ``pixels`` ((height, width, 3 or 4) uint8) with its top-left corner
    at pixel (x, y); what falls outside the frame is dropped."""
    h, w = sprite.alpha.shape[:2]
    height, width = pixels.shape[:2]
    top, left = max(y, 0), max(x, 0)
    bottom, right = min(y + h, height), min(x + w, width)
    if bottom <= top or right <= left:
        return
    a = sprite.alpha[top - y: bottom - y, left - x: right - x]
    c = sprite.color[top - y: bottom - y, left - x: right - x]
    region = pixels[top:bottom, left:right, :3]
    region[...] = (region.astype(np.uint16) * (255 - a) + c + 127) // 255


RESIZED_KEPT = 8
"""Images kept resized (by their cells' array): a kind that shows the same field over many
frames hands the same array, and pays for the resize once."""
_resized: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()


def handed_on(rgba: np.ndarray) -> np.ndarray:
    """A painted frame to hand on: a copy of the painter's RGBA buffer, seen as RGB.

    Copying 4 bytes a pixel is one memcpy (0.5 ms at 1080p); packing them to 3 took 20-30 ms
    (Pillow or numpy). Writers that can read the RGBA pixels whole do
    (`mlanim.encode.video.rgba_under`); to everything else it is an RGB array.
    """
    return rgba.copy()[..., :3]


def paste(shape: d.Image, pixels: np.ndarray) -> None:
    """``shape``'s cells resized straight into its pixel box of ``pixels`` ((height, width, 4)
    uint8), bilinear or crisp: faster than any artist or mobject, and the same in both."""
    height, width = pixels.shape[:2]
    x, y, w, h = shape.box
    left, right = round(x * width), round((x + w) * width)
    top, bottom = round((1 - y - h) * height), round((1 - y) * height)
    if right <= left or bottom <= top:
        return
    image = _resized_cells(shape, right - left, bottom - top)
    rows = slice(max(top, 0), min(bottom, height))
    cols = slice(max(left, 0), min(right, width))
    pixels[rows, cols] = image[rows.start - top: rows.stop - top,
                               cols.start - left: cols.stop - left]


def _resized_cells(shape: d.Image, width: int, height: int) -> np.ndarray:
    """``shape``'s cells as opaque RGBA of ``width`` x ``height`` (kept: the cache holds the
    array itself, so its id names it while it is kept)."""
    key = (id(shape.pixels), width, height, shape.smooth)
    kept = _resized.get(key)
    if kept is not None and kept[0] is shape.pixels:
        _resized.move_to_end(key)
        return kept[1]
    cells = (np.clip(shape.pixels, 0, 1) * 255).round().astype(np.uint8)
    resample = PilImage.Resampling.BILINEAR if shape.smooth else PilImage.Resampling.NEAREST
    # opaque RGBA: one contiguous copy into the buffer instead of colour, then alpha
    image = np.asarray(PilImage.fromarray(cells).convert("RGBA").resize((width, height),
                                                                        resample))
    _resized[key] = (shape.pixels, image)
    if len(_resized) > RESIZED_KEPT:
        _resized.popitem(last=False)
    return image


Shapes = tuple[d.Shape, ...]


class Overlay(NamedTuple):
    """A layer's inked pixels: flat indices, alpha (n, 1) and colour premultiplied by alpha on
    a 0..255*255 scale (n, 3), uint16."""

    inked: np.ndarray
    alpha: np.ndarray
    colour: np.ndarray

    def lay_over(self, pixels: np.ndarray) -> None:
        """Blend onto ``pixels`` ((height, width, 4) uint8) at the inked pixels only: points
        scattered over a frame cover a small part of it."""
        flat = pixels.reshape(-1, 4)
        under = flat[self.inked, :3].astype(np.uint16)
        flat[self.inked, :3] = ((under * (255 - self.alpha) + self.colour + 127) // 255
                                ).astype(np.uint8)


class Layers:
    """A render's background and overlay, each painted once by ``paint(shapes, transparent)``
    (RGBA pixels, premultiplied by alpha or not) and kept while a picture hands the same
    tuple: every frame starts from the background's pixels and lays the overlay on top."""

    def __init__(self, paint: Callable[[Shapes, bool], np.ndarray], premultiplied: bool) -> None:
        self._paint, self._premultiplied = paint, premultiplied
        self._background: tuple[Shapes, np.ndarray] | None = None
        self._overlay: tuple[Shapes, Overlay] | None = None

    def background(self, shapes: Shapes) -> np.ndarray:
        """The background's pixels (RGBA)."""
        if self._background is None or self._background[0] is not shapes:
            self._background = (shapes, self._paint(shapes, False))
        return self._background[1]

    def overlay(self, shapes: Shapes) -> Overlay | None:
        """The overlay's inked pixels, or None when there is no overlay."""
        if not shapes:
            return None
        if self._overlay is None or self._overlay[0] is not shapes:
            layer = self._paint(shapes, True).reshape(-1, 4)
            inked = np.flatnonzero(layer[:, 3])
            alpha = layer[inked, 3:4].astype(np.uint16)
            colour = layer[inked, :3].astype(np.uint16) * (255 if self._premultiplied else alpha)
            self._overlay = (shapes, Overlay(inked, alpha, colour))
        return self._overlay[1]
