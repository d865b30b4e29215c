"""A run as a manim mobject: `SceneMobject` is a `Group` of the kind's picture at a moment
(shapes as `mlanim.manim.shapes` makes them; a `VGroup` cannot hold images), which a
lecturer places, scales and fades like any mobject, sets to a moment (`at`) and plays
(`train`, `play` and the kinds' own animations, each a `Playback`).

The board holds two layers: ``still``, the picture's background (what a kind draws the same
in every frame: titles, axes, ticks), and ``moving``, the rest. While a `Playback` plays a
board that stands on its own in the scene, the still layer stands beside it in the scene
for that while, so that manim paints it once, not every frame."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import Animation, Group, Rectangle, linear

from mlanim.draw import display as d
from mlanim.manim.lettering import clone
from mlanim.manim.shapes import ShapeMobjects, shape_key, with_line_runs
from mlanim.manim.space import Space
from mlanim.manim.story import RunPictures
from mlanim.scenes.picture_scene import Move

SNAPSHOTS = Move(0, 0, on_snapshots=True)
"""What `SceneMobject.at` shows a snapshot position of."""


class SceneMobject(Group):
    """The picture of ``kind`` drawn from ``run`` (`mlanim.load`), ``width`` manim units wide,
    at its first snapshot, on the theme's background (``background=False``: on the scene's);
    ``captions=False`` leaves the caption out; ``three_d=True`` makes a kind's 3-D views
    (loss surfaces, a 3-unit feature space) 3-D mobjects for a `ThreeDScene`. Move, scale
    and fade it like any mobject; `at` sets it to a moment and `train` plays the run."""

    def __init__(self, run: Any, kind: str, width: float = 7.0, captions: bool = True,
                 background: bool = True, three_d: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pictures = RunPictures(run, kind, captions)
        video = self.pictures.video
        self.frame_size = np.array([width, width * video.height / video.width])
        space = Space(self.pictures.theme) if three_d else None
        self.shapes = ShapeMobjects(self.frame_size, self.pictures.theme.font, space)
        self.built: dict[Any, Any] = {}
        """The last picture's mobjects by shape, copied for the same shape at the same place
        (a new mobject each frame: a playing scene lists the ones it began with, and draws
        each again where it stood in that list)."""
        self.placed_as: tuple = ()
        self.frozen: list | None = None
        """The still layer's shapes while a playback has manim paint it once."""
        self.still_keys: list = []
        self.position = 0.0
        """The snapshot position (or video frame, for a kind told in views) shown."""
        self.background = background
        # Invisible: it keeps where the lecturer put the board.
        self.outline = Rectangle(width=self.frame_size[0], height=self.frame_size[1],
                                 stroke_width=0, fill_opacity=0.0)
        self.still, self.moving = Group(), Group()
        self.add(self.outline, self.still, self.moving)
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
        """Show the picture at ``value`` of ``move`` (a snapshot position or a frame) where
        the board is now (the outline keeps where the lecturer moved and scaled it). A shape
        the last picture also had is copied from its mobject; while the still layer is frozen, a
        picture whose background differs draws it whole in the moving layer, over it."""
        self.position = value
        picture = (self.pictures.at(value) if move.on_snapshots else
                   self.pictures.frame(round(value), move.settings))
        scale = self.outline.width / self.frame_size[0]
        centre = self.outline.get_center()
        if (scale, *centre) != self.placed_as:  # moved or scaled since: nothing is in place
            self.built, self.placed_as = {}, (scale, *centre)
            self.shapes.height_now = float(self.outline.height)
        still = keyed([*self._backdrop(), *self._drawn(picture.background)])
        moving = keyed(self._drawn([*picture.shapes, *picture.overlay]))
        kept, built = self.built, {}
        if self.frozen is None:
            self.still.submobjects = self._parts(still, kept, built)
            self.still_keys = [key for _, key in still]
        elif [key for _, key in still] != self.frozen:
            moving = [*still, *moving]
        self.moving.submobjects = self._parts(moving, kept, built)
        for stale in (m for made in kept.values() for m in made):
            for member in stale.get_family():  # a playing scene may still list them
                member.points = np.zeros((0, 3))
        self.built = built

    def _parts(self, shapes: list[tuple[Any, Any]], kept: dict, built: dict) -> list:
        """The mobjects of ``shapes`` (each with its `shape_key`) in place: copied from
        ``kept`` where the last picture had the same shape, made otherwise; each entered in
        ``built`` by its key."""
        scale, *centre = self.placed_as
        parts = []
        for shape, key in shapes:
            found = kept.get(key) if key is not None else None
            if found:  # a copy: a scene may list the old one
                mobject = clone(found[0])
            else:
                mobject = self.shapes.mobject(shape)
                if mobject is None:
                    continue
                mobject.scale(scale, about_point=np.zeros(3)).shift(np.array(centre))
            built.setdefault(key, []).append(mobject)
            parts.append(mobject)
        return parts

    def freeze(self) -> None:
        """Keep the still layer as it is until `thaw` (a playback has manim paint it once)."""
        self.frozen = self.still_keys
        still = {id(part) for part in self.still.submobjects}
        self.built = {key: [m for m in made if id(m) not in still]
                      for key, made in self.built.items()}

    def thaw(self) -> None:
        """Let the next picture draw the still layer again."""
        self.frozen = None

    def _drawn(self, shapes: list) -> list:
        """The shapes a board draws: 3-D views as the video projects them, or kept whole
        for `three_d` boards."""
        if self.shapes.space is None:
            return with_line_runs(d.flattened(shapes))
        return with_line_runs([shape for shape in shapes if not isinstance(shape, d.Hover)])

    def _backdrop(self) -> list[d.Rect]:
        """The theme's background filling the board, unless the board was made without."""
        return [d.Rect((0, 0, 1, 1), self.pictures.theme.background)] if self.background \
            else []
