"""A backend-neutral picture: a list of simple shapes in figure fractions.

A scene computes one `Picture` per moment from its trace; `paint_mpl` and `paint_manim` turn it
into pixels. Both backends therefore show the same numbers, colours and positions. Coordinates
run from (0, 0) at the bottom left to (1, 1) at the top right; sizes are in points for a frame
whose short side is 720 pixels, and scale with the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class Line:
    """A straight stroke."""

    start: Point
    end: Point
    color: str
    width: float = 1.0
    alpha: float = 1.0


@dataclass(frozen=True)
class Polyline:
    """A connected stroke through ``points``, optionally dashed."""

    points: tuple[Point, ...]
    color: str
    width: float = 1.5
    dashed: bool = False
    hover: tuple[str, ...] | None = field(default=None, compare=False)
    """What a page shows when the pointer rests on each point (the recorded numbers);
    painters of pixels ignore it."""


@dataclass(frozen=True)
class Polygon:
    """A filled area bounded by ``points`` (closed automatically), e.g. a band between curves."""

    points: tuple[Point, ...]
    fill: str
    alpha: float = 0.25


@dataclass(frozen=True)
class Circle:
    """A disc of ``radius`` points, filled and/or outlined."""

    center: Point
    radius: float
    fill: str | None
    edge: str | None = None
    edge_width: float = 1.0
    alpha: float = 1.0
    hover: str | None = None
    """What a page shows over the disc (a neuron's activation and gradient)."""


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle (left, bottom, width, height in figure fractions)."""

    box: tuple[float, float, float, float]
    fill: str | None
    edge: str | None = None
    edge_width: float = 1.0


@dataclass(frozen=True)
class Image:
    """An RGB array (rows top to bottom, floats 0..1) stretched over ``box``."""

    box: tuple[float, float, float, float]
    pixels: np.ndarray = field(compare=False)
    smooth: bool = False  # bilinear (pictures of fields) rather than crisp cells
    hover: np.ndarray | None = field(default=None, compare=False)
    """What a page shows over each cell (rows x columns texts: a weight and its two tokens);
    painters of pixels ignore it."""


@dataclass(frozen=True)
class Scatter:
    """Many discs of one ``radius`` (points) at ``centers`` (N, 2 figure fractions), filled
    with ``colors`` (N, 3 RGB floats in 0..1) and/or outlined in ``edge``; ``alpha`` applies
    to both."""

    centers: np.ndarray = field(compare=False)
    radius: float
    colors: np.ndarray | None = field(default=None, compare=False)
    edge: str | None = None
    edge_width: float = 1.0
    alpha: float = 1.0
    hover: tuple[str, ...] | None = field(default=None, compare=False)
    """What a page shows when the pointer rests on each disc (a row's index, class and
    prediction); painters of pixels ignore it."""


@dataclass(frozen=True)
class Label:
    """Text anchored at ``at``; ``ha`` left/center/right, ``va`` bottom/center/top."""

    at: Point
    text: str
    size: float
    color: str
    ha: str = "center"
    va: str = "center"
    bold: bool = False
    role: str = ""  # "caption": the explaining sentence (also subtitles); "counter": the moment


Shape = Line | Polyline | Polygon | Circle | Rect | Image | Scatter | Label


@dataclass
class Picture:
    """Shapes drawn in order, back to front, over a ``background``.

    The background holds what every frame of a render shows alike (titles, panel frames,
    legends). A kind builds it once and hands the same tuple to every picture; painters then
    paint it once and start each frame from its pixels. The overlay is the same for what lies
    on top of every frame's own shapes (data points over a changing field): painted once,
    laid over each frame.
    """

    shapes: list[Shape] = field(default_factory=list)
    background: tuple[Shape, ...] = ()
    overlay: tuple[Shape, ...] = ()

    def add(self, *shapes: Shape) -> Picture:
        """Append shapes; returns self for chaining."""
        self.shapes.extend(shapes)
        return self

    @property
    def all_shapes(self) -> list[Shape]:
        """Background, shapes and overlay, back to front."""
        return [*self.background, *self.shapes, *self.overlay]
