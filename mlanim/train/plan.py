"""What a scene asks training to record: the channels, the samples, and the cadence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A regular grid over the input plane; the model's output is recorded on it."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """The x and y coordinates of the grid lines."""
        return (np.linspace(*self.x_range, self.resolution, dtype=np.float32),
                np.linspace(*self.y_range, self.resolution, dtype=np.float32))

    def points(self) -> np.ndarray:
        """All grid points, row-major over y then x: shape (resolution**2, 2)."""
        xs, ys = self.axes()
        xx, yy = np.meshgrid(xs, ys)
        return np.stack([xx.ravel(), yy.ravel()], axis=1)


@dataclass(frozen=True)
class RecordingPlan:
    """Channels to record. Training records only what is planned.

    Snapshots are taken before training and then every ``every_epochs`` epochs (or every
    ``every_steps`` optimizer steps when set). At each of ``focus_steps`` (0-based optimizer
    steps) the recorder also keeps the weights before and after the update, the batch
    gradients, and training sample ``focus_sample``'s own forward and backward pass.

    ``hidden_layers`` and ``probabilities`` (the softmax of the output) are recorded for the
    ``rows`` of the training rows followed by the validation rows (all when empty), as float16.
    ``extra_steps`` adds snapshots after those optimizer steps (inside the first epoch, say).
    ``probabilities="auto"`` records them when the output is class scores for integer labels.
    ``find_embedding`` keeps one hidden layer: ``hidden_layers[0]`` when given, else the module
    whose output the last linear layer reads, found on the first snapshot.

    ``gradient_bins`` keeps every step's weight-gradient norms and |gradient| histogram (that
    many bins; `mlanim.train.gradients.GradientLog`), and ``dead_units`` the share of each
    ReLU's units dead on the training rows at each snapshot.
    """

    metrics: bool = True
    params: bool = False
    grads: bool = False
    activation_samples: tuple[int, ...] = ()
    grid: Grid | None = None
    hidden_layers: tuple[str, ...] = ()
    every_epochs: int = 1
    every_steps: int | None = None
    focus_steps: tuple[int, ...] = ()
    focus_sample: int = 0
    params_precision: str = "full"
    probabilities: bool | Literal["auto"] = False
    rows: tuple[int, ...] = ()
    extra_steps: tuple[int, ...] = ()
    store_data: bool = True  # keep the dataset's arrays in the trace
    find_embedding: bool = False
    gradient_bins: int | None = None
    dead_units: bool = False

    @property
    def needs_rows(self) -> bool:
        """Whether a snapshot runs the rows (not only the grid, or nothing)."""
        return bool(self.metrics or self.activation_samples or self.hidden_layers
                    or self.probabilities or self.find_embedding or self.dead_units)

    def key(self) -> dict:
        """Plain data that identifies the plan, for the trace cache key."""
        return asdict(self)

    def snapshot_bytes(self, weights: int, widest: int, rows: int, outputs: int) -> int:
        """About how many bytes one snapshot keeps: the weights (and gradients), the output on
        the grid, hidden layers and probabilities of the followed rows (float16)."""
        size = 4 * weights * (int(self.params) + int(self.grads))
        if self.grid is not None:
            size += 2 * self.grid.resolution ** 2 * outputs
        followed = len(self.rows) or rows
        size += 2 * followed * (widest * len(self.hidden_layers)
                                + (outputs if self.probabilities else 0))
        return size
