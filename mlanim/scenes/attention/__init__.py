"""Scene kind ``attention``: attention weighting between tokens, emerging while a tiny
transformer learns.

A small transformer (`mlanim.models.transformer`) trains from scratch on a sequence task (copy,
reverse, sort, induction, or the user's text) while the recorder keeps, at a cadence, every
layer's and head's attention weights, pre-softmax scores, Q, K, V and weighted values for one
example, plus the loss and held-out accuracy. Views: ``heatmap`` (each head's matrix forming
over training), ``edges`` (token-to-token lines, the focus walking from token to token) and
``qkv`` (one head's computation step by step, every matrix the recorded numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlanim.errors import SpecError, UsageError
from mlanim.progress import Progress
from mlanim.scenes.attention.spec import AttentionSpec
from mlanim.scenes.picture_scene import Move, PictureScene
from mlanim.trace import Trace


class Attention(PictureScene):
    """Attention between tokens, head by head, forming while a transformer learns."""

    Spec = AttentionSpec
    drawn_by = ("story.AttentionStory", "picture.attention_picture")
    own_recording = "records its own transformer's attention"
    default_backend = "manim"
    keyed_by = ("seed", "task", "model", "train")
    moves = ("walkthrough",)

    def move(self, story, name: str, head: int | None = None, layer: int | None = None
             ) -> Move:
        """``walkthrough``: the ``qkv`` view, one head of the trained model computing its
        attention stage by stage (``head`` and ``layer`` from 0; default: the spec's
        ``show.focus``, else the most focused head)."""
        view = next((seg for seg in story.segments if seg.view == "qkv"), None)
        if view is None:
            raise UsageError("this run's spec does not show the qkv view a walkthrough plays",
                             hint="add qkv to show.views in the spec")
        layers, heads = story.model["layers"], story.model["heads"]
        focus = (story.focus[0] if layer is None else layer,
                 story.focus[1] if head is None else head)
        if not (0 <= focus[0] < layers and 0 <= focus[1] < heads):
            raise UsageError(f"layer {focus[0]}, head {focus[1]} is not in this model "
                             f"({layers} layers, {heads} heads)",
                             hint=f"pick layer 0..{layers - 1} and head 0..{heads - 1}")
        return Move(view.first, view.last, settings={"focus": focus})

    def recording(self, spec: AttentionSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Build the task (errors surface before training), then train and record."""
        from mlanim.scenes.attention.record import build_task, record_attention

        check_show(spec)
        task, held_out, example = build_task(spec, resolve)
        return self.recording_key(spec, example=example), \
            lambda progress: record_attention(spec, task, held_out, example, progress)

    def describe(self, meta: dict) -> str:
        """The task and the transformer's shape."""
        task, model = meta["task"], meta.get("model", {})
        return (f"task {task['name']}, length {task['length']}, {len(task['vocabulary'])} "
                f"tokens; transformer {model.get('layers')} layers x {model.get('heads')} "
                f"heads, d_model {model.get('d_model')}, {model.get('parameters')} parameters")


def check_show(spec: AttentionSpec) -> None:
    """Heads and the focused head must exist in the model."""
    heads, layers = spec.model.heads, spec.model.layers
    if isinstance(spec.show.heads, list) and max(spec.show.heads) >= heads:
        raise SpecError(f"show.heads {spec.show.heads} names a head the model lacks: it has "
                        f"{heads} (0..{heads - 1})", key_path=("show", "heads"),
                        hint="list heads below model.heads, or write heads: all")
    if spec.show.focus is not None:
        layer, head = spec.show.focus
        if not (0 <= layer < layers and 0 <= head < heads):
            raise SpecError(f"show.focus {list(spec.show.focus)} is not a [layer, head] of this "
                            f"model ({layers} layers, {heads} heads)", key_path=("show", "focus"),
                            hint=f"use layer 0..{layers - 1} and head 0..{heads - 1}")


KIND = Attention()
