"""What each moment of the gradient-flow scene shows: the recorded per-step gradient norms up
to the step the video has reached, the gradient histograms of the steps just before it, and
the diagnoses computed over the steps so far."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.claims import Claim
from mlanim.analysis.gradients import (
    Layers,
    dead_relus,
    dead_units,
    exploding,
    vanishing,
    where_it_broke,
)
from mlanim.analysis.rules import Rules
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import join_parts, model_line, optimizer_line, recorded_elsewhere
from mlanim.scenes.gradient_flow.spec import FlowSettings, GradientFlowSpec
from mlanim.trace import Trace

WINDOWS = 60
"""The histograms shown at a step sum this share (1/WINDOWS) of the run's steps before it: one
step's batch is too few gradients for a stable shape."""


class FlowRun:
    """The recorded gradients of one run, read once from its trace."""

    def __init__(self, trace: Trace) -> None:
        meta = trace.meta
        flow = meta["flow"]
        self.layers: list[str] = list(flow["layers"])
        self.chain_layers = Layers(self.layers, flow.get("kinds"), flow.get("sizes"))
        self.relus: list[str] = list(flow["relus"])
        self.bad_output: dict | None = flow["first_bad_output"]
        self.norms = np.asarray(trace.static("flow/norms"), np.float64)  # (S, L)
        self.histograms = np.asarray(trace.static("flow/histograms"), np.int64)  # (S, L, B+2)
        self.losses = np.asarray(trace.static("flow/loss"), np.float64)
        self.low, self.high, self.bins = float(flow["low"]), float(flow["high"]), flow["bins"]
        self.steps = np.arange(1, len(self.norms) + 1, dtype=float)
        self.per_epoch = int(meta.get("steps_per_epoch") or 1)
        self.epochs_known = bool(meta.get("steps_per_epoch"))
        self.activation = meta["model"].get("activation")
        self.silent = np.asarray(trace.static("flow/silent"), np.float64) \
            if "flow/silent" in trace else None
        self.dead_steps, self.dead = np.zeros(0, int), None
        if "flow/dead" in trace.channels_with_prefix("flow/"):
            channel = trace.channel("flow/dead")
            self.dead_steps = channel.steps.astype(int)
            self.dead = np.asarray(channel.values, np.float64)  # (snapshots, ReLU layers)

    def findings(self, step: int, settings: FlowSettings) -> list[Claim]:
        """The diagnoses over steps 0..``step`` (0-based)."""
        rules = settings.rules()
        return [vanishing(self.norms, self.chain_layers, step, rules),
                exploding(self.norms, self.layers, step, rules, self.bad_output),
                self._dead(step, rules)]

    def _dead(self, step: int, rules: Rules) -> Claim:
        """Dead units from the recorded zero-gradient rows, or (traces made before those were
        kept) from the ReLU modules' outputs."""
        if self.silent is not None:
            return dead_units(self.silent, self.layers, step, rules)
        dead = None
        if self.dead is not None:
            seen = np.nonzero(self.dead_steps <= step + 1)[0]
            dead = self.dead[seen[-1]] if len(seen) else None
        return dead_relus(dead, self.relus, rules)


def rolling_geometric_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Per column, the geometric mean of each row and the ``window - 1`` rows before it (fewer
    at the start): the noise of single batches averaged out on a log scale. Zeros count as
    1e-30 and overflowed values as 1e30, so they pull the mean as far as a chart can show."""
    if window <= 1 or len(values) == 0:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.abs(values))
    logs = np.clip(np.where(np.isnan(logs), 30.0, logs), -30.0, 30.0)
    totals = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), logs]), axis=0)
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    means = (totals[ends] - totals[starts]) / (ends - starts)[:, None]
    return 10.0 ** means


def run_findings(spec: GradientFlowSpec, trace: Trace) -> list[Claim]:
    """The diagnoses over the whole recorded run."""
    run = FlowRun(trace)
    return run.findings(len(run.steps) - 1, spec.flow)


class FlowStory(FlowRun):
    """The recorded gradients indexed by video frame, with the frame's layout."""

    def __init__(self, spec: GradientFlowSpec, trace: Trace, video: VideoSettings,
                 theme: Theme) -> None:
        super().__init__(trace)
        self.spec, self.video, self.theme = spec, video, theme
        self.window = max(1, len(self.steps) // WINDOWS)
        self.smooth_norms = rolling_geometric_mean(self.norms, self.window)
        self.timeline = SnapshotTimeline(max(len(self.steps), 1), video.count, video.fps)
        self.title = spec.title or self._title()
        self.subtitle = self._subtitle(trace.meta)
        total = len(self.steps)
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"step {total} / {total}",
                           status_sample=f"epoch {total / self.per_epoch:.1f} · loss 0.0000")
        self.count = video.count

    def _title(self) -> str:
        fired = [f.name for f in self.findings(len(self.steps) - 1, self.spec.flow) if f.fired]
        if "exploding" in fired:
            return "Exploding gradients"
        if "vanishing" in fired:
            return "Vanishing gradients"
        return "Gradient flow through the layers"

    def _subtitle(self, meta: dict) -> str:
        data, model = meta["dataset"], meta["model"]
        if recorded_elsewhere(meta):
            return join_parts(data["name"], model_line(meta), optimizer_line(meta))
        widths = model.get("widths", [])
        depth = f"{len(widths) - 2} hidden layers" if len(widths) > 2 else "MLP"
        init = self.spec.model.init
        return (f"{data['name']} · MLP {'-'.join(map(str, widths))} ({depth}, "
                f"{(self.activation or '').lower()}"
                f"{'' if init == 'default' else ', ' + init + ' init'}) · "
                f"{optimizer_line(meta)} · batch {meta['train']['batch_size']}")

    def epoch_text(self, step: int) -> str:
        """``epoch 2.5`` after 0-based ``step``; empty when the run did not say how long an
        epoch is."""
        return f"epoch {(step + 1) / self.per_epoch:.1f}" if self.epochs_known else ""

    def step_at(self, frame: int) -> int:
        """The 0-based index of the step ``frame`` shows (its gradients were recorded)."""
        if len(self.steps) == 0:
            return 0
        return min(int(self.timeline.at(frame).position), len(self.steps) - 1)

    def histogram(self, step: int) -> np.ndarray:
        """Counts per layer and column (zeros, bins..., non-finite) summed over the window of
        steps that ends at ``step``."""
        start = max(0, step - self.window + 1)
        return self.histograms[start: step + 1].sum(axis=0)

    def caption(self, frame: int) -> str:
        """One line on what the frame shows, from the recorded numbers."""
        moment = self.timeline.at(frame)
        if moment.phase == "start":
            return ("Backpropagation multiplies the gradient by each layer's weights and "
                    "activation slope on its way back to the first layer")
        step = self.step_at(frame)
        fired = {f.name: f for f in self.findings(step, self.spec.flow) if f.fired}
        if "exploding" in fired:
            if self.bad_output and moment.phase == "end":
                return (f"Training broke: {where_it_broke(self.bad_output)}. "
                        "A smaller learning rate keeps the steps stable")
            return "The gradient grows with every step until the numbers overflow"
        if "vanishing" in fired:
            return (f"{self.layers[0]} receives almost no gradient, so the layers nearest the "
                    "input barely learn")
        if "dead" in fired:
            return ("Dead units: many units of a layer receive no gradient at all, so their "
                    "weights stop changing")
        return ("No alarm: no gradient vanishes along a chain of like layers, explodes or "
                "goes silent")
