"""A backend-neutral picture: a list of simple shapes in figure fractions.

A scene computes one `Picture` per moment from its trace; `paint_mpl` and `paint_manim` turn it
into pixels. Both backends therefore show the same numbers, colours and positions. Coordinates
run from (0, 0) at the bottom left to (1, 1) at the top right; sizes are in points for a frame
whose short side is 720 pixels, and scale with the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass

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
    hover: str | None = field(default=None, compare=False)
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


@dataclass(frozen=True)
class Hover:
    """Places where a page shows a text when the pointer rests there (each row's prediction
    at this moment, over discs drawn once for every frame): centers (N, 2), within
    ``radius`` points. Painters of pixels draw nothing."""

    centers: np.ndarray = field(compare=False)
    radius: float
    texts: tuple[str, ...] = field(compare=False)


@dataclass(frozen=True)
class Surface3D:
    """A height field over a grid: ``heights`` (rows along ``ys``, columns along ``xs``) as
    drawn (0..1, NaN where undefined), ``values`` the recorded value at each grid point,
    which a page shows on hover with the point's coordinates, all named by ``names`` (x, y,
    value)."""

    xs: np.ndarray = field(compare=False)
    ys: np.ndarray = field(compare=False)
    heights: np.ndarray = field(compare=False)
    values: np.ndarray = field(compare=False)
    names: tuple[str, str, str] = ("x", "y", "value")


@dataclass(frozen=True)
class Path3D:
    """A stroke through points (N, 3) in the view's coordinates, with a disc at its end when
    ``head`` is set (its radius in points)."""

    points: np.ndarray = field(compare=False)
    color: str
    width: float = 2.0
    head: float = 0.0


@dataclass(frozen=True)
class Cloud3D:
    """Discs at points (N, 3) in the view's coordinates, filled with ``colors`` (N, 3 RGB)
    or outlined in ``edge``, each with its ``hover`` text."""

    points: np.ndarray = field(compare=False)
    radius: float
    colors: np.ndarray | None = field(default=None, compare=False)
    edge: str | None = None
    hover: tuple[str, ...] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Facet3D:
    """A flat filled polygon through points (N, 3) in the view's coordinates."""

    points: np.ndarray = field(compare=False)
    fill: str
    alpha: float = 0.25


@dataclass(frozen=True)
class View3D:
    """A true 3-D view over ``box``: a surface, paths, point clouds and facets in coordinates
    spanning ``ranges`` (x, y, z; each axis named in ``names``), seen from ``azimuth`` and
    ``elevation`` degrees. ``flat`` is that view projected by the kind from this camera, which
    painters of pixels draw; a page draws the shapes themselves, for the reader to turn."""

    box: tuple[float, float, float, float]
    ranges: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    names: tuple[str, str, str]
    azimuth: float
    elevation: float
    flat: tuple[Shape2D, ...] = field(compare=False)
    surface: Surface3D | None = None
    paths: tuple[Path3D, ...] = ()
    clouds: tuple[Cloud3D, ...] = ()
    facets: tuple[Facet3D, ...] = ()


Shape2D = Line | Polyline | Polygon | Circle | Rect | Image | Scatter | Label
Shape = Shape2D | View3D | Hover


def flattened(shapes) -> list[Shape2D]:
    """``shapes`` with each 3-D view replaced by its projection, and no hover places: what
    painters of pixels draw."""
    flat: list[Shape2D] = []
    for shape in shapes:
        if isinstance(shape, View3D):
            flat.extend(shape.flat)
        elif not isinstance(shape, Hover):
            flat.append(shape)
    return flat


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
    def all_shapes(self) -> list[Shape2D]:
        """Background, shapes and overlay, back to front, 3-D views as drawn in a video."""
        return flattened([*self.background, *self.shapes, *self.overlay])


def same_picture(one: Picture, other: Picture) -> bool:
    """Whether two pictures hold the same shapes in the same order, arrays compared by value
    (shapes leave them out of ``==``): a frame equal to the one before needs no painting."""
    return (_same(one.shapes, other.shapes) and _same(one.background, other.background)
            and _same(one.overlay, other.overlay))


def _same(one: object, other: object) -> bool:
    if one is other:
        return True
    if type(one) is not type(other):
        return False
    if isinstance(one, np.ndarray):
        assert isinstance(other, np.ndarray)
        return one.shape == other.shape and bool(np.array_equal(one, other))
    if is_dataclass(one):
        return all(_same(getattr(one, f.name), getattr(other, f.name)) for f in fields(one))
    if isinstance(one, tuple | list):
        assert isinstance(other, tuple | list)
        if len(one) != len(other):
            return False
        if any(isinstance(item, np.ndarray) or is_dataclass(item) for item in one[:1]):
            return all(_same(a, b) for a, b in zip(one, other, strict=True))
    return bool(one == other)  # numbers, strings, tuples of points (compared in C)
