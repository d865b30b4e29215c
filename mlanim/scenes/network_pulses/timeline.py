"""The pulses scene's clock: which step, which phase, which layer, how far along."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.draw.timeline import Segment

WEIGHTS = {"intro": 0.6, "forward": 1.0, "loss": 1.0, "backward": 0.9, "update": 1.5,
           "fast": 1.6, "outro": 1.2}


@dataclass(frozen=True)
class Stage:
    """A stretch of video: a phase of one focus step (or a fast-forward between them); the
    shared `mlanim.draw.timeline.Segment` is a view of a video told in views, not this."""

    phase: str  # intro | forward | loss | backward | update | fast | outro
    focus: int  # index into the focus steps (-1 before the first)
    layer: int = 0  # forward: transition layer -> layer+1; backward: layer+1 -> layer
    start_count: int = 0  # fast: optimizer steps done at the start and the end
    end_count: int = 0


@dataclass(frozen=True)
class Beat:
    """One frame's place in the story."""

    stage: Stage
    progress: float  # 0..1 through the stage


def plan_stages(focus_steps: list[int], depth: int, total_steps: int) -> list[Stage]:
    """intro, then per focus step forward x depth, loss, backward x depth, update, with
    fast-forwards over the steps between them, and an outro after the last training step."""
    stages = [Stage("intro", -1)]
    done = 0  # optimizer steps completed so far
    for f, step in enumerate(focus_steps):
        if step > done:
            stages.append(Stage("fast", f - 1, 0, done, step))
        stages += [Stage("forward", f, layer) for layer in range(depth)]
        stages.append(Stage("loss", f))
        stages += [Stage("backward", f, layer) for layer in reversed(range(depth))]
        stages.append(Stage("update", f))
        done = step + 1
    if done < total_steps:
        stages.append(Stage("fast", len(focus_steps) - 1, 0, done, total_steps))
    stages.append(Stage("outro", len(focus_steps) - 1))
    return stages


class PulseTimeline:
    """Shares the video's frames among stages in proportion to their weights."""

    def __init__(self, stages: list[Stage], frames: int) -> None:
        self.stages = stages
        weights = np.array([WEIGHTS[s.phase] for s in stages])
        self.edges = np.concatenate([[0.0], np.cumsum(weights / weights.sum())]) * frames
        self.frames = frames

    def at(self, frame: int) -> Beat:
        """The beat shown by ``frame``."""
        position = min(frame + 0.5, self.frames - 1e-9)
        index = int(np.searchsorted(self.edges, position, side="right") - 1)
        index = min(max(index, 0), len(self.stages) - 1)
        span = self.edges[index + 1] - self.edges[index]
        progress = float(np.clip((position - self.edges[index]) / max(span, 1e-9), 0, 1))
        return Beat(self.stages[index], progress)

    def frames_of(self, index: int) -> tuple[int, int]:
        """The first and last video frame of stage ``index`` (as `at` assigns frames)."""
        first = int(np.ceil(self.edges[index] - 0.5))
        return first, int(np.ceil(self.edges[index + 1] - 0.5)) - 1

    def span(self, phases: tuple[str, ...], focus: int) -> tuple[int, int]:
        """The first and last frame of the ``phases`` of focus step ``focus``."""
        chosen = [self.frames_of(k) for k, stage in enumerate(self.stages)
                  if stage.phase in phases and stage.focus == focus]
        return chosen[0][0], max(chosen[-1][1], chosen[0][0])

    def views(self, focus_steps: list[int]) -> list[Segment]:
        """The video as views a page shows as tabs: the start, each focus step's pass
        (forward, loss, backward, update), the fast-forwards between them, and the end."""
        views: list[Segment] = []
        for index, stage in enumerate(self.stages):
            first, last = self.frames_of(index)
            name = stage_view(stage, focus_steps)
            if views and views[-1].view == name:
                views[-1] = Segment(name, views[-1].first, max(last, views[-1].first))
            elif last >= first:
                views.append(Segment(name, first, last))
        return views


def stage_view(stage: Stage, focus_steps: list[int]) -> str:
    """The name of the view a stage belongs to, its steps counted as the counter counts
    them (from 1)."""
    if stage.phase == "intro":
        return "start"
    if stage.phase == "outro":
        return "end"
    if stage.phase == "fast":
        return f"steps {stage.start_count + 1}–{stage.end_count}"
    return f"step {focus_steps[stage.focus] + 1}"
