"""Scene kind ``embedding_evolution``: a layer's representation organising classes, epoch by
epoch.

The spec's model trains while the recorder keeps, every epoch (and a few times inside the
first, where most of the change happens), one layer's outputs and the class probabilities for a
sample of the data, in float16. The analysis stage projects each snapshot to 2-D (pca, umap,
tsne or star coordinates, `mlanim.analysis.projection`) and caches the layouts beside the trace,
so switching method never retrains. Points move smoothly between snapshots, coloured by true
class, misclassified ones ringed; chosen samples leave a trail and show their image.
"""

from __future__ import annotations

import numpy as np

from mlanim.analysis.derived import Analysis, Derived
from mlanim.data import Dataset
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import SpecError, UsageError
from mlanim.extras import require
from mlanim.scenes.embedding_evolution.record import (
    first_epoch_steps,
    resolve_layer,
    sample_rows,
    samples,
    snapshot_steps,
)
from mlanim.scenes.embedding_evolution.spec import OUTPUT, EmbeddingSpec
from mlanim.scenes.embedding_evolution.story import projection
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace
from mlanim.train.plan import RecordingPlan


class EmbeddingEvolution(PictureScene):
    """A layer's representation separating classes over training, projected to 2-D."""

    Spec = EmbeddingSpec
    live = True
    needs = (("outputs/probabilities", "class probabilities of the probe rows",
              "pass y= (integer class labels) to rec.step, for a model that outputs one score "
              "a class"),
             ("samples/labels", "the probe rows' classes", "pass y= to rec.step"))
    keyed_by = ("seed", "data", "model", "train", "embed.trace")  # images kept

    def check_trace(self, trace: Trace) -> None:
        """What every kind checks, and a snapshot whose values are all finite to place."""
        from mlanim.analysis.projection import finite_snapshots

        super().check_trace(trace)
        name = "outputs/probabilities"
        if name in trace and not finite_snapshots(trace.values(name)):
            raise UsageError("embedding_evolution places points as a snapshot holds them, and "
                             "every snapshot of this run holds values that are not finite (it "
                             "diverged before its first)", hint="record it with a smaller lr")

    def live_settings(self) -> dict[str, object]:
        """PCA: umap compiles for ~40 s in a new process, and t-SNE fits every snapshot."""
        return {"embed": {"method": "pca"}}

    def check(self, spec: EmbeddingSpec, dataset: Dataset) -> None:
        """Classes, a layer that exists, points and traced samples within the data, and
        star coordinates only of class probabilities."""
        if dataset.task != "classification":
            raise SpecError(f"data.name {spec.data.name} is a regression dataset; "
                            "embedding_evolution colours points by class, so it needs a "
                            "classification one", key_path=("data", "name"),
                            hint="use digits, iris, wine, an npz of images and labels, ...")
        layer = resolve_layer(spec, dataset)
        if "umap" in spec.embed.methods:  # before training, not after it
            key = ("embed", "compare") if spec.embed.compare else ("embed", "method")
            require("umap", "umap", "embed.method umap", key, "use pca or tsne")
        if "star" in spec.embed.methods and layer != OUTPUT:
            key = ("embed", "compare") if spec.embed.compare else ("embed", "method")
            raise SpecError(f"{'.'.join(key)} star places class probabilities, but "
                            f"embed.layer is '{layer}'", key_path=key,
                            hint="set embed.layer: output, or use pca, umap or tsne")
        total = len(dataset.x_train) + len(dataset.x_val)
        points = spec.embed.points or total
        if points > total:
            raise SpecError(f"embed.points {points} is larger than the data ({total} rows)",
                            key_path=("embed", "points"), hint=f"use at most {total}")
        snapshots = len(snapshot_steps(spec, dataset))
        if not -snapshots <= spec.embed.basis < snapshots:
            raise SpecError(f"embed.basis {spec.embed.basis} is not a snapshot: training "
                            f"records {snapshots} (0..{snapshots - 1})",
                            key_path=("embed", "basis"), hint="use -1 for the last")
        outside = [i for i in spec.embed.trace if i >= points]
        if outside:
            raise SpecError(f"embed.trace {outside} is out of range: {points} points are shown "
                            f"(0..{points - 1})", key_path=("embed", "trace"),
                            hint="pick sample indices below embed.points")

    def plan(self, spec: EmbeddingSpec, dataset: Dataset) -> RecordingPlan:
        """The layer and the probabilities of the sample rows, each epoch and a few times
        inside the first."""
        layer = resolve_layer(spec, dataset)
        return RecordingPlan(
            metrics=True, probabilities=True, store_data=False,
            hidden_layers=() if layer == OUTPUT else (layer,), rows=sample_rows(spec, dataset),
            every_epochs=spec.train.record_every, every_steps=spec.train.record_every_steps,
            extra_steps=first_epoch_steps(spec, dataset))

    def beside(self, spec: EmbeddingSpec, dataset: Dataset, plan: RecordingPlan
               ) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        """The samples' labels, split and traced images, and what the embedding is of."""
        return samples(spec, dataset, plan)

    def analyses(self, spec: EmbeddingSpec, trace: Trace) -> list[Analysis]:
        """Every snapshot projected with each method drawn, one analysis a method (so that
        switching methods computes only the new one)."""
        if "umap" in spec.embed.methods:
            key = ("embed", "compare") if spec.embed.compare else ("embed", "method")
            require("umap", "umap", "embed.method umap", key, "use pca or tsne")
        return [projection(spec, trace, method) for method in spec.embed.methods]

    def clock(self, spec: EmbeddingSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        channel = trace.channel("outputs/probabilities")
        return channel.steps, channel.epochs

    def story(self, spec: EmbeddingSpec, trace: Trace, video: VideoSettings, theme: Theme,
              derived: Derived | None = None):
        """Layouts, labels and predictions, read once."""
        from mlanim.scenes.embedding_evolution.story import EmbeddingStory

        layouts = {m: (derived or Derived())[f"projection/{m}"]["layouts"]
                   for m in spec.embed.methods}
        return EmbeddingStory(spec, trace, layouts, video, theme)

    def compose(self, story, frame: int):
        """One frame's picture."""
        from mlanim.scenes.embedding_evolution.picture import embedding_picture

        return embedding_picture(story, frame)


KIND = EmbeddingEvolution()
