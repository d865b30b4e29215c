"""Scene kinds that describe each frame as a backend-neutral `Picture`.

Such a kind supplies a story (its trace, read once) and a composer (story, frame -> Picture);
this base turns them into frames for matplotlib or manim, and into vector figures.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mlanim.analysis.derived import Derived
from mlanim.draw.display import Label, Picture, same_picture
from mlanim.draw.frame import Units, layout_problems
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotSteps, SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import SceneKind
from mlanim.spec.sections import SceneSpec
from mlanim.trace import Trace

LAYOUT_CHECKS = 12
"""Frames of each render whose layout is checked (spread evenly, the last one included): the
check works on shapes, so it costs little beside painting."""


class PictureFrames:
    """Random-access frames painted from a story's pictures."""

    def __init__(self, story: Any, compose, video: VideoSettings, theme: Theme,
                 backend: str) -> None:
        self.story, self.compose = story, compose
        self.video, self.theme, self.backend = video, theme, backend
        self.count = video.count
        self.units = Units(video, theme)
        self._painter: Any = None
        self._last: tuple[Picture, np.ndarray] | None = None

    @property
    def painter(self) -> Any:
        """The backend's painter, made at the first frame painted (a render of a page or
        subtitles alone paints none, nor imports a painter)."""
        if self._painter is None:
            if self.backend == "manim":
                from mlanim.draw.paint_manim import ManimPainter as Painter
            else:
                from mlanim.draw.paint_mpl import MplPainter as Painter
            self._painter = Painter(self.video, self.theme)
        return self._painter

    def frame(self, index: int) -> np.ndarray:
        """Draw frame ``index``: the same pixels again when its picture is the one before's
        (a hold, or 60 frames a second over 20 snapshots a video)."""
        picture = self.compose(self.story, index)
        if self._last is not None and same_picture(picture, self._last[0]):
            return self._last[1]
        pixels = self.painter.paint(picture)
        self._last = (picture, pixels)
        return pixels

    def layout_problems(self) -> dict[str, int]:
        """Texts cut at an edge or lying on others, each with the first frame showing it, in
        `LAYOUT_CHECKS` frames spread over the video (composed again, not painted)."""
        found: dict[str, int] = {}
        checked = sorted({round(k * (self.count - 1) / max(LAYOUT_CHECKS - 1, 1))
                          for k in range(LAYOUT_CHECKS)})
        for index in checked:
            for problem in layout_problems(self.compose(self.story, index), self.units):
                found.setdefault(problem, index)
        return found

    def close(self) -> None:
        """Free the painter."""
        if self._painter is not None:
            self._painter.close()


def page_views(story: Any, shown: list[int]) -> list[tuple[str, int, int]]:
    """The views of a kind told in views (a story with `segments`, or a laid-out picture's
    story with them), as (name, first, last) among the ``shown`` frames; none for one view."""
    segments = next((found for found in (getattr(x, "segments", None)
                                         for x in story_parts(story)) if found), None)
    if not segments or len({segment.view for segment in segments}) < 2:
        return []
    views: list[tuple[str, int, int]] = []
    for position, frame in enumerate(shown):
        name = next((s.view for s in segments if s.first <= frame <= s.last), segments[-1].view)
        if views and views[-1][0] == name:
            views[-1] = (name, views[-1][1], position)
        else:
            views.append((name, position, position))
    return views


def story_parts(story: Any) -> tuple[Any, ...]:
    """A story and what it may hold its clock and views in: a laid-out picture's ``story``
    or ``s``."""
    return story, getattr(story, "story", None), getattr(story, "s", None)


def swap_clock(story: Any, make: Callable[[SnapshotTimeline], Any]) -> Any:
    """Replace the story's `SnapshotTimeline` with ``make(timeline)`` and return the new
    clock; None for a story told in views."""
    for holder in story_parts(story):
        clock = getattr(holder, "timeline", None)
        if isinstance(clock, SnapshotTimeline):
            holder.timeline = make(clock)
            return holder.timeline
    return None


def on_snapshots(story: Any, most: int) -> list[int]:
    """A story told over snapshots is set to show, step by step, the snapshots themselves
    (``most`` at most): the steps a page's slider takes. None for other stories."""
    steps = swap_clock(story, lambda clock: SnapshotSteps.over(clock.snapshots, most))
    return [] if steps is None else list(range(len(steps.shown)))


def counter_text(picture: Picture) -> str:
    """The moment a picture shows, as its counter says it (``epoch 12 / 60``)."""
    return next((shape.text for shape in picture.all_shapes
                 if isinstance(shape, Label) and shape.role == "counter"), "")


