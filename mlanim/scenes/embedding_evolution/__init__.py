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

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.progress import Progress, SilentProgress
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.picture_scene import PictureScene
from mlanim.spec.sections import DataSpec, ModelSpec, OptimizerSpec, Section, TrainedSceneSpec
from mlanim.spec.sections import TrainSpec as BaseTrainSpec
from mlanim.trace import Trace
from mlanim.train.plan import RecordingPlan

Method = Literal["pca", "umap", "tsne", "star"]
PROJECTION_VERSION = 2  # bump when layouts are computed differently: cached ones are then redone
OUTPUT = "output"  # the layer name meaning class probabilities


class EmbedSection(Section):
    """Which representation to show and how to project it."""

    layer: int | str = Field(-2, description="which layer's output (index or name); output = "
                             "class probabilities")
    method: Method = Field("umap", description="pca | umap | tsne | star")
    compare: list[Method] | None = Field(None, min_length=2, max_length=4,
                                         description="methods side by side, e.g. [pca, umap]")
    points: Annotated[int, Field(ge=10)] | None = Field(None, description="how many samples to "
                                                        "show (all by default)")
    trace: list[Annotated[int, Field(ge=0)]] = Field(
        [], max_length=8, description="sample indices whose path across epochs is drawn")
    first_epoch: int = Field(3, ge=0, le=20, description="extra snapshots inside epoch 1")
    basis: int = Field(-1, description="pca: the snapshot whose axes are used (-1: the last)")

    @model_validator(mode="after")
    def _distinct_methods(self) -> EmbedSection:
        if self.compare and len(set(self.compare)) != len(self.compare):
            raise ValueError("embed.compare lists a method twice")
        return self

    @property
    def methods(self) -> list[str]:
        """The methods drawn: the compared ones, or the one."""
        return list(self.compare or [self.method])


class EmbeddingSpec(TrainedSceneSpec):
    """A layer's representation separating classes over training, projected to 2-D."""

    scene: Literal["embedding_evolution"] = "embedding_evolution"
    data: DataSpec = DataSpec(name="digits")
    model: ModelSpec = ModelSpec(hidden=[64, 32])
    train: BaseTrainSpec = BaseTrainSpec(epochs=40, batch_size=256,
                                         optimizer=OptimizerSpec(name="sgd", lr=0.05))
    embed: EmbedSection = EmbedSection()


def layer_names(spec: EmbeddingSpec, dataset: Dataset) -> list[str]:
    """The layers ``embed.layer`` can name, in order; the last, ``output``, is the class
    probabilities (``out``, the logits, may be named too)."""
    from mlanim import models

    names = [n for n, _ in models.build(spec.model, dataset).named_children()]
    return [*names[:-1], OUTPUT]


def resolve_layer(spec: EmbeddingSpec, dataset: Dataset) -> str:
    """The name of the layer ``embed.layer`` picks; a `SpecError` lists the choices."""
    names = layer_names(spec, dataset)
    layer = spec.embed.layer
    choices = f"layers are {', '.join(names)} (or indices {-len(names)}..{len(names) - 1})"
    if isinstance(layer, int):
        if not -len(names) <= layer < len(names):
            raise SpecError(f"embed.layer {layer} does not exist: the model has {len(names)} "
                            "layers", key_path=("embed", "layer"), hint=choices)
        return names[layer]
    if layer not in [*names, "out"]:
        raise SpecError(f"embed.layer '{layer}' is not a layer of this model",
                        key_path=("embed", "layer"), hint=choices)
    return layer


class EmbeddingEvolution(PictureScene):
    """Registry entry for ``embedding_evolution``."""

    name = "embedding_evolution"
    description = "a layer's representation separating classes over training, projected to 2-D"
    Spec = EmbeddingSpec
    default_backend = "matplotlib"

    def check(self, spec: EmbeddingSpec, dataset: Dataset) -> None:
        """Classes, a layer that exists, points and traced samples within the data, and
        star coordinates only of class probabilities."""
        if dataset.task != "classification":
            raise SpecError(f"data.name {spec.data.name} is a regression dataset; "
                            "embedding_evolution colours points by class, so it needs a "
                            "classification one", key_path=("data", "name"),
                            hint="use digits, iris, wine, an npz of images and labels, ...")
        layer = resolve_layer(spec, dataset)
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

    def recording_key(self, spec: EmbeddingSpec) -> dict:
        """The traced samples' images are recorded with the trace."""
        return {"traced": spec.embed.trace}

    def complete(self, spec: EmbeddingSpec, dataset: Dataset, plan: RecordingPlan,
                 trace: Trace, progress: Progress) -> None:
        """Keep the samples' labels and the traced samples' images."""
        _attach_samples(trace, spec, dataset, plan)

    def analyse(self, spec: EmbeddingSpec, trace: Trace, progress: Progress) -> None:
        """Project every snapshot with each method drawn (cached)."""
        for method in spec.embed.methods:
            projection(spec, trace, method, progress)

    def story(self, spec: EmbeddingSpec, trace: Trace, video: VideoSettings, theme: Theme):
        """Layouts, labels and predictions, read once."""
        from mlanim.scenes.embedding_evolution.story import EmbeddingStory

        return EmbeddingStory(spec, trace, video, theme)

    def compose(self, story, frame: int):
        """One frame's picture."""
        from mlanim.scenes.embedding_evolution.picture import embedding_picture

        return embedding_picture(story, frame)


