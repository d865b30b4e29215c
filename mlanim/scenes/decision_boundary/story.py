"""What each moment of the decision-boundary scene shows, read from the trace alone.

Both backends draw from a `Story`, so they agree on every number, colour and caption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.analysis.claims import run_diverged
from mlanim.analysis.curves import overfitting_onset
from mlanim.analysis.fields import softmax
from mlanim.draw.timeline import Moment, SnapshotTimeline, interpolate
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title, time_unit, training_line
from mlanim.trace import Trace


@dataclass(frozen=True)
class Curve:
    """One recorded metric over the snapshots."""

    label: str
    epochs: np.ndarray
    values: np.ndarray

    def until(self, moment: Moment) -> tuple[np.ndarray, np.ndarray]:
        """The curve up to ``moment``, ending at an interpolated point between snapshots."""
        i = moment.index
        x, y = list(self.epochs[: i + 1]), list(self.values[: i + 1])
        if i < len(self.values) - 1 and moment.fraction > 0:
            x.append(float(interpolate(self.epochs, moment)))
            y.append(float(interpolate(self.values, moment)))
        return np.asarray(x), np.asarray(y)

    def at(self, moment: Moment) -> float:
        """The value at ``moment`` (interpolated)."""
        return float(interpolate(self.values, moment))

    def shown(self, moment: Moment) -> float:
        """The recorded value of the snapshot nearest ``moment``: what numbers on screen say."""
        return float(self.values[min(round(moment.position), len(self.values) - 1)])


class Story:
    """The decision-boundary scene's data, indexed by video moment."""

    def __init__(self, spec, trace: Trace, video: VideoSettings) -> None:
        self.spec = spec
        output = trace.channel("grid/output")
        self.res = round(np.sqrt(output.values.shape[1]))
        self.fields = softmax(output.values)  # (S, res*res, K) class probabilities
        self.epochs = output.epochs
        self.grid_x, self.grid_y = trace.static("grid/x"), trace.static("grid/y")
        self.x_train, self.y_train = trace.static("data/x_train"), trace.static("data/y_train")
        self.x_val, self.y_val = trace.static("data/x_val"), trace.static("data/y_val")
        self.row_probs = (trace.values("outputs/probabilities")
                          if "outputs/probabilities" in trace else None)  # (S, rows, K)
        self._row_texts: dict[int, tuple[str, ...]] = {}
        dataset = trace.meta["dataset"]
        self.class_names = dataset["class_names"]
        self.feature_names = dataset["feature_names"]
        self.loss = self._curves(trace, "loss")
        self.accuracy = self._curves(trace, "acc")
        self.total_epochs = float(self.epochs[-1])
        self.timeline = SnapshotTimeline(len(self.epochs), video.count, video.fps)
        self.title = story_title(
            spec.title, f"A neural network learns to separate {dataset['name']}", trace)
        self.subtitle = _subtitle(trace)
        self.unit = time_unit(trace.meta)
        train, val = self.loss.get("train"), self.loss.get("validation")
        self.overfit_from = (overfitting_onset(train.values, val.values)
                             if train is not None and val is not None else None)
        self.diverged_at = trace.meta.get("diverged_at_epoch")
        self.divergence = run_diverged(trace)

    @staticmethod
    def _curves(trace: Trace, metric: str) -> dict[str, Curve]:
        curves = {}
        for split, label in (("train", "train"), ("val", "validation")):
            name = f"metrics/{split}_{metric}"
            if name in trace:
                channel = trace.channel(name)
                curves[label] = Curve(label, channel.epochs, channel.values.astype(np.float32))
        return curves

    def row_texts(self, moment: Moment) -> tuple[str, ...]:
        """What a page shows over each row (training, then held-out) at the snapshot nearest
        ``moment``: which row, its class, the class predicted and its probability."""
        assert self.row_probs is not None
        index = min(round(moment.position), len(self.row_probs) - 1)
        if index not in self._row_texts:  # a video asks for the same snapshot many frames
            self._row_texts = {index: self._texts_at(index)}
        return self._row_texts[index]

    def _texts_at(self, index: int) -> tuple[str, ...]:
        probs = np.asarray(self.row_probs[index], np.float64)
        names, guesses = self.class_names, probs.argmax(axis=1)
        rows = [("training", i, k) for i, k in enumerate(self.y_train)] + \
            [("held-out", i, k) for i, k in enumerate(self.y_val)]
        return tuple(f"{split} row {i} · {names[int(k)]} · predicted {names[g]} "
                     f"({probs[r, g]:.2f})"
                     for r, ((split, i, k), g) in enumerate(zip(rows, guesses, strict=True)))

    def moment(self, frame: int) -> Moment:
        """The moment shown by ``frame``."""
        return self.timeline.at(frame)

    def field(self, moment: Moment) -> np.ndarray:
        """Class probabilities on the grid at ``moment``: (res, res, classes), rows along y."""
        probs = interpolate(self.fields, moment)
        return probs.reshape(self.res, self.res, -1)

    def epoch(self, moment: Moment) -> float:
        """The training epoch at ``moment``."""
        return float(interpolate(self.epochs, moment))

    def caption(self, moment: Moment) -> str:
        """One short line explaining what is happening, from the recorded numbers."""
        acc = self.accuracy.get("validation") or self.accuracy.get("train")
        split = "held-out" if "validation" in self.accuracy else "training"
        if moment.phase == "start":
            return ("Before training: random weights, so the colours ignore the data"
                    + (f" ({acc.shown(moment):.0%} {split} accuracy)" if acc else ""))
        if self.overfit_from is not None and moment.index >= self.overfit_from:
            return "Validation loss rises while training loss falls: the network is overfitting"
        if moment.phase == "end":
            end = f"After {self.total_epochs:g} {self.unit}s"
            if self.diverged_at is not None:
                end = f"Training diverged at {self.unit} {self.diverged_at:.1f}"
            elif self.divergence.fired:
                end = f"Training diverged ({self.divergence.text})"
            return end + (f": {acc.shown(moment):.0%} of {split} points classified correctly"
                          if acc else "")
        return "Each gradient step bends the boundary; colour shows how sure the network is"

    def counter(self, moment: Moment) -> str:
        """``epoch 12 / 60``."""
        return f"{self.unit} {self.epoch(moment):.0f} / {self.total_epochs:g}"


def _subtitle(trace: Trace) -> str:
    return training_line(trace.meta, rows_last=True)
