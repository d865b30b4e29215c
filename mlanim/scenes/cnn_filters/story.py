"""The CNN trace read once, the arithmetic each view writes out, and the video's plan.

Every number a view writes is either recorded (maps, logits, confusion) or computed here from
recorded weights and the recorded probe image with the same arithmetic torch uses
(cross-correlation with zero padding, max over pool windows); the tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import HeldSweep, Segment, segment_at, split_frames
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title
from mlanim.trace import Trace

SWEEP = HeldSweep(0.08, 0.12)  # the training view: each epoch an equal share, the ends longer
# How much of the video each view takes, relative to one another.
VIEW_WEIGHTS = {"convolution": 1.7, "sum": 1.0, "pool": 1.0, "flatten": 0.9,
                "training": 1.9, "mistake": 0.9}


def correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``image`` (h, w) cross-correlated with ``kernel`` (k, k) over zero padding k // 2: what
    torch's ``conv2d`` computes for one input and one output channel, without the bias."""
    pad = kernel.shape[0] // 2
    windows = sliding_window_view(np.pad(image, pad), kernel.shape)
    return np.einsum("ijkl,kl->ij", windows.astype(np.float64), kernel.astype(np.float64))


def pool_winners(values: np.ndarray, size: int) -> np.ndarray:
    """For each ``size`` x ``size`` pool window of ``values`` (h, w), the (row, col) of its
    largest cell (the first, as torch's ``max_pool2d`` picks it): shape (h', w', 2)."""
    rows, cols = values.shape[0] // size, values.shape[1] // size
    cut = values[:rows * size, :cols * size].reshape(rows, size, cols, size)
    flat = cut.transpose(0, 2, 1, 3).reshape(rows, cols, size * size)
    best = flat.argmax(axis=-1)
    r0, c0 = np.meshgrid(np.arange(rows) * size, np.arange(cols) * size, indexing="ij")
    return np.stack([r0 + best // size, c0 + best % size], axis=-1)


@dataclass(frozen=True)
class Window:
    """One stop of the first convolution's window: where, what it covers, what it makes."""

    row: int
    col: int
    patch: np.ndarray  # (k, k): the padded image under the kernel
    products: np.ndarray  # (k, k): patch times kernel, cell by cell
    bias: float
    total: float  # products summed plus the bias
    recorded: float  # the recorded map's value at (row, col)


class CnnStory:
    """Everything the CNN pictures need, indexed by video frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        self.model = meta["model"]
        self.classes = [str(c) for c in meta["classes"]]
        self.layers = len(self.model["channels"])
        self.kernel, self.pool = self.model["kernel"], self.model["pool"]
        self.image = trace.static("probe/image").astype(np.float64)
        self.label = int(trace.static("probe/label").ravel()[0])
        self.epochs = trace.channel("confusion").epochs
        self.weights = [trace.values(f"weights/conv{i}") for i in range(1, self.layers + 1)]
        self.biases = [trace.values(f"bias/conv{i}") for i in range(1, self.layers + 1)]
        self.maps = {name: trace.values(f"probe/{name}") for name in
                     (f"{stage}{i}" for i in range(1, self.layers + 1)
                      for stage in ("conv", "act", "pool"))}
        self.map_scales = {f"conv{i}": self.scale(self.maps[f"conv{i}"])
                           for i in range(1, self.layers + 1)}  # each layer's, over training
        self.kernel_scale = self.scale(self.weights[0])
        self.flat, self.logits = trace.values("probe/flat"), trace.values("probe/logits")
        self.confusion = trace.values("confusion")
        self.metrics = {name.removeprefix("metrics/"): trace.values(name)
                        for name in trace.channels_with_prefix("metrics/")}
        self.mistake = {name: trace.static(f"mistake/{name}") for name in
                        ("image", "label", "predicted", "saliency", "probs")}
        self.scaled = bool(meta.get("scaled", True))
        self.channel = 0  # the first layer's map the convolution view follows
        self.windows = self._windows(spec.show.positions)
        views = [v for v in spec.show.views if v != "sum" or self.layers > 1]
        self.segments = split_frames(views or ["training"], VIEW_WEIGHTS, video.count)
        self.count = video.count
        side = self.model["sides"][0]
        self.title = story_title(spec.title, "A CNN learns to see digits", trace)
        convs = " → ".join(f"conv {c}" for c in self.model["channels"])
        self.subtitle = (f"{side}×{side} images · {convs} ({self.kernel}×{self.kernel}, "
                         f"{self.model['activation']}, max-pool {self.pool}) · linear → "
                         f"{len(self.classes)} classes · {self.model['parameters']:,} weights")
        total = f"{self.epochs[-1]:g}"
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"epoch {total} / {total}",
                           status_sample="held-out accuracy 100%")

    # -- the convolution's arithmetic ------------------------------------------------------
    def _windows(self, count: int) -> list[Window]:
        """``count`` stops of the window over the first layer's followed map: the cells with
        the largest outputs, one per row, in the order the window passes them."""
        final = self.maps["conv1"][-1][self.channel]
        order = np.argsort(-np.abs(final), axis=None, kind="stable")
        chosen: list[tuple[int, int]] = []
        for flat in order:
            row, col = divmod(int(flat), final.shape[1])
            if all(row != r for r, _ in chosen):
                chosen.append((row, col))
            if len(chosen) == count:
                break
        return [self.window(row, col) for row, col in sorted(chosen)]

    def window(self, row: int, col: int, snapshot: int = -1) -> Window:
        """The first layer's followed kernel at (``row``, ``col``) of the probe image."""
        kernel = self.weights[0][snapshot][self.channel, 0].astype(np.float64)
        bias = float(self.biases[0][snapshot][self.channel])
        pad = self.kernel // 2
        patch = np.pad(self.image, pad)[row:row + self.kernel, col:col + self.kernel]
        products = patch * kernel
        return Window(row, col, patch, products, bias, float(products.sum() + bias),
                      float(self.maps["conv1"][snapshot][self.channel, row, col]))

    def partial_maps(self, out_channel: int = 0, snapshot: int = -1) -> np.ndarray:
        """The second convolution's map ``out_channel`` as one partial map per input channel
        (the pooled first-layer map cross-correlated with its kernel), (C_in, h, w); their
        sum plus the bias is the map."""
        inputs = self.maps["pool1"][snapshot]
        kernels = self.weights[1][snapshot][out_channel]
        return np.stack([correlate(inputs[i], kernels[i]) for i in range(len(inputs))])

    def winners(self, channel: int, layer: int = 1, snapshot: int = -1) -> np.ndarray:
        """Each pool window's winning cell in the activated map of ``channel``."""
        return pool_winners(self.maps[f"act{layer}"][snapshot][channel], self.pool)

    # -- the video's plan ------------------------------------------------------------------
    def segment(self, frame: int) -> Segment:
        """The segment ``frame`` belongs to."""
        return segment_at(self.segments, frame)

    def snapshot_at(self, progress: float) -> int:
        """The snapshot the training view shows at ``progress`` (0..1): each epoch held for an
        equal share, the first and last a little longer."""
        return SWEEP.index(progress, len(self.epochs))

    def scale(self, values: list[np.ndarray] | np.ndarray) -> float:
        """A symmetric colour scale: the largest magnitude over every snapshot."""
        return float(np.max(np.abs(values))) or 1.0

    def metric(self, name: str, snapshot: int) -> float:
        """A recorded metric at ``snapshot``."""
        return float(self.metrics[name][snapshot])