def caption_text(picture: Picture) -> str:
    """The caption lines of ``picture``, top to bottom, as one sentence."""
    lines = [shape for shape in picture.all_shapes
             if isinstance(shape, Label) and shape.role == "caption"]
    return " ".join(line.text for line in sorted(lines, key=lambda label: -label.at[1]))


@dataclass(frozen=True)
class Move:
    """A stretch of a kind's story that a board in a manim scene plays (`mlanim.manim`):
    video frames ``first`` to ``last``, or snapshot positions when ``on_snapshots``, with
    ``settings`` (story attributes, such as the head walked through) set while it plays."""

    first: float
    last: float
    on_snapshots: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        """How many video frames the stretch spans (one for a single moment)."""
        return int(self.last - self.first) + 1


@cache
def _attribute(package: str, name: str) -> Any:
    """``module.attribute`` of ``package``, imported on first use."""
    module, attribute = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"{package}.{module}"), attribute)


class PictureScene(SceneKind):
    """Base of kinds whose frames are `Picture`s: subclasses name their story and composer in
    `drawn_by`, or define `story` and `compose`."""

    drawn_by: ClassVar[tuple[str, str] | None] = None
    """``("story.CurvesStory", "picture.CurvesPicture")``: the kind's story, made from
    ``(spec, trace, video, theme)``, and what draws it, named inside the kind's package and
    imported when first drawn. What draws it is a function ``(story, frame) -> Picture``, or a
    class laid out once from the story whose ``picture(frame)`` answers."""

    moves: ClassVar[tuple[str, ...]] = ()
    """The kind's own animations in a manim scene, by name (``SceneMobject.forward_pass``...);
    `move` says which stretch of the story each plays."""

    def move(self, story: Any, name: str, **options: Any) -> Move:
        """The stretch of ``story`` that the animation ``name`` (one of `moves`) plays, for
        its ``options``; a kind with `moves` overrides this."""
        raise NotImplementedError(name)

    def story(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
              derived: Derived | None = None) -> Any:
        """Everything the composer needs, read from the trace (and derived data) once."""
        if self.drawn_by is None:
            raise NotImplementedError
        story = self._named(self.drawn_by[0])(spec, trace, video, theme)
        drawer = self._named(self.drawn_by[1])
        return drawer(story) if inspect.isclass(drawer) else story

    def compose(self, story: Any, frame: int) -> Picture:
        """The picture shown by ``frame``: the composer function's, or the laid-out
        picture's ``picture(frame)``."""
        drawer = self._named(self.drawn_by[1]) if self.drawn_by else None
        if drawer is not None and not inspect.isclass(drawer):
            return drawer(story, frame)
        return story.picture(frame)

    def _named(self, name: str) -> Any:
        """``module.attribute`` inside this kind's package (looked up once: `compose` asks
        for it every frame)."""
        return _attribute(type(self).__module__, name)

    def frames(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
               backend: str, derived: Derived | None = None) -> PictureFrames:
        """The animation painted by ``backend``."""
        return PictureFrames(self.story(spec, trace, video, theme, derived), self.compose,
                             video, theme, backend)

    def captions(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
                 derived: Derived | None = None) -> list[str]:
        """Each frame's caption text (composed, not painted), even when captions are not
        drawn on screen: what subtitle files say."""
        shown = replace(video, captions=True)
        story = self.story(spec, trace, shown, theme, derived)
        return [caption_text(self.compose(story, frame)) for frame in range(shown.count)]

    def page(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
             path: Path, derived: Derived | None = None) -> None:
        """The render as one interactive page: the pictures of `page_frames` behind a
        slider, each with its counter and caption."""
        from mlanim.extras import require

        require("plotly", "html", "the html format", ("render", "formats"))
        from mlanim.draw.paint_html import HtmlPainter, page_frames

        story = self.story(spec, trace, replace(video, captions=True), theme, derived)
        most = spec.render.page.frames
        shown = on_snapshots(story, most) or page_frames(video.count, most)
        pictures = [self.compose(story, index) for index in shown]
        labels = [counter_text(p) or f"frame {index + 1} / {video.count}"
                  for p, index in zip(pictures, shown, strict=True)]
        title = spec.title or next((s.text for s in pictures[0].background
                                    if isinstance(s, Label) and s.bold), self.name)
        painter = HtmlPainter(video, theme, spec.render.page.max_points)
        painter.write(pictures, labels, [caption_text(p) for p in pictures], title, path,
                      page_views(story, shown))

    def figure(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
               path: Path, derived: Derived | None = None, frame: int | None = None) -> None:
        """Frame ``frame`` (default: the last) as a vector figure."""
        from mlanim.draw.paint_mpl import MplPainter

        painter = MplPainter(video, theme)
        story = self.story(spec, trace, video, theme, derived)
        try:
            painter.save(self.compose(story, video.count - 1 if frame is None else frame),
                         path)
        finally:
            painter.close()
