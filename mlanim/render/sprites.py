"""Small premultiplied RGBA images (rendered labels) kept for reuse and blended into frames.

Both painters rasterise each distinct label once and blend it wherever it appears: glyph
rendering is the costliest part of a frame, and most labels repeat from frame to frame.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

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