def keyed(shapes: list) -> list[tuple[Any, Any]]:
    """Each shape with its `shape_key`, made once a frame."""
    return [(shape, shape_key(shape)) for shape in shapes]


class Playback(Animation):
    """A board playing ``move``: each frame shows the snapshot position (or video frame) the
    animation's ``alpha`` of the way through it, ending exactly on its last."""

    def __init__(self, board: SceneMobject, move: Move, **kwargs: Any) -> None:
        self.move = move
        self.split: list | None = None
        pace = board.pictures.video.fps
        kwargs.setdefault("run_time", 4.0 if move.on_snapshots else move.frames / pace)
        kwargs.setdefault("rate_func", linear)  # the snapshots pass at an even pace
        super().__init__(board, **kwargs)

    def _setup_scene(self, scene: Any) -> None:
        """A board standing on its own in ``scene`` lends it its still layer while this
        plays, just below itself: manim paints what does not move once."""
        super()._setup_scene(scene)
        board = self.mobject
        if scene is None or board not in scene.mobjects:
            return
        board.remove(board.still)
        place = scene.mobjects.index(board)
        scene.mobjects.insert(place, board.still)
        self.split = scene.mobjects

    def begin(self) -> None:
        """Start from the first moment (no copy of the board is kept)."""
        self.interpolate_mobject(0.0)
        if self.split is not None:
            self.mobject.freeze()

    def interpolate_mobject(self, alpha: float) -> None:
        """The board ``alpha`` of the way through."""
        move = self.move
        self.mobject.show(move, move.first + (move.last - move.first) * self.rate_func(alpha))

    def finish(self) -> None:
        """End exactly on the last moment's picture."""
        self.mobject.show(self.move, self.move.last)

    def clean_up_from_scene(self, scene: Any) -> None:
        """Take the still layer back into the board."""
        super().clean_up_from_scene(scene)
        board = self.mobject
        if self.split is not None:
            board.thaw()
            if board.still in self.split:
                self.split.remove(board.still)
            board.submobjects = [board.outline, board.still, board.moving]
            self.split = None
