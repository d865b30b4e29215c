"""The ``attention`` spec: its own sections and defaults, validated by pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from mlanim.spec.sections import OptimizerSpec, RecordedSceneSpec, Section, StepsTrain

DEFAULT_CORPUS = ("the cat sat on the mat. the dog sat on the log. the cat saw the dog. "
                  "the dog saw the cat on the mat. ")


class TaskSpec(Section):
    """The sequence task the transformer learns."""

    name: Literal["copy", "reverse", "sort", "induction", "text"] = Field(
        "reverse", description="copy | reverse | sort | induction | text")
    length: int | None = Field(None, ge=2, le=64,
                               description="tokens per sequence (default 6; text 24, words 8)")
    vocab: int = Field(10, ge=2, le=100, description="digits 0..vocab-1 (not for text)")
    samples: int = Field(6000, ge=100, le=200_000, description="training sequences")
    corpus: str | None = Field(None, description="text: the sentence or small corpus")
    corpus_path: str | None = Field(None, description="text: a UTF-8 file to read it from")
    level: Literal["char", "word"] = Field("char", description="text: tokens are characters "
                                           "or words")
    example: str | None = Field(None, description="text: the sequence shown (or show.example)")

    @model_validator(mode="after")
    def _text_keys_for_text(self) -> TaskSpec:
        if self.name != "text" and (self.corpus or self.corpus_path):
            raise ValueError(f"task.corpus is for name: text, not {self.name}")
        if self.corpus is not None and self.corpus_path:
            raise ValueError("give task.corpus or task.corpus_path, not both")
        if self.corpus is not None and not self.corpus.strip():
            raise ValueError("task.corpus is empty: write a sentence or a few for the model "
                             "to learn")
        return self

    @property
    def sequence_length(self) -> int:
        """Tokens per sequence, with the task's default."""
        if self.length is not None:
            return self.length
        if self.name == "text":
            return 24 if self.level == "char" else 8
        return 12 if self.name == "induction" else 6


class TransformerSpec(Section):
    """The transformer: layers of multi-head self-attention and MLP, residuals, layer norm."""

    type: Literal["transformer"] = "transformer"
    layers: int = Field(1, ge=1, le=6)
    heads: int = Field(2, ge=1, le=8)
    d_model: int = Field(32, ge=4, le=256, description="width of the residual stream")
    positional: Literal["sinusoidal", "learned"] = "sinusoidal"

    @model_validator(mode="after")
    def _heads_divide_width(self) -> TransformerSpec:
        if self.d_model % self.heads:
            divisors = [h for h in range(1, 9) if self.d_model % h == 0]
            raise ValueError(f"model.heads {self.heads} does not divide model.d_model "
                             f"{self.d_model}: each head gets d_model / heads dimensions; use "
                             f"heads in {divisors} or a d_model that {self.heads} divides")
        return self


class AttentionTrain(StepsTrain):
    """Training for sequence tasks: counted in steps by default."""

    steps: int | None = Field(1500, gt=0, le=1_000_000)
    batch_size: int | Literal["full"] = Field(64, description="a number, or full")
    optimizer: OptimizerSpec = OptimizerSpec(name="adam", lr=0.003)
    record_every: int | None = Field(None, gt=0, description="epochs between snapshots; "
                                     "default: about 60, dense early")

    @field_validator("loss")
    @classmethod
    def _cross_entropy(cls, value: str) -> str:
        if value == "mse":
            raise ValueError("sequence tasks train with cross_entropy (next-token classes); "
                             "use loss: auto")
        return value


View = Literal["edges", "heatmap", "qkv"]


class AttentionShow(Section):
    """What the attention scene shows."""

    example: str | None = Field(None, description='the sequence shown, e.g. "3 1 4 1 5 9"; '
                                "default: a held-out one")
    heads: Literal["all"] | list[int] = Field("all", description="all, or a list like [0, 1]")
    views: list[View] = Field(["heatmap", "edges", "qkv"], min_length=1,
                              description="heatmap | edges | qkv, in this order")
    focus: tuple[int, int] | None = Field(None, description="[layer, head] walked through in "
                                          "qkv; default: the most focused head")
    positional: bool = Field(True, description="show sinusoidal position encodings first")

    @field_validator("heads")
    @classmethod
    def _heads_listed_once(cls, value: str | list[int]) -> str | list[int]:
        if isinstance(value, list) and (not value or min(value) < 0 or
                                        len(set(value)) != len(value)):
            raise ValueError("show.heads is a list of distinct head numbers from 0, or all")
        return value


class AttentionSpec(RecordedSceneSpec):
    """Attention between tokens, head by head, forming while a tiny transformer trains."""

    scene: Literal["attention"] = "attention"
    task: TaskSpec = TaskSpec()
    model: TransformerSpec = TransformerSpec()
    train: AttentionTrain = AttentionTrain()
    show: AttentionShow = AttentionShow()

    @model_validator(mode="after")
    def _one_example(self) -> AttentionSpec:
        if self.task.example and self.show.example and self.task.example != self.show.example:
            raise ValueError("give the example once: task.example or show.example")
        return self

    @property
    def example(self) -> str | None:
        """The example sequence, from show or task."""
        return self.show.example or self.task.example
