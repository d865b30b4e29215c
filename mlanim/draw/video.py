"""Frame size, frame rate and frame count, from the spec's ``render:`` section."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlanim.draw.config import read_config
from mlanim.spec.sections import GifSpec, RenderSpec


@dataclass(frozen=True)
class VideoSettings:
    """The geometry and pacing of one render."""

    width: int
    height: int
    fps: int
    duration: float
    captions: bool = True
    gif: GifSpec = field(default_factory=GifSpec)

    @property
    def count(self) -> int:
        """Number of frames."""
        return max(2, round(self.duration * self.fps))

    @property
    def scale(self) -> float:
        """Type and line sizes relative to a 720-pixel short side."""
        return min(self.width, self.height) / 720

    @property
    def portrait(self) -> bool:
        """Taller than wide, or square: panels stack vertically."""
        return self.height >= self.width

    @classmethod
    def from_spec(cls, spec: RenderSpec) -> VideoSettings:
        """Settings for ``spec``'s quality, aspect, duration and frame rate."""
        presets = read_config("render")
        quality = presets["qualities"][spec.quality]
        wide, tall = presets["aspects"][spec.aspect]
        short = quality["short_side"]
        if wide >= tall:
            width, height = short * wide / tall, short
        else:
            width, height = short, short * tall / wide
        return cls(_even(width), _even(height), spec.fps or quality["fps"], spec.duration,
                   spec.captions, spec.gif)


def _even(pixels: float) -> int:
    """H.264 with yuv420p needs even dimensions."""
    return int(round(pixels / 2) * 2)
