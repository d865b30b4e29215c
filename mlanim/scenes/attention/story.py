"""The attention trace read once, and the video's plan: which view each frame shows, which
snapshot, and where in a walk-through.

The video is a sequence of segments, one per view in ``show.views`` (after a short look at the
sinusoidal positions): the first of ``heatmap`` and ``edges`` sweeps through training, later
views show the trained model. Training is paced by how much the attention changes, so the video
lingers where patterns form instead of on long flat stretches; the step counter stays true.
"""

from __future__ import annotations

import numpy as np

from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import HeldSweep, Segment, blend, segment_at, split_frames
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title
from mlanim.trace import Trace

# How much of the video each segment takes, relative to one another.
SEGMENT_WEIGHTS = {"positions": 0.35, "heatmap": 1.0, "edges": 1.0, "qkv": 1.4}
UNIFORM_PACE = 0.35  # share of the sweep paced by steps rather than by change
SWEEP = HeldSweep(0.12, 0.12)  # the training sweep, held on its first and last snapshot


def plan_segments(views: list[str], show_positions: bool, frames: int) -> list[Segment]:
    """Split ``frames`` between the views by `SEGMENT_WEIGHTS`."""
    names = (["positions"] if show_positions else []) + list(dict.fromkeys(views))
    return split_frames(names, SEGMENT_WEIGHTS, frames)


def evolving_view(segments: list[Segment]) -> str | None:
    """The one view that sweeps through training (the first heatmap or edges view); the
    others show the trained model."""
    return next((seg.view for seg in segments if seg.view in ("heatmap", "edges")), None)


def paced_positions(weights: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Cumulative pace (0..1) at each snapshot: a blend of how far attention moved and how
    many steps passed since the start."""
    moved = np.abs(np.diff(weights.reshape(len(weights), -1), axis=0)).sum(axis=1)
    moved = np.concatenate([[0.0], np.cumsum(moved)])
    by_steps = (steps - steps[0]) / max(float(steps[-1] - steps[0]), 1.0)
    by_change = moved / moved[-1] if moved[-1] > 0 else by_steps
    return (1 - UNIFORM_PACE) * by_change + UNIFORM_PACE * by_steps


class AttentionStory:
    """Everything the attention pictures need, indexed by video frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        self.task = meta["task"]
        self.model = meta["model"]
        self.tokens = [_visible(t) for t in meta["example"]]
        self.length = len(self.tokens)
        self.targets = [None if t is None else _visible(t) for t in meta["example_targets"]]
        self.vocabulary = [_visible(t) for t in self.task["vocabulary"]]
        self.weights = trace.values("attention/weights")  # (S, L, H, T, T)
        self.scores = trace.values("attention/scores")
        self.q, self.k, self.v = (trace.values(f"attention/{n}") for n in "qkv")
        self.mix = trace.values("attention/mix")  # (S, L, H, T, d)
        self.x = trace.values("attention/x")  # (S, L, T, C)
        self.logits = trace.values("attention/logits")  # (S, T, V)
        self.steps = trace.channel("attention/weights").steps.astype(float)
        self.metrics = {name.removeprefix("metrics/"): trace.values(name)
                        for name in trace.channels_with_prefix("metrics/")}
        self.total_steps = int(meta["steps"])
        self.pace = paced_positions(self.weights, self.steps)
        heads = spec.show.heads
        self.heads = list(range(self.model["heads"])) if heads == "all" else list(heads)
        self.focus = tuple(spec.show.focus) if spec.show.focus else self._most_focused_head()
        self.head_colors = [theme.class_color(h) for h in range(self.model["heads"])]
        self.positions = (trace.static("model/positions")[: self.length]
                          if "model/positions" in trace and self.model["positional"] ==
                          "sinusoidal" else None)
        show_positions = self.positions is not None and spec.show.positional
        self.segments = plan_segments(spec.show.views, show_positions, video.count)
        self.evolving = evolving_view(self.segments)
        self.pattern = [tuple(p) for p in self.task["pattern"] if max(p) < self.length]
        self.title = story_title(spec.title, _default_title(self.task["name"]), trace)
        self.count = video.count
        layers = f"{self.model['layers']} layer{'s' if self.model['layers'] > 1 else ''}"
        subtitle = (f"{TASK_LINES[self.task['name']]} · {layers} × {self.model['heads']} "
                    f"heads, d_model {self.model['d_model']}")
        self.frame = Frame(video, theme, self.title, subtitle,
                           counter_sample=f"step {self.total_steps} / {self.total_steps}",
                           status_sample="held-out sequences right 100%")

    def _most_focused_head(self) -> tuple[int, int]:
        """The (layer, head) whose final attention is most concentrated (largest mean of each
        row's maximum), the one worth walking through."""
        peak = self.weights[-1].max(axis=-1).mean(axis=-1)  # (L, H)
        layer, head = np.unravel_index(int(np.argmax(peak)), peak.shape)
        return int(layer), int(head)

    def segment(self, frame: int) -> Segment:
        """The segment ``frame`` belongs to."""
        return segment_at(self.segments, frame)

    def snapshot_at(self, progress: float) -> float:
        """Fractional snapshot index for sweep progress 0..1 (held briefly at both ends)."""
        inner = SWEEP.inner(progress)
        return float(np.interp(inner, self.pace, np.arange(len(self.pace))))

    def at(self, array: np.ndarray, position: float) -> np.ndarray:
        """``array``'s snapshot at a fractional position, blended linearly."""
        return blend(array, position)

    def step(self, position: float) -> float:
        """Training step at a fractional snapshot position."""
        return float(np.interp(position, np.arange(len(self.steps)), self.steps))

    def metric(self, name: str, position: float) -> float:
        """A recorded metric at a fractional snapshot position."""
        return float(np.interp(position, np.arange(len(self.steps)), self.metrics[name]))

    def predictions(self, position: float) -> list[str]:
        """The model's predicted token at each position of the example (nearest snapshot)."""
        ids = self.logits[min(round(position), len(self.logits) - 1)].argmax(axis=-1)
        return [self.vocabulary[int(i)] for i in ids]

    def pattern_mass(self, weights: np.ndarray) -> float:
        """Mean attention (over rows of the task's pattern) on the pattern's cells, for the
        head that puts the most there; nan when the task has no fixed pattern."""
        if not self.pattern:
            return float("nan")
        rows, cols = zip(*self.pattern, strict=True)
        per_head = weights[..., list(rows), list(cols)].mean(axis=-1)  # (L, H)
        return float(per_head.max())


def _visible(token: str) -> str:
    """Whitespace drawn as a visible mark."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(token, token)


TASK_LINES = {
    "copy": "copy: each blank must become the digit it copies",
    "reverse": "reverse: each output is the input read backwards",
    "sort": "sort: the outputs are the inputs in ascending order",
    "induction": "induction: the second half repeats the first",
    "text": "text: predict each next token of the corpus",
}


def _default_title(task: str) -> str:
    return {"copy": "Attention learns to copy",
            "reverse": "Attention learns to reverse a sequence",
            "sort": "Attention learns to sort",
            "induction": "An induction head forms",
            "text": "Attention on a sentence"}[task]
