"""The ``embedding_evolution`` spec: its own sections and defaults, validated by pydantic."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mlanim.spec.sections import DataSpec, ModelSpec, OptimizerSpec, Section, TrainedSceneSpec
from mlanim.spec.sections import TrainSpec as BaseTrainSpec

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
