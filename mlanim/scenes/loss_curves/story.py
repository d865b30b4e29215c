"""What each moment of the loss-curves scene shows: the runs' mean and band per metric, the
epoch early stopping would pick, and whether (and from when) the run really overfits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.analysis.claims import run_diverged
from mlanim.analysis.curves import curve_noise, early_stop, overfitting_onset
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title, time_unit, training_line
from mlanim.trace import Trace


@dataclass(frozen=True)
class Band:
    """One metric over the runs: mean, and the band's lower and upper edge, per snapshot."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, runs: np.ndarray, kind: str) -> Band:
        """The band of ``runs`` (snapshots x runs): ``minmax`` or ``std`` (mean ± one std)."""
        mean = runs.mean(axis=1)
        if kind == "std":
            spread = runs.std(axis=1)
            return cls(mean, mean - spread, mean + spread)
        return cls(mean, runs.min(axis=1), runs.max(axis=1))


def train_loss_channel(trace: Trace) -> str:
    """``runs/train_loss`` of the built-in recording (a value per seed), or
    ``metrics/train_loss`` of one run recorded elsewhere."""
    return "runs/train_loss" if "runs/train_loss" in trace else "metrics/train_loss"


def _runs(trace: Trace, steps: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric as (snapshots, runs): the ``runs/`` channels, else the losses and
    accuracies of one run recorded elsewhere taken at the training loss' steps."""
    runs = {name.removeprefix("runs/"): np.asarray(trace.values(name), np.float64)
            for name in trace.channels_with_prefix("runs/")}
    return runs or {name.removeprefix("metrics/"): trace.values(name).astype(np.float64)[:, None]
                    for name in trace.channels_with_prefix("metrics/")
                    if name.endswith(("_loss", "_acc"))
                    and np.array_equal(trace.channel(name).steps, steps)}


class CurvesStory:
    """The recorded runs, read once, indexed by video frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        loss = trace.channel(train_loss_channel(trace))
        self.epochs = loss.epochs.astype(float)
        self.runs = _runs(trace, loss.steps)
        self.bands = {name: Band.of(values, spec.show.band) for name, values in self.runs.items()}
        self.seeds = len(meta.get("seeds") or [meta.get("seed")])
        self.unit = time_unit(meta)
        val = self.bands.get("val_loss")
        self.best = early_stop(val.mean) if val is not None else None
        self.onset = None
        if val is not None:
            self.onset = overfitting_onset(self.bands["train_loss"].mean, val.mean,
                                           self._noise(val))
        self.timeline = SnapshotTimeline(len(self.epochs), video.count, video.fps)
        losses = "Training and validation loss" if val is not None else "Training loss"
        self.divergence = run_diverged(trace)
        self.title = story_title(spec.title, f"{losses}, {self.seeds} runs" if self.seeds > 1
                                 else losses, trace)
        runs = (f" · mean of seeds {meta['seeds'][0]}..{meta['seeds'][-1]}, band: "
                f"{'min to max' if spec.show.band == 'minmax' else '± one std'}"
                if self.seeds > 1 else "")
        self.subtitle = training_line(meta) + runs
        total = f"{self.epochs[-1]:g}"
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"{self.unit} {total} / {total}")
        self.count = video.count

    def _noise(self, val: Band) -> float | None:
        """What a rise of validation loss must exceed to count: the band's half-width after
        the minimum, or the mean curve's own jitter if that is larger (one run: the jitter)."""
        if self.seeds == 1:
            return None
        after = slice(self.best, None)
        spread = float(np.mean((val.high[after] - val.low[after]) / 2))
        return max(spread, curve_noise(val.mean))

    def epoch_at(self, frame: int) -> float:
        """The (fractional) epoch ``frame`` shows."""
        position = self.timeline.at(frame).position
        return float(np.interp(position, np.arange(len(self.epochs)), self.epochs))

    def caption(self, frame: int) -> str:
        """One line on what the curves show at ``frame``, from the recorded numbers."""
        epoch, phase = self.epoch_at(frame), self.timeline.at(frame).phase
        if phase == "start":
            return ("Training loss is measured on the data the model learns from, validation "
                    "loss on data it never sees" if self.best is not None else
                    "Training loss: measured on the batches the model learns from")
        seen = self.divergence.index
        if self.divergence.fired and (seen is None or epoch >= self.epochs[min(seen, len(
                self.epochs) - 1)]):
            return (f"Training diverged: {self.divergence.text}. A smaller learning rate "
                    "keeps the steps stable")
        if self.onset is not None and epoch >= self.epochs[self.onset]:
            return (f"Validation loss has risen since {self.unit} {self.epochs[self.best]:g} while "
                    "training loss keeps falling: the model is overfitting")
        if self.best is not None and epoch >= self.epochs[self.best] and phase == "end":
            val = self.bands["val_loss"].mean[self.best]
            return (f"Lowest validation loss {val:.3f} at {self.unit} {self.epochs[self.best]:g}: "
                    "early stopping would keep that model")
        if self.seeds > 1:
            return "The band shows how much runs with other seeds differ: the noise to look past"
        if self.best is None:
            return "Without held-out numbers, falling training loss says the model fits its data"
        return "Both losses fall while the model learns what generalises"
