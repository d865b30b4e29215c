"""The shared sections of a scene spec (see SPEC.md): data, model, train, render.

Every model forbids unknown keys and is frozen: the parsed spec is inert data.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

PositiveInt = Annotated[int, Field(gt=0)]
MAX_WIDTH = 1_000_000
Width = Annotated[int, Field(gt=0, le=MAX_WIDTH)]  # neurons in a layer
Rate = Annotated[float, Field(ge=0, lt=1)]

GENERATED_SETS = ("moons", "circles", "xor", "spiral", "gaussians")
SKLEARN_SETS = ("iris", "wine", "breast_cancer", "digits", "diabetes")
FILE_SETS = ("csv", "npz", "idx")

DatasetName = Literal[
    "moons", "circles", "xor", "spiral", "gaussians",
    "iris", "wine", "breast_cancer", "digits", "diabetes",
    "csv", "npz", "idx",
]


# The one list of each render choice; the command line, the encoders and the templates read
# theirs from these.
Backend = Literal["manim", "matplotlib"]
Format = Literal["mp4", "gif", "webm", "png", "svg", "pdf", "vtt", "srt", "html"]
Quality = Literal["low", "medium", "high", "4k"]
Activation = Literal["relu", "tanh", "sigmoid", "gelu", "leaky_relu", "linear"]
ModelType = Literal["mlp", "cnn"]  # only types that `mlanim.models.build` builds


def choices(options: object) -> tuple[str, ...]:
    """The values a ``Literal`` type allows, in order."""
    return get_args(options)


class Section(BaseModel):
    """Base of every spec section: unknown keys are errors, values are immutable, and numbers
    are finite (NaN and infinity are never a sensible setting)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DataSpec(Section):
    """Which dataset to train on and how to prepare it."""

    name: DatasetName = Field("moons", description="generated, scikit-learn's, or a local "
                              "csv / npz / idx file")
    n_samples: int = Field(400, ge=10, le=1_000_000, description="generated sets only")
    noise: float = Field(0.2, ge=0, le=10, description="generated sets only")
    classes: int = Field(3, ge=2, le=20, description="spiral and gaussians")
    test_fraction: float = Field(0.25, ge=0, le=0.9, description="held-out validation split")
    path: str | None = Field(None, description="csv / npz / idx images file (relative to the "
                             "spec file)")
    labels: str | None = Field(None, description="idx: the labels file")
    limit: int | None = Field(None, ge=10, description="use a seeded random subset of this "
                              "many rows")
    target: str | None = Field(None, description="csv: the target column")
    features: list[str | int] | None = Field(None, description="columns to use (names or indices)")
    task: Literal["auto", "classification", "regression"] = "auto"
    missing: Literal["error", "drop", "mean"] = Field(
        "error", description="csv cells left empty (or NA, nan, null, ?): refuse the file "
        "naming the cell, drop those rows, or fill a feature with its column's mean (a row "
        "whose target is missing is dropped)")
    standardize: bool = Field(True, description="zero mean, unit variance from the training split")

    @model_validator(mode="after")
    def _file_sets_need_a_path(self) -> DataSpec:
        if self.name in FILE_SETS and not self.path:
            raise ValueError(f"data.name {self.name} needs data.path: the file to read")
        if self.name == "csv" and not self.target:
            raise ValueError("data.name csv needs data.target: the column to predict")
        if self.name in ("spiral", "gaussians") and self.n_samples < 5 * self.classes:
            raise ValueError(f"data.n_samples {self.n_samples} leaves fewer than 5 points to "
                             f"each of {self.classes} classes: raise n_samples or lower classes")
        if self.name == "idx" and not self.labels:
            raise ValueError("data.name idx needs data.labels: the labels file (e.g. "
                             "train-labels-idx1-ubyte)")
        return self


class ModelSpec(Section):
    """The network architecture."""

    type: ModelType = "mlp"
    hidden: list[Width] = Field([16, 16], description="neurons per hidden layer (each at most "
                                "1,000,000)")
    channels: list[PositiveInt] = Field([8, 16], description="cnn: filters per convolution")
    activation: Activation = "tanh"
    dropout: float = Field(0.0, ge=0, lt=1)
    init: Literal["default", "kaiming", "xavier"] = Field(
        "default", description="weights: torch's default, kaiming (He, for relu) or xavier "
        "(Glorot, for tanh and sigmoid); biases start at zero with kaiming and xavier")
    checkpoint: str | None = Field(
        None, description="start from saved weights: a state dict file (torch.save("
        "model.state_dict(), path)), loaded with torch.load(weights_only=True)")


OptimizerName = Literal["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"]


class OptimizerSpec(Section):
    """A torch.optim optimizer and its arguments (only those the optimizer accepts)."""

    name: OptimizerName = "adam"
    lr: float = Field(0.01, gt=0, le=100, description="learning rate")
    momentum: float | None = Field(None, ge=0, lt=1)
    betas: tuple[Rate, Rate] | None = Field(
        None, description="adam: decay rates of the moment estimates, each in [0, 1)")
    weight_decay: float | None = Field(None, ge=0)
    eps: float | None = Field(None, gt=0)
    alpha: float | None = Field(None, gt=0, lt=1)
    dampening: float | None = Field(None, ge=0, le=1)
    amsgrad: bool | None = None
    centered: bool | None = None
    lr_decay: float | None = Field(None, ge=0)

    def arguments(self) -> dict[str, object]:
        """The torch.optim keyword arguments the user set (lr always)."""
        skip = {"name"}
        return {k: v for k, v in self.model_dump().items() if k not in skip and v is not None}


