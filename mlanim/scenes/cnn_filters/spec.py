"""The ``cnn_filters`` spec: image data (digits by default), a small convolutional network,
training counted in epochs, and which parts of the story to show."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from mlanim.spec.sections import (
    DatasetName,
    DataSpec,
    EpochsTrain,
    OptimizerSpec,
    PositiveInt,
    RecordedSceneSpec,
    Section,
)

MAX_CHANNELS = 16  # feature maps a layer may have: more cannot be drawn side by side


class ImageData(DataSpec):
    """Images: scikit-learn's 8x8 digits by default, or an npz / idx file of square images.

    Pixels are scaled to 0..1 by the training split's largest pixel unless ``standardize`` is
    set, so that the numbers written in a convolution are the image's own."""

    name: DatasetName = Field("digits", description="digits, or an npz / idx file of images")
    standardize: bool = Field(False, description="per-pixel zero mean, unit variance (default: "
                              "pixels scaled to 0..1)")


class CnnModel(Section):
    """Convolutions (each followed by the activation and a max-pool), then dense ``hidden``
    layers (none by default) and a linear layer to the classes."""

    type: Literal["cnn"] = "cnn"
    channels: list[PositiveInt] = Field([4, 8], min_length=1, max_length=3,
                                        description=f"feature maps per convolution (1 to 3 "
                                        f"layers, each at most {MAX_CHANNELS})")
    kernel: int = Field(3, ge=1, le=9, description="odd kernel side; padding keeps the size")
    pool: int = Field(2, ge=1, le=4, description="max-pool window and stride (1: no pooling)")
    activation: Literal["relu", "tanh", "leaky_relu"] = "relu"
    hidden: list[PositiveInt] = Field([], max_length=4, description="dense layers between "
                                      "the flattened maps and the classes (each at most "
                                      "4,096 wide)")

    @field_validator("hidden")
    @classmethod
    def _narrow(cls, value: list[int]) -> list[int]:
        if value and max(value) > 4096:
            raise ValueError(f"model.hidden {value}: at most 4,096 neurons a dense layer")
        return value

    @field_validator("channels")
    @classmethod
    def _drawable(cls, value: list[int]) -> list[int]:
        if max(value) > MAX_CHANNELS:
            raise ValueError(f"model.channels {value}: at most {MAX_CHANNELS} feature maps a "
                             f"layer can be drawn; use fewer")
        return value

    @field_validator("kernel")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"model.kernel {value} is even: use an odd side such as "
                             f"{value - 1} or {value + 1}, so that padding keeps a map's size")
        return value


class CnnTrain(EpochsTrain):
    """Training counted in epochs, a snapshot after each."""

    epochs: PositiveInt | None = Field(12, le=1000)
    batch_size: PositiveInt | Literal["full"] = 32
    optimizer: OptimizerSpec = OptimizerSpec(name="adam", lr=0.01)
    loss: Literal["auto", "cross_entropy"] = "auto"


View = Literal["convolution", "sum", "pool", "flatten", "training", "mistake"]


class CnnShow(Section):
    """What the scene shows, in order."""

    views: list[View] = Field(["convolution", "sum", "pool", "flatten", "training", "mistake"],
                              min_length=1, description="convolution | sum | pool | flatten | "
                              "training | mistake, in this order")
    probe: int = Field(0, ge=0, description="which held-out image the network is run on")
    positions: int = Field(3, ge=1, le=6, description="window positions written out in the "
                           "convolution view")


class CnnFiltersSpec(RecordedSceneSpec):
    """Convolution, pooling, kernels and feature maps of a small CNN, learning on images."""

    scene: Literal["cnn_filters"] = "cnn_filters"
    data: ImageData = ImageData()
    model: CnnModel = CnnModel()
    train: CnnTrain = CnnTrain()
    show: CnnShow = CnnShow()
