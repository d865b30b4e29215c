"""The embedding trace read once: each method's layouts, the samples' classes, and what the
model predicted for them at every snapshot, indexed by video frame."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from mlanim.analysis.claims import Claim, separated
from mlanim.analysis.derived import Analysis
from mlanim.analysis.projection import star_vertices
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme, rgb
from mlanim.draw.timeline import SnapshotTimeline, blend
from mlanim.draw.video import VideoSettings
from mlanim.errors import DataError, SpecError
from mlanim.progress import Progress
from mlanim.scenes.base import story_title, time_unit
from mlanim.scenes.embedding_evolution.spec import EmbeddingSpec
from mlanim.trace import Trace

METHOD_NAMES = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE", "star": "star coordinates"}
METHOD_NOTES = {"pca": "fixed axes", "umap": "warm-started, aligned", "tsne": "warm-started",
                "star": "class probabilities"}


class EmbeddingStory:
    """Everything the embedding pictures need."""

    def __init__(self, spec, trace: Trace, layouts: dict[str, np.ndarray], video: VideoSettings,
                 theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        self._texts: tuple[int, np.ndarray] = (-1, np.zeros(0, str))
        meta = trace.meta
        self.methods = spec.embed.methods
        # a run that diverged is drawn up to its last snapshot whose values are all finite
        shown = min(len(layout) for layout in layouts.values())
        self.layouts = {m: v[:shown] for m, v in layouts.items()}  # method -> (S, N, 2)
        self.bounds = {m: _bounds(v) for m, v in self.layouts.items()}
        probabilities = trace.channel("outputs/probabilities")
        self.predicted = np.asarray(probabilities.values[:shown]).argmax(axis=-1)  # (S, N)
        self.epochs = probabilities.epochs[:shown].astype(float)
        self.labels = trace.static("samples/labels").astype(int)
        self.class_names = list(meta["dataset"]["class_names"])
        self.colors = np.array([rgb(theme.class_color(c)) for c in range(len(self.class_names))])
        self.metrics = {n.removeprefix("metrics/"): trace.values(n)
                        for n in trace.channels_with_prefix("metrics/")}
        self.metric_epochs = trace.channel("metrics/train_acc").epochs.astype(float)
        self.traced = list(spec.embed.trace)
        self.thumbnails = (np.asarray(trace.static("samples/thumbnails"), dtype=float)
                           if "samples/thumbnails" in trace else None)
        self.layer = meta["embed"]["layer"]
        self.dataset = meta["dataset"]["name"]
        self.network = meta["embed"]["network"]
        self.total_epochs = float(meta["epochs"])
        self.unit = time_unit(meta)
        self.timeline = SnapshotTimeline(len(self.epochs), video.count, video.fps)
        self.star_vertices = star_vertices(len(self.class_names))
        self.title = story_title(spec.title,
                                 f"How a network's {self.layer} layer sorts {self.dataset}", trace)
        self.count = video.count
        self.subtitle = (f"{self.dataset}, {len(self.labels)} samples · {self.network} · "
                         f"layer {self.layer}")
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"{self.unit} {self.total_epochs:.1f} / "
                                          f"{self.total_epochs:.0f}",
                           status_sample="accuracy 100% train · 100% held out")

    def position(self, frame: int) -> float:
        """The fractional snapshot ``frame`` shows."""
        return self.timeline.at(frame).position

    def points(self, method: str, position: float) -> np.ndarray:
        """(N, 2) layout at a fractional snapshot, blended linearly between snapshots."""
        return blend(self.layouts[method], position)

    def point_texts(self, position: float) -> np.ndarray:
        """What a page shows over each point at the nearest snapshot: ``#12 · 7 · predicted
        1``."""
        snapshot = min(round(position), len(self.predicted) - 1)
        if self._texts[0] != snapshot:  # consecutive frames mostly show one snapshot
            names = self.class_names
            self._texts = (snapshot, np.array([
                f"#{i} · {names[k]} · predicted {names[p]}" for i, (k, p) in
                enumerate(zip(self.labels, self.predicted[snapshot], strict=True))]))
        return self._texts[1]

    @cached_property
    def final_separation(self) -> Claim:
        """Whether the classes stand apart in the first view's last layout (`separated`)."""
        return separated(self.layouts[self.methods[0]][-1], self.labels)

    def wrong(self, position: float) -> np.ndarray:
        """Which points the model misclassifies at the nearest snapshot."""
        return self.predicted[min(round(position), len(self.predicted) - 1)] != self.labels

    def epoch(self, position: float) -> float:
        """Training epoch at a fractional snapshot."""
        return float(np.interp(position, np.arange(len(self.epochs)), self.epochs))

    def metric(self, name: str, position: float) -> float:
        """A recorded metric at the epoch ``position`` shows."""
        return float(np.interp(self.epoch(position), self.metric_epochs, self.metrics[name]))


def _bounds(layouts: np.ndarray) -> tuple[float, float, float, float]:
    """A square window (x0, y0, size, size) holding 99.5% of the points of every snapshot,
    so the view never rescales while they move."""
    low = np.percentile(layouts.reshape(-1, 2), 0.25, axis=0)
    high = np.percentile(layouts.reshape(-1, 2), 99.75, axis=0)
    size = float(max(high - low)) * 1.08 or 1.0
    center = (low + high) / 2
    return float(center[0] - size / 2), float(center[1] - size / 2), size, size


PROJECTION_VERSION = 2  # bump when layouts are computed differently: cached ones are then redone


def projection(spec: EmbeddingSpec, trace: Trace, method: str) -> Analysis:
    """(S, N, 2) layouts of the recorded layer (the probabilities for ``star``) by
    ``method``, as an analysis of the trace."""
    channel = "outputs/probabilities" if method == "star" else trace.meta["embed"]["channel"]
    key = {"method": method, "channel": channel, "seed": spec.seed, "basis": spec.embed.basis,
           "version": PROJECTION_VERSION}

    def compute(trace: Trace, progress: Progress) -> dict[str, np.ndarray]:
        from mlanim.analysis.projection import finite_snapshots, layouts

        values = trace.values(channel)
        values = values[:finite_snapshots(values)]  # after a divergence, nothing to place
        if not len(values):
            raise DataError(f"every snapshot of {channel} holds values that are not finite "
                            "(the run diverged before its first)",
                            hint="record the run again with a smaller learning rate")
        if not -len(values) <= spec.embed.basis < len(values):
            raise SpecError(f"embed.basis {spec.embed.basis} is not a snapshot: the trace has "
                            f"{len(values)} (0..{len(values) - 1})",
                            key_path=("embed", "basis"), hint="use -1 for the last")
        return {"layouts": layouts(method, values, spec.seed, spec.embed.basis, progress)}

    return Analysis(f"projection/{method}", key, compute)
