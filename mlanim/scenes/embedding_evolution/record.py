"""What ``embedding_evolution`` records: the layer's name, the shown samples and the snapshot
steps; the labels and images kept with the trace."""

from __future__ import annotations

import numpy as np

from mlanim.data import Dataset
from mlanim.errors import SpecError
from mlanim.scenes.embedding_evolution.spec import OUTPUT, EmbeddingSpec
from mlanim.train.plan import RecordingPlan
from mlanim.train.schedule import Schedule


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


def first_epoch_steps(spec: EmbeddingSpec, dataset: Dataset) -> tuple[int, ...]:
    """The optimizer steps inside the first epoch after which extra snapshots are taken."""
    return Schedule.of(spec.train, len(dataset.x_train)).within_first_epoch(
        spec.embed.first_epoch)


def snapshot_steps(spec: EmbeddingSpec, dataset: Dataset) -> set[int]:
    """Every step after which training will take a snapshot (0: before training)."""
    schedule = Schedule.of(spec.train, len(dataset.x_train))
    return {0, *schedule.regular(schedule.every(spec.train),
                                 schedule.within_first_epoch(spec.embed.first_epoch))}


def sample_rows(spec: EmbeddingSpec, dataset: Dataset) -> tuple[int, ...]:
    """Rows of train + validation shown as points: all, or a seeded subset in data order."""
    total = len(dataset.x_train) + len(dataset.x_val)
    points = spec.embed.points or total
    if points >= total:
        return ()
    chosen = np.random.default_rng(spec.seed).choice(total, points, replace=False)
    return tuple(int(i) for i in np.sort(chosen))


def samples(spec: EmbeddingSpec, dataset: Dataset, plan: RecordingPlan
            ) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Labels and split of the shown samples, and the traced samples' images (0..1), as
    static arrays; what the embedding is of, as metadata: known before training, so that a
    run served live (``--live``) carries them from its first snapshot."""
    labels = np.concatenate([dataset.y_train, dataset.y_val])
    held_out = np.arange(len(labels)) >= len(dataset.y_train)
    rows = np.array(plan.rows) if plan.rows else np.arange(len(labels))
    statics = {"samples/labels": labels[rows].astype(np.int16),
               "samples/held_out": held_out[rows]}
    meta = {"embed": {"layer": resolve_layer(spec, dataset),
                      "network": describe_network(spec, dataset),
                      "channel": (f"hidden/{plan.hidden_layers[0]}" if plan.hidden_layers
                                  else "outputs/probabilities"),
                      "points": len(rows)}}
    if spec.embed.trace and dataset.image_shape:
        x = np.concatenate([dataset.x_train, dataset.x_val])[rows[spec.embed.trace]]
        low, high = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        images = (x - low) / np.maximum(high - low, 1e-6)
        statics["samples/thumbnails"] = images.reshape(len(x), *dataset.image_shape) \
            .astype(np.float16)
    return statics, meta


def describe_network(spec: EmbeddingSpec, dataset: Dataset) -> str:
    """``MLP 64-64-32-10`` or ``CNN conv 8, 16 · dense 32 · 10 out``."""
    model = spec.model
    if model.type == "cnn":
        return (f"CNN conv {', '.join(map(str, model.channels))} · dense "
                f"{', '.join(map(str, model.hidden))} · {dataset.n_outputs} out")
    widths = [dataset.n_features, *model.hidden, dataset.n_outputs]
    return "MLP " + "-".join(map(str, widths))