class TrainSpec(Section):
    """How long and how to train, and how often to record."""

    epochs: PositiveInt | None = Field(None, le=100_000, description="or steps:")
    steps: PositiveInt | None = Field(None, le=10_000_000)
    batch_size: PositiveInt | Literal["full"] = Field(32, description="a number, or full")
    optimizer: OptimizerSpec = OptimizerSpec()
    loss: Literal["auto", "cross_entropy", "mse"] = "auto"
    record_every: PositiveInt = Field(1, description="epochs between snapshots")
    record_every_steps: PositiveInt | None = Field(None, description="steps between snapshots")
    on_divergence: Literal["error", "stop"] = Field(
        "error", description="NaN/inf loss: fail (error) or keep the run up to that point (stop)"
    )

    @model_validator(mode="after")
    def _epochs_or_steps(self) -> TrainSpec:
        if self.epochs is not None and self.steps is not None:
            raise ValueError("give train.epochs or train.steps, not both")
        return self

    @property
    def total_epochs(self) -> int | None:
        """Epochs to train when counted in epochs (60 when neither epochs nor steps is set)."""
        if self.steps is not None:
            return None
        return self.epochs or 60


class CountedTrain(TrainSpec):
    """Training counted in ``counted_in`` (steps or epochs) by default, with a default count a
    kind sets; a spec that gives the other count uses it instead."""

    counted_in: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _other_count_replaces_default(cls, data: object) -> object:
        other = "epochs" if cls.counted_in == "steps" else "steps"
        if isinstance(data, dict) and other in data and cls.counted_in not in data:
            return {**data, cls.counted_in: None}
        return data


class StepsTrain(CountedTrain):
    """Training counted in optimizer steps by default; ``epochs:`` counts epochs instead."""

    counted_in = "steps"


class EpochsTrain(CountedTrain):
    """Training counted in epochs by default; ``steps:`` counts steps instead."""

    counted_in = "epochs"


class GifSpec(Section):
    """How GIFs are made: smaller than the video, for blogs and slides."""

    width: int = Field(720, ge=64, le=3840, description="at most this many pixels wide")
    fps: int = Field(15, ge=1, le=50, description="at most this many frames per second")
    colors: int = Field(128, ge=2, le=255, description="palette size: fewer, smaller file")
    max_mb: float | None = Field(None, gt=0, le=1000, description="keep the file under this "
                                 "size: fps, then width, then colours are lowered until it fits")


class PageSpec(Section):
    """How html pages are made."""

    max_points: int = Field(3000, ge=100, le=1_000_000, description="a set of points larger "
                            "than this is shown sampled evenly per class (the page says so)")
    frames: int = Field(90, ge=2, le=1000, description="pictures a page holds at most (its "
                        "slider's steps), spread over the run, the last one included")


class RenderSpec(Section):
    """How to turn the trace into files."""

    backend: Backend | None = Field(
        None, description="manim | matplotlib; default: the scene kind's own"
    )
    formats: list[Format] = Field(
        ["mp4", "gif"], min_length=1
    )
    quality: Quality = Field(
        "medium", description="low 480p15 | medium 720p30 | high 1080p60 | 4k 2160p60"
    )
    duration: float = Field(10.0, gt=0, le=600, description="seconds of animation")
    fps: PositiveInt | None = Field(None, le=120, description="override the quality's frame rate")
    theme: Literal["dark", "light", "paper"] = "dark"
    aspect: Literal["16:9", "4:3", "1:1", "9:16"] = "16:9"
    captions: bool = Field(True, description="short on-screen explanations")
    gif: GifSpec = GifSpec()
    page: PageSpec = PageSpec()
    figure: Literal["video", "paper"] = Field(
        "video", description="paper: figures for a paper (png, svg, pdf): no title or caption, "
        "render.column inches wide, type sized for print, TrueType fonts in PDF, text as text "
        "in SVG")
    column: float = Field(3.5, ge=1, le=12, description="paper figures: width in inches "
                          "(3.5 one column, 7 two)")

    @model_validator(mode="before")
    @classmethod
    def _paper_theme(cls, data: object) -> object:
        """A paper figure is drawn on the paper theme unless a theme is given."""
        if isinstance(data, dict) and data.get("figure") == "paper" and "theme" not in data:
            return {**data, "theme": "paper"}
        return data


class SceneSpec(Section):
    """What every scene kind's spec has. A kind subclasses this with its own ``scene`` literal."""

    scene: str
    title: str | None = Field(None, description="title card and caption")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="drives data, init and batching")
    render: RenderSpec = RenderSpec()
    output: str | None = Field(None, description="path without extension; default outputs/<stem>")


class RecordedSceneSpec(SceneSpec):
    """A scene drawn from a training run: its own, or a trace recorded elsewhere."""

    trace: str | None = Field(None, description="a trace recorded elsewhere, instead of training")


class TrainedSceneSpec(RecordedSceneSpec):
    """A scene that trains the spec's model on the spec's data (or reads a trace)."""

    data: DataSpec = DataSpec()
    model: ModelSpec = ModelSpec()
    train: TrainSpec = TrainSpec()
