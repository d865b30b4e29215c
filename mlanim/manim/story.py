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
from mlanim.scenes.picture_scene import PictureScene, swap_clock


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
    """The pictures of one kind of a run, at snapshot positions (0 to ``snapshots - 1``)."""

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
        trace = pipeline.obtain_trace(loaded, spec, False, progress)
        self.video = replace(VideoSettings.from_spec(spec.render), captions=captions)
        derived = pipeline.analyse(self.kind, spec, trace, progress)
        self.theme = load_theme(spec.render.theme)
        story = self.kind.story(spec, trace, self.video, self.theme, derived)
        self.story = story
        self.clock = swap_clock(story, lambda clock: SetClock(clock.snapshots))
        if self.clock is None:
            raise UsageError(f"{kind} is told in views, not over snapshots, and has no "
                             "training to play here yet", hint="pick a kind drawn over "
                             "snapshots: decision_boundary, loss_curves, embedding_evolution, "
                             "feature_space, gradient_flow, loss_landscape, optimizer_paths")
        _, epochs = self.kind.clock(spec, trace) or (None, np.arange(self.snapshots))
        self.epochs = np.asarray(epochs, np.float64)  # each snapshot's, as --at epoch= reads

    @property
    def snapshots(self) -> int:
        """How many snapshots the run recorded for this kind."""
        return self.clock.snapshots

    def at(self, position: float) -> Picture:
        """The picture at a snapshot position (fractions blend two snapshots)."""
        self.clock.position = float(np.clip(position, 0, self.snapshots - 1))
        return self.kind.compose(self.story, 0)

    def position_of(self, epoch: float) -> float:
        """The snapshot position of ``epoch`` (between two snapshots: a fraction)."""
        low, high = float(self.epochs[0]), float(self.epochs[-1])
        if not low <= epoch <= high:
            raise UsageError(f"epoch {epoch:g} is outside the run, which runs from {low:g} to "
                             f"{high:g}", hint=f"pick an epoch from {low:g} to {high:g}")
        return float(np.interp(epoch, self.epochs, np.arange(len(self.epochs))))


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
    return pipeline.load_data({"scene": kind, "trace": str(run.path.resolve())})
