"""Scene kind ``cnn_filters``: convolution, pooling, kernels and feature maps of a small CNN,
learning on images.

A small CNN (`record.ConvNet`: convolutions, each with its activation and a max-pool, then
one linear layer) trains on 8x8 digits or a local file of square images, while a watcher keeps
every epoch's weights, one held-out probe image's maps after every stage, and the held-out
confusion matrix. Views, in order: ``convolution`` (a kernel sliding over the probe, its
products and bias written out), ``sum`` (a second-layer map as the sum of one partial map per
input channel), ``pool`` (activation and max-pool, each window's winner marked), ``flatten``
(the maps in channel, row, column order to logits and softmax), ``training`` (kernels and maps
at each epoch on one colour scale per layer, beside the confusion matrix filling in) and
``mistake`` (a misclassified image and its saliency).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlanim.progress import Progress
from mlanim.scenes.cnn_filters.spec import CnnFiltersSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace


class CnnFilters(PictureScene):
    """Convolution, pooling, kernels and feature maps of a CNN learning on images."""

    Spec = CnnFiltersSpec
    drawn_by = ("story.CnnStory", "picture.CnnPicture")
    own_recording = "records its own CNN's kernels, maps and saliency"
    keyed_by = ("seed", "show.probe", "data", "model", "train")

    def recording(self, spec: CnnFiltersSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Load and check the images and layers (errors before training), then train."""
        from mlanim.scenes.cnn_filters.record import check_layers, load_images, record_cnn

        dataset = load_images(spec, resolve)
        check_layers(spec, dataset.image_shape[0])  # type: ignore[index]
        return self.recording_key(spec), lambda progress: record_cnn(spec, dataset, progress)

    def describe(self, meta: dict) -> str:
        """The images and the network's shape."""
        data, model = meta["dataset"], meta["model"]
        side = model["sides"][0]
        return (f"data {data.get('name')}: {data.get('n_train')} train, {data.get('n_val')} "
                f"held out, {side}x{side} images; CNN channels {model['channels']}, kernel "
                f"{model['kernel']}, pool {model['pool']}, {model['parameters']} parameters")


KIND = CnnFilters()