def _steps_per_epoch(spec: EmbeddingSpec, dataset: Dataset) -> int:
    n = len(dataset.x_train)
    batch = n if spec.train.batch_size == "full" else min(spec.train.batch_size, n)
    return -(-n // batch)


def first_epoch_steps(spec: EmbeddingSpec, dataset: Dataset) -> tuple[int, ...]:
    """The optimizer steps inside the first epoch after which extra snapshots are taken."""
    per_epoch = _steps_per_epoch(spec, dataset)
    count = spec.embed.first_epoch
    return tuple(sorted({round(per_epoch * k / (count + 1)) for k in range(1, count + 1)}
                        - {0, per_epoch}))


def snapshot_steps(spec: EmbeddingSpec, dataset: Dataset) -> set[int]:
    """Every step after which training will take a snapshot (0: before training)."""
    per_epoch = _steps_per_epoch(spec, dataset)
    train = spec.train
    total = train.steps or per_epoch * (train.total_epochs or 0)
    every = train.record_every_steps or train.record_every * per_epoch
    return {0, *range(every, total + 1, every), total, *first_epoch_steps(spec, dataset)}


def sample_rows(spec: EmbeddingSpec, dataset: Dataset) -> tuple[int, ...]:
    """Rows of train + validation shown as points: all, or a seeded subset in data order."""
    total = len(dataset.x_train) + len(dataset.x_val)
    points = spec.embed.points or total
    if points >= total:
        return ()
    chosen = np.random.default_rng(spec.seed).choice(total, points, replace=False)
    return tuple(int(i) for i in np.sort(chosen))


def _attach_samples(trace: Trace, spec: EmbeddingSpec, dataset: Dataset,
                    plan: RecordingPlan) -> None:
    """Labels and split of the shown samples, and the traced samples' images (0..1)."""
    labels = np.concatenate([dataset.y_train, dataset.y_val])
    held_out = np.arange(len(labels)) >= len(dataset.y_train)
    rows = np.array(plan.rows) if plan.rows else np.arange(len(labels))
    trace.attach("samples/labels", labels[rows].astype(np.int16))
    trace.attach("samples/held_out", held_out[rows])
    trace.meta["embed"] = {"layer": resolve_layer(spec, dataset),
                           "network": describe_network(spec, dataset),
                           "channel": (f"hidden/{plan.hidden_layers[0]}" if plan.hidden_layers
                                       else "outputs/probabilities"),
                           "points": len(rows)}
    if spec.embed.trace and dataset.image_shape:
        x = np.concatenate([dataset.x_train, dataset.x_val])[rows[spec.embed.trace]]
        low, high = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        images = (x - low) / np.maximum(high - low, 1e-6)
        trace.attach("samples/thumbnails", images.reshape(len(x), *dataset.image_shape)
                     .astype(np.float16))


def describe_network(spec: EmbeddingSpec, dataset: Dataset) -> str:
    """``MLP 64-64-32-10`` or ``CNN conv 8, 16 · dense 32 · 10 out``."""
    model = spec.model
    if model.type == "cnn":
        return (f"CNN conv {', '.join(map(str, model.channels))} · dense "
                f"{', '.join(map(str, model.hidden))} · {dataset.n_outputs} out")
    widths = [dataset.n_features, *model.hidden, dataset.n_outputs]
    return "MLP " + "-".join(map(str, widths))


def projection(spec: EmbeddingSpec, trace: Trace, method: str,
               progress: Progress | None = None) -> np.ndarray:
    """(S, N, 2) layouts of the recorded layer by ``method``: from the derived-data cache, or
    computed now and cached."""
    from mlanim.analysis.projection import layouts
    from mlanim.encode.atomic import atomic_path
    from mlanim.trace.cache import derived_path, trace_identity

    channel = "outputs/probabilities" if method == "star" else trace.meta["embed"]["channel"]
    how = {"method": method, "channel": channel, "seed": spec.seed, "basis": spec.embed.basis,
           "version": PROJECTION_VERSION}
    path = derived_path(trace_identity(trace.meta, trace.path), how)
    if path.exists():
        with np.load(path) as cached:
            return cached["layouts"]
    values = trace.values(channel)
    if not -len(values) <= spec.embed.basis < len(values):
        raise SpecError(f"embed.basis {spec.embed.basis} is not a snapshot: the trace has "
                        f"{len(values)} (0..{len(values) - 1})", key_path=("embed", "basis"),
                        hint="use -1 for the last")
    result = layouts(method, values, spec.seed, spec.embed.basis, progress or SilentProgress())
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, layouts=result)
    return result


KIND = EmbeddingEvolution()
