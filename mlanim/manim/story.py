"""A run's pictures at any moment, for a manim scene: the kind's story, built once from the
run's spec (or from the run's trace with the kind's defaults), and set to a snapshot (or a
fraction between two) before each picture is composed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mlanim import pipeline, scenes
from mlanim.draw.display import Picture
from mlanim.draw.theme import load_theme
from mlanim.draw.timeline import Moment
from mlanim.draw.video import VideoSettings
from mlanim.errors import UsageError
from mlanim.progress import SilentProgress
from mlanim.scenes.picture_scene import Move, PictureScene, swap_clock
from mlanim.trace import load_trace


@dataclass
class SetClock:
    """A story's clock that shows whatever snapshot position it was last set to."""

    snapshots: int
    position: float = 0.0

    def at(self, frame: int) -> Moment:
        """The moment set (the frame asked for does not matter)."""
        last = self.snapshots - 1
        phase = "start" if self.position <= 0 else ("end" if self.position >= last
                                                     else "train")
        return Moment(frame, 0.0, float(self.position), phase)


class RunPictures:
    """The pictures of one kind of a run: at snapshot positions (0 to ``snapshots - 1``) for
    a kind told over snapshots, at the video's frames for any kind, and the stretches its
    animations play (`Move`)."""

    def __init__(self, run: Any, kind: str, captions: bool = True) -> None:
        known = scenes.kinds()
        if kind not in known:
            raise UsageError(f"unknown scene kind {kind!r}",
                             hint=f"one of: {', '.join(sorted(known))}")
        self.kind = scenes.get(kind)
        if not isinstance(self.kind, PictureScene):
            raise UsageError(f"{kind} is not drawn as pictures", hint="pick another kind")
        loaded = _loaded(run, kind)
        spec, progress = loaded.spec, SilentProgress(stderr=True)
        trace = (load_trace(run.path) if run.spec is not None and run.path.is_file()
                 else pipeline.obtain_trace(loaded, spec, False, progress))  # load found it
        self.video = replace(VideoSettings.from_spec(spec.render), captions=captions)
        derived = pipeline.analyse(self.kind, spec, trace, progress)
        self.theme = load_theme(spec.render.theme)
        self.story = self.kind.story(spec, trace, self.video, self.theme, derived)
        self.clock = swap_clock(self.story, lambda clock: SetClock(clock.snapshots))
        counted = np.arange(self.snapshots, dtype=np.float64)
        steps, epochs = (self.kind.clock(spec, trace) if self.clock else None) or (counted,
                                                                                 counted)
        self.steps, self.epochs = np.asarray(steps, np.float64), np.asarray(epochs, np.float64)

    @property
    def over_snapshots(self) -> bool:
        """Whether the kind is told over snapshots (else in views, frame by frame)."""
        return self.clock is not None

    @property
    def snapshots(self) -> int:
        """How many snapshots the run recorded for this kind (0 for a kind told in views)."""
        return self.clock.snapshots if self.clock else 0

    @property
    def frames(self) -> int:
        """How many frames the kind's video of this run has."""
        return self.video.count

    def at(self, position: float) -> Picture:
        """The picture at a snapshot position (fractions blend two snapshots)."""
        self.clock.position = float(np.clip(position, 0, self.snapshots - 1))
        return self.kind.compose(self.story, 0)

    def frame(self, index: int, settings: dict[str, Any] | None = None) -> Picture:
        """The video's frame ``index``, the story set as ``settings`` say (a move's)."""
        settings = settings or {}
        before = {name: getattr(self.story, name) for name in settings}
        for name, value in settings.items():
            setattr(self.story, name, value)
        try:
            return self.kind.compose(self.story, int(np.clip(index, 0, self.frames - 1)))
        finally:  # the next picture without these settings is the spec's
            for name, value in before.items():
                setattr(self.story, name, value)

    def position_of(self, epoch: float | None = None, step: float | None = None) -> float:
        """The snapshot position of ``epoch`` or optimizer ``step`` (between two snapshots:
        a fraction)."""
        self.need_snapshots("epoch or step")
        unit, value = ("epoch", epoch) if epoch is not None else ("step", step)
        known = self.epochs if unit == "epoch" else self.steps
        if not np.isfinite(known).all():
            raise UsageError(f"{self.kind.name} counts optimizer steps, not epochs",
                             hint=f"name a step: at(step={value:g})")
        low, high = float(known[0]), float(known[-1])
        if not low <= value <= high:
            raise UsageError(f"{unit} {value:g} is outside the run, which runs from {low:g} "
                             f"to {high:g}", hint=f"pick an {unit} from {low:g} to {high:g}")
        return float(np.interp(value, known, np.arange(len(known))))

    def move(self, name: str, **options: Any) -> Move:
        """The stretch the kind's animation ``name`` plays, for ``options``."""
        if name not in self.kind.moves:
            owners = [k for k in scenes.kinds() if name in getattr(scenes.get(k), "moves", ())]
            raise UsageError(f"{name} is an animation of {', '.join(owners)}, not of "
                             f"{self.kind.name}", hint=self.animations_hint())
        try:
            return self.kind.move(self.story, name, **options)
        except TypeError as error:  # an option the move does not take
            raise UsageError(f"{name}: {error}".replace("move()", name),
                             hint=f"see help(SceneMobject.{name})") from None

    def view(self, name: str) -> Move:
        """The stretch of the video that shows the view ``name`` (a page's tab)."""
        views = [seg for seg in getattr(self.story, "segments", []) or []]
        found = next((seg for seg in views if seg.view == name), None)
        if found is None:
            names = ", ".join(repr(seg.view) for seg in views) or "none"
            raise UsageError(f"{self.kind.name} shows no view {name!r} in this run",
                             hint=f"its views: {names}")
        return Move(found.first, found.last)

    def animations_hint(self) -> str:
        """What a board of this kind can play, as a hint."""
        own = [f"{name}()" for name in self.kind.moves]
        views = "play(view=...)" if getattr(self.story, "segments", None) else None
        return "this board plays " + ", ".join(["train()", *own, *filter(None, [views])])

    def need_snapshots(self, what: str) -> None:
        """Refuse ``what`` (an epoch, a step) for a kind told in views."""
        if not self.over_snapshots:
            raise UsageError(f"{self.kind.name} is told in views, not over snapshots, so it "
                             f"takes no {what}", hint=self.animations_hint())


def _loaded(run: Any, kind: str):
    """The spec that draws ``kind`` from ``run``: its own spec when it is one of that kind,
    else a spec of the kind reading the run's trace."""
    from mlanim.api import Run

    if not isinstance(run, Run):
        raise UsageError(f"a {type(run).__name__} is not a run",
                         hint="pass mlanim.load(\"scene.yaml\") or mlanim.load(\"run.mlanim\")")
    if run.spec is not None:
        loaded = pipeline.load(run.spec)
        if loaded.spec.scene != kind:
            raise UsageError(f"this run was recorded by {run.spec} for {loaded.spec.scene}, "
                             f"and draws only as {loaded.spec.scene}",
                             hint=f"SceneMobject(run, \"{loaded.spec.scene}\")")
        return loaded
    if "trace" not in scenes.get(kind).Spec.model_fields:
        raise UsageError(f"{kind} records its own run and draws no saved trace",
                         hint=f"load a {kind} spec: mlanim.load(\"scene.yaml\")")
    return pipeline.load_data({"scene": kind, "trace": str(run.path.resolve())})
