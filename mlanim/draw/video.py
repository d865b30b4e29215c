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
    titles: bool = True
    dpi: int = 100  # pixels an inch of saved figures (the layout's sizes assume 100)

    @property
    def paper(self) -> bool:
        """A figure for a paper (no titles): stills drawn as print figures."""
        return not self.titles

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
        if spec.figure == "paper":
            return cls.paper_figure(spec, wide, tall)
        short = quality["short_side"]
        if wide >= tall:
            width, height = short * wide / tall, short
        else:
            width, height = short, short * tall / wide
        return cls(_even(width), _even(height), spec.fps or quality["fps"], spec.duration,
                   spec.captions, spec.gif)


    @classmethod
    def paper_figure(cls, spec: RenderSpec, wide: int, tall: int) -> VideoSettings:
        """``render.column`` inches wide at `PAPER_DPI`: the layout of a video frame, shrunk
        to the column (type shrinks with it: see `printed_label_pt`)."""
        width = spec.column * PAPER_DPI
        return cls(_even(width), _even(width * tall / wide), spec.fps or 30, spec.duration,
                   False, spec.gif, titles=False, dpi=PAPER_DPI)

    @property
    def printed_label_pt(self) -> float:
        """How large chart labels print in a figure saved at ``dpi``."""
        label = read_config("render")["type"]["label"]
        return label * self.scale * PIXELS_PER_POINT * POINTS_PER_INCH / self.dpi


PAPER_DPI = 300  # a paper figure: print resolution
POINTS_PER_INCH = 72
SMALLEST_PRINTED_PT = 6.0  # labels smaller than this are hard to read in print
PIXELS_PER_POINT = 100 / 72  # layout sizes are points at 720p, drawn at 100 dpi


def _even(pixels: float) -> int:
    """H.264 with yuv420p needs even dimensions."""
    return int(round(pixels / 2) * 2)
