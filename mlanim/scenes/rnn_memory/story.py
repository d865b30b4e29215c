"""The recurrent trace read once, the measured gradient survival, and the video's plan."""

from __future__ import annotations

import numpy as np

from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import HeldSweep, Segment, segment_at, split_frames
from mlanim.draw.video import VideoSettings
from mlanim.trace import Trace

SWEEP = HeldSweep(0.06, 0.10)  # the training view: the first and last snapshot held a little
VIEW_WEIGHTS = {"training": 1.8, "forward": 0.8, "backward": 1.1, "lag": 0.8}
NAMES = {"rnn": "vanilla RNN (tanh)", "lstm": "LSTM"}
FLOOR = 1e-30  # gradients below this (or exactly zero) are drawn as this


def survival(grads: np.ndarray) -> np.ndarray:
    """|dL/dh_1| / |dL/dh_T| along the last axis: how much of the gradient at the last step
    reaches the first."""
    grads = np.maximum(np.asarray(grads, dtype=np.float64), FLOOR)
    return grads[..., 0] / grads[..., -1]


class MemoryStory:
    """Everything the recurrent pictures need, indexed by video frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        task = meta["task"]
        self.symbols = list(task["symbols"])
        self.classes = list(task["classes"])
        self.length, self.lag = int(task["length"]), int(task["example_lag"])
        self.tokens = [self.symbols[int(i)] for i in trace.static("example/tokens")]
        self.label = self.classes[int(trace.static("example/label").ravel()[0])]
        self.hidden = int(meta["model"]["hidden"])
        self.gradient_rows = int(task["gradient_rows"])
        self.kinds = list(meta["model"]["kinds"])
        self.steps = trace.channel("rnn/h").steps.astype(float)
        self.total_steps = int(meta["steps"])
        self.h = {k: trace.values(f"{k}/h").astype(float) for k in self.kinds}
        self.grad = {k: np.maximum(trace.values(f"{k}/grad").astype(float), FLOOR)
                     for k in self.kinds}
        self.grad_mean = {k: trace.values(f"{k}/grad_mean").astype(float) for k in self.kinds}
        self.probs = {k: trace.values(f"{k}/example_probs") for k in self.kinds}
        self.val_acc = {k: trace.values(f"{k}/val_acc") for k in self.kinds}
        self.cell = trace.values("lstm/c").astype(float)
        self.gates = trace.values("lstm/gates").astype(float)  # (S, T, 4, H): i, f, g, o
        self.lag_edges = trace.static("lag_edges")
        self.lag_accuracy = {k: trace.static(f"{k}/lag_accuracy") for k in self.kinds}
        self.colors = {k: theme.class_color(i) for i, k in enumerate(self.kinds)}
        self.segments = split_frames(spec.show.views, VIEW_WEIGHTS, video.count)
        self.count = video.count
        self.title = spec.title or "Memory over time: an RNN and an LSTM"
        optimizer = meta["train"]["optimizer"]
        self.subtitle = (f"temporal order: X or Y twice among {len(self.symbols) - 2} "
                         f"distractors, {self.length} steps; the class is their order · "
                         f"{self.hidden} units each · {optimizer['name']} lr "
                         f"{optimizer['lr']:g}")
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"step {self.total_steps} / {self.total_steps}",
                           status_sample="held-out: RNN 100%, LSTM 100%")

    def segment(self, frame: int) -> Segment:
        """The segment ``frame`` belongs to."""
        return segment_at(self.segments, frame)

    def snapshot_at(self, progress: float) -> int:
        """The snapshot the training view shows at ``progress`` (0..1), the first and last
        held a little longer."""
        return SWEEP.index(progress, len(self.steps))

    def survival(self, kind: str, snapshot: int, mean: bool = False) -> float:
        """The share of the last step's gradient that reaches the first step."""
        grads = (self.grad_mean if mean else self.grad)[kind][snapshot]
        return float(survival(grads))
