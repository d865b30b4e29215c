"""What each moment of the feature-space scene shows: every point's 2 numbers in the recorded
layer, and the output layer's classes over that plane, blended between snapshots."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.fields import softmax
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline, blend
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title
from mlanim.trace import Trace

GRID = 80  # points per axis where the output layer's classes are evaluated


class FeatureStory:
    """The recorded layer and output weights, read once, indexed by video frame."""

    def __init__(self, spec, trace: Trace, layer: str, video: VideoSettings,
                 theme: Theme) -> None:
        self.spec, self.video, self.theme, self.layer = spec, video, theme, layer
        channel = trace.channel(f"hidden/{layer}")
        self.points = np.asarray(channel.values, dtype=np.float64)  # (S, N, 2 or 3)
        self.dims = self.points.shape[2]
        self.epochs = channel.epochs.astype(float)
        self.weight = np.asarray(trace.values("params/out.weight"), np.float64)  # (S, K, dims)
        self.bias = np.asarray(trace.values("params/out.bias"), np.float64)  # (S, K)
        y_train, y_val = trace.static("data/y_train"), trace.static("data/y_val")
        self.labels = np.concatenate([y_train, y_val]).astype(int)
        self.held_out = np.arange(len(self.labels)) >= len(y_train)
        self.metrics = {n.removeprefix("metrics/"): trace.values(n).astype(np.float64)
                        for n in trace.channels_with_prefix("metrics/")}
        self.metric_epochs = trace.channel("metrics/train_acc").epochs.astype(float)
        self.ranges = _window(self.points)
        self.x_range, self.y_range = self.ranges[:2]
        self.grid_x = np.linspace(*self.x_range, GRID)
        self.grid_y = np.linspace(*self.y_range, GRID)
        meta = trace.meta
        data, model = meta["dataset"], meta["model"]
        self.class_names = list(data["class_names"])
        optimizer = meta["train"]["optimizer"]
        self.title = story_title(spec.title,
                                 f"What the last hidden layer makes of {data['name']}", trace)
        self.subtitle = (f"{data['name']} · MLP {'-'.join(map(str, model['widths']))} "
                         f"{(model.get('activation') or '').lower()} · layer {layer}: "
                         f"{self.dims} units · {optimizer['name']} lr={optimizer['lr']:g}")
        self.timeline = SnapshotTimeline(len(self.epochs), video.count, video.fps)
        total = f"{self.epochs[-1]:g}"
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"epoch {total} / {total}")
        self.count = video.count
        self._row_texts: dict[int, list[str]] = {}

    def position(self, frame: int) -> float:
        """The fractional snapshot ``frame`` shows."""
        return self.timeline.at(frame).position

    def epoch(self, position: float) -> float:
        """The training epoch at a fractional snapshot."""
        return float(np.interp(position, np.arange(len(self.epochs)), self.epochs))

    def points_at(self, position: float) -> np.ndarray:
        """(N, dims): every row's numbers in the layer, blended between snapshots."""
        return blend(self.points, position).astype(np.float64)

    def classes_on_grid(self, position: float) -> np.ndarray:
        """(GRID, GRID, K) class probabilities of the output layer over the plane."""
        weight = blend(self.weight, position).astype(np.float64)
        bias = blend(self.bias, position).astype(np.float64)
        xx, yy = np.meshgrid(self.grid_x, self.grid_y)
        logits = np.stack([xx, yy], axis=-1) @ weight.T + bias
        return softmax(logits)

    def wrong(self, position: float) -> np.ndarray:
        """Rows the model misclassifies at the nearest snapshot (from its own layer and
        output weights)."""
        return self.predicted(position).argmax(axis=1) != self.labels

    def predicted(self, position: float) -> np.ndarray:
        """(N, K) every row's class probabilities at the nearest snapshot, from its recorded
        layer numbers and output weights."""
        k = min(round(position), len(self.points) - 1)
        return softmax(self.points[k] @ self.weight[k].T + self.bias[k])

    def row_texts(self, position: float) -> list[str]:
        """What a page shows over each row at ``position``: which row, its class, the
        class predicted at the nearest snapshot and that class's probability."""
        index = min(round(position), len(self.points) - 1)
        if index not in self._row_texts:  # the same snapshot's texts for many frames
            self._row_texts = {index: self._texts_at(float(index))}
        return self._row_texts[index]

    def _texts_at(self, position: float) -> list[str]:
        probs = self.predicted(position)
        names, best = self.class_names, probs.argmax(axis=1)
        first_held_out = int(np.count_nonzero(~self.held_out))
        return [f"{'held-out' if out else 'training'} row {i - first_held_out if out else i} · "
                f"{names[label]} · predicted {names[guess]} ({probs[i, guess]:.2f})"
                for i, (label, out, guess) in enumerate(zip(self.labels, self.held_out, best,
                                                            strict=True))]

    def metric(self, name: str, position: float) -> float:
        """A recorded metric at the epoch ``position`` shows."""
        return float(np.interp(self.epoch(position), self.metric_epochs, self.metrics[name]))

    def caption(self, frame: int) -> str:
        """One line on what the frame shows."""
        moment = self.timeline.at(frame)
        flat = "straight lines" if self.dims == 2 else "flat planes"
        if moment.phase == "start":
            return (f"Before training, layer {self.layer}'s {self.dims} numbers mix the "
                    f"classes; the output layer can only cut this "
                    f"{'plane' if self.dims == 2 else 'space'} with {flat}")
        if moment.phase == "end":
            split = "val_acc" if "val_acc" in self.metrics else "train_acc"
            which = "held-out" if split == "val_acc" else "training"
            return (f"After {self.epochs[-1]:g} epochs the layer has moved the classes apart: "
                    f"{self.metrics[split][-1]:.0%} of {which} points lie on their class's side")
        return (f"Training moves every point and every boundary at once, until {flat} "
                "separate the classes")


def _window(points: np.ndarray) -> list[tuple[float, float]]:
    """Per axis, a range holding 99% of the points of every snapshot, with a margin, fixed for
    the whole video so the view never rescales."""
    flat = points.reshape(-1, points.shape[-1])
    low, high = np.percentile(flat, 0.5, axis=0), np.percentile(flat, 99.5, axis=0)
    pad = np.maximum((high - low) * 0.08, 1e-3)
    return [(float(lo - p), float(hi + p)) for lo, hi, p in zip(low, high, pad, strict=True)]
