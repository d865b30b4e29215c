"""A run as a manim mobject: `SceneMobject` is a `Group` of the kind's picture at a moment
(lines, polygons and discs as VMobjects, labels as Pango `Text`, fields as `ImageMobject`; a
`VGroup` cannot hold images),
which a lecturer places, scales and fades like any mobject, sets to a moment (`at`) and plays
over epochs (`train`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import (
    BOLD,
    NORMAL,
    Animation,
    Circle,
    DashedVMobject,
    Dot,
    Group,
    ImageMobject,
    Line,
    Polygon,
    Rectangle,
    Text,
    VGroup,
    VMobject,
    linear,
)

from mlanim.draw import display as d
from mlanim.draw.manim_canvas import FONT_PER_POINT
from mlanim.manim.story import RunPictures
from mlanim.scenes.picture_scene import Move

STROKE_PER_POINT = 2.0
"""manim stroke width of a one-point line on a frame 8 manim units high (as the videos)."""
FRAME_HEIGHT = 8.0
SNAPSHOTS = Move(0, 0, on_snapshots=True)
"""What `SceneMobject.at` shows a snapshot position of."""
DASH_POINTS = 6.0
"""A dash and its gap, in points: about as matplotlib dashes the videos' lines."""


class SceneMobject(Group):
    """The picture of ``kind`` drawn from ``run`` (`mlanim.load`), ``width`` manim units wide,
    at its first snapshot, on the theme's background (``background=False``: on the scene's);
    ``captions=False`` leaves the caption out. Move, scale and fade it like any mobject; `at`
    sets it to a moment and `train` plays the run."""

    def __init__(self, run: Any, kind: str, width: float = 7.0, captions: bool = True,
                 background: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pictures = RunPictures(run, kind, captions)
        video = self.pictures.video
        self.frame_size = np.array([width, width * video.height / video.width])
        self.texts: dict[tuple, Text] = {}
        self.position = 0.0
        """The snapshot position (or video frame, for a kind told in views) shown."""
        self.background = background
        # Invisible: it keeps where the lecturer put the board. The background is drawn anew
        # with each picture, because a playing scene may still list the old parts after it.
        self.outline = Rectangle(width=self.frame_size[0], height=self.frame_size[1],
                                 stroke_width=0, fill_opacity=0.0)
        self.at()

    # -- moments ---------------------------------------------------------------------------
    def at(self, epoch: float | None = None, *, step: float | None = None,
           position: float | None = None, frame: int | None = None) -> SceneMobject:
        """Show the run at ``epoch`` (or optimizer ``step``, snapshot ``position``, or the
        video's ``frame``, which kinds told in views take); returns self."""
        if frame is not None:
            self.show(Move(frame, frame), float(frame))
            return self
        chosen = position
        if epoch is not None or step is not None:
            chosen = self.pictures.position_of(epoch, step)
        if chosen is None and not self.pictures.over_snapshots:
            return self.at(frame=0)
        self.pictures.need_snapshots("snapshot position")
        self.show(SNAPSHOTS, float(chosen or 0.0))
        return self

    def train(self, epochs: tuple[float, float] | None = None,
              steps: tuple[float, float] | None = None, **kwargs: Any) -> Playback:
        """Training from ``epochs[0]`` to ``epochs[1]`` (or optimizer ``steps``; default the
        whole run; a kind told in views plays its whole video), the snapshots passing at an
        even pace. Compose it with ``run_time``, `Succession` and `AnimationGroup`."""
        span = epochs if epochs is not None else steps
        if span is None and not self.pictures.over_snapshots:
            return self.play()
        if span is None:
            return Playback(self, Move(0, self.pictures.snapshots - 1, True), **kwargs)
        unit = "epoch" if epochs is not None else "step"
        first, last = (self.pictures.position_of(**{unit: value}) for value in span)
        return Playback(self, Move(first, last, True), **kwargs)

    def play(self, view: str | None = None, **kwargs: Any) -> Playback:
        """The kind's video (or its ``view``, as a page's tabs name them) frame by frame, at
        the video's pace unless ``run_time`` says otherwise."""
        if view is None and self.pictures.over_snapshots:
            return self.train(**kwargs)
        move = (self.pictures.view(view) if view is not None
                else Move(0, self.pictures.frames - 1))
        return Playback(self, move, **kwargs)

    def forward_pass(self, step: int | None = None, sample: int | None = None,
                     **kwargs: Any) -> Playback:
        """network_pulses: the recorded sample's green pulses forward through the layers to
        the loss, in training step ``step`` (from 0; default the first shown in detail)."""
        return self._move("forward_pass", kwargs, step=step, sample=sample)

    def backward_pass(self, step: int | None = None, **kwargs: Any) -> Playback:
        """network_pulses: red pulses carrying the recorded error back, each neuron's δ and
        each weight's gradient, then the update, in training step ``step``."""
        return self._move("backward_pass", kwargs, step=step)

    def walkthrough(self, head: int | None = None, layer: int | None = None,
                    **kwargs: Any) -> Playback:
        """attention: one head of the trained model computing its attention (Q, K, V, the
        scores, the softmax row by row, the mix), every matrix the recorded one."""
        return self._move("walkthrough", kwargs, head=head, layer=layer)

    def optimizer_race(self, **kwargs: Any) -> Playback:
        """optimizer_paths: every optimizer's recorded path, from the start to its last
        step."""
        return self._move("optimizer_race", kwargs)

    def _move(self, name: str, kwargs: dict[str, Any], **options: Any) -> Playback:
        chosen = {key: value for key, value in options.items() if value is not None}
        return Playback(self, self.pictures.move(name, **chosen), **kwargs)

    # -- drawing ---------------------------------------------------------------------------
    def show(self, move: Move, value: float) -> None:
        """Replace the submobjects by the picture at ``value`` of ``move`` (a snapshot
        position or a frame), where the board is now (the frame's outline keeps where the
        lecturer moved and scaled it)."""
        self.position = value
        picture = (self.pictures.at(value) if move.on_snapshots else
                   self.pictures.frame(round(value), move.settings))
        scale = self.outline.width / self.frame_size[0]
        centre = self.outline.get_center()
        for old in self.submobjects[1:]:  # a playing scene may still hold them: empty them
            for member in old.get_family():
                member.points = np.zeros((0, 3))
        parts = [self.outline, *self._backdrop(), *self._mobjects(picture)]
        self.submobjects = parts
        for part in parts[1:]:
            part.scale(scale, about_point=np.zeros(3)).shift(centre)

    def _backdrop(self) -> list[Rectangle]:
        """The theme's background filling the board, unless the board was made without."""
        if not self.background:
            return []
        return [Rectangle(width=self.frame_size[0], height=self.frame_size[1], stroke_width=0,
                          fill_color=self.pictures.theme.background, fill_opacity=1.0)]

    def _mobjects(self, picture: d.Picture) -> list:
        made = []
        for shape in d.flattened([*picture.background, *picture.shapes, *picture.overlay]):
            mobject = self._mobject(shape)
            if mobject is not None:
                made.append(mobject)
        return made

    def _point(self, at) -> np.ndarray:
        """A figure fraction as a point of the board (its centre at the origin)."""
        return np.array([(at[0] - 0.5) * self.frame_size[0],
                         (at[1] - 0.5) * self.frame_size[1], 0.0])

    def _stroke(self, points: float) -> float:
        """A line width in points as a manim stroke width for the board's size now (manim
        does not scale stroke widths with a mobject, so they follow the board's outline)."""
        return points * STROKE_PER_POINT * self.outline.height / FRAME_HEIGHT

    def _mobject(self, shape: d.Shape2D):
        if isinstance(shape, d.Line):
            return Line(self._point(shape.start), self._point(shape.end),
                        stroke_color=shape.color, stroke_width=self._stroke(shape.width),
                        stroke_opacity=shape.alpha)
        if isinstance(shape, d.Polyline):
            path = VMobject(stroke_color=shape.color, stroke_width=self._stroke(shape.width))
            path.set_points_as_corners([self._point(p) for p in shape.points])
            if not shape.dashed:
                return path
            dashes = path.get_arc_length() / self._radius(DASH_POINTS)
            return DashedVMobject(path, num_dashes=max(1, round(dashes)))
        if isinstance(shape, d.Polygon):
            return Polygon(*[self._point(p) for p in shape.points], stroke_width=0,
                           fill_color=shape.fill, fill_opacity=shape.alpha)
        if isinstance(shape, d.Rect):
            return self._rect(shape)
        if isinstance(shape, d.Circle):
            return self._disc(shape.center, shape.radius, shape.fill, shape.edge,
                              shape.edge_width, shape.alpha)
        if isinstance(shape, d.Scatter):
            return self._scatter(shape)
        if isinstance(shape, d.Image):
            return self._image(shape)
        if isinstance(shape, d.Label):
            return self._label(shape)
        return None

    def _rect(self, shape: d.Rect) -> Rectangle:
        x, y, w, h = shape.box
        rect = Rectangle(width=w * self.frame_size[0], height=h * self.frame_size[1],
                         stroke_color=shape.edge or "#000000",
                         stroke_width=self._stroke(shape.edge_width) if shape.edge else 0,
                         fill_color=shape.fill or "#000000",
                         fill_opacity=1.0 if shape.fill else 0.0)
        return rect.move_to(self._point((x + w / 2, y + h / 2)))

    def _radius(self, points: float) -> float:
        """A radius in points (720p) as board units."""
        return points * self.frame_size[1] / 720 * 100 / 72

    def _disc(self, center, radius: float, fill, edge, edge_width: float, alpha: float):
        return Circle(radius=self._radius(radius), fill_color=fill or "#000000",
                      fill_opacity=alpha if fill else 0.0, stroke_color=edge or "#000000",
                      stroke_width=self._stroke(edge_width) if edge else 0,
                      stroke_opacity=alpha).move_to(self._point(center))

    def _scatter(self, shape: d.Scatter) -> VGroup:
        colors = None if shape.colors is None else np.clip(np.asarray(shape.colors), 0, 1)
        dots = []
        for k, center in enumerate(np.asarray(shape.centers)):
            fill = None if colors is None else "#{:02x}{:02x}{:02x}".format(
                *(round(float(c) * 255) for c in colors[k]))
            if fill is not None and shape.edge is None:
                dots.append(Dot(self._point(center), radius=self._radius(shape.radius),
                                color=fill, fill_opacity=shape.alpha))
            else:
                dots.append(self._disc(center, shape.radius, fill, shape.edge,
                                       shape.edge_width, shape.alpha))
        return VGroup(*dots)

    def _image(self, shape: d.Image) -> ImageMobject:
        pixels = (np.clip(np.asarray(shape.pixels, np.float64), 0, 1) * 255).round()
        image = ImageMobject(pixels.astype(np.uint8))
        x, y, w, h = shape.box
        image.stretch_to_fit_width(w * self.frame_size[0])
        image.stretch_to_fit_height(h * self.frame_size[1])
        return image.move_to(self._point((x + w / 2, y + h / 2)))

    def _label(self, shape: d.Label) -> Text | None:
        content = shape.text.strip()
        if not content:
            return None
        key = (content, shape.size, shape.color, shape.bold)
        if key not in self.texts:
            size = shape.size * FONT_PER_POINT * self.frame_size[1] / FRAME_HEIGHT
            self.texts[key] = Text(content, font=self.pictures.theme.font, font_size=size,
                                   color=shape.color, weight=BOLD if shape.bold else NORMAL)
        text = self.texts[key].copy()
        anchor = {"left": 0, "center": 0.5, "right": 1}[shape.ha]
        rise = {"bottom": 0, "baseline": 0, "center": 0.5, "top": 1}.get(shape.va, 0.5)
        corner = text.get_corner(np.array([-1.0, -1.0, 0.0]))
        target = self._point(shape.at) - np.array([anchor * text.width, rise * text.height, 0])
        return text.shift(target - corner)


class Playback(Animation):
    """A board playing ``move``: each frame shows the snapshot position (or video frame) the
    animation's ``alpha`` of the way through it, ending exactly on its last."""

    def __init__(self, board: SceneMobject, move: Move, **kwargs: Any) -> None:
        self.move = move
        pace = board.pictures.video.fps
        kwargs.setdefault("run_time", 4.0 if move.on_snapshots else move.frames / pace)
        kwargs.setdefault("rate_func", linear)  # the snapshots pass at an even pace
        super().__init__(board, **kwargs)

    def begin(self) -> None:
        """Start from the first moment (no copy of the board is kept)."""
        self.interpolate_mobject(0.0)

    def interpolate_mobject(self, alpha: float) -> None:
        """The board ``alpha`` of the way through."""
        move = self.move
        self.mobject.show(move, move.first + (move.last - move.first) * self.rate_func(alpha))

    def finish(self) -> None:
        """End exactly on the last moment's picture."""
        self.mobject.show(self.move, self.move.last)
