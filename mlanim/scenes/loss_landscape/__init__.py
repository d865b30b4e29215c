"""Scene kind ``loss_landscape``: a trained network's real loss surface and the path training took.

The spec's model trains while its parameters are recorded every epoch. Then, still in the
recording stage, the loss is evaluated on a 2-D slice through the final parameters, along the
trajectory's two principal directions (``pca``, with the path projected onto them) or two
filter-normalised random directions (``random``, Li et al. 2018). The grid is stored in the
trace, so renders re-use it without torch.
"""

from __future__ import annotations

import numpy as np

from mlanim.data import Dataset
from mlanim.progress import Progress
from mlanim.scenes.base import require_mlp
from mlanim.scenes.loss_landscape.spec import LandscapeSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace
from mlanim.train.plan import RecordingPlan


class LossLandscape(PictureScene):
    """A trained network's real loss surface, with its training path."""

    Spec = LandscapeSpec
    drawn_by = ("story.LandscapeStory", "picture.landscape_picture")
    own_recording = ("evaluates the loss on a plane of weights around the path, which needs "
                     "the model and data at hand")
    keyed_by = ("seed", "data", "model", "train", "landscape")  # evaluated while recording

    def check(self, spec: LandscapeSpec, dataset: Dataset) -> None:
        """Only MLPs: the fast grid evaluation relies on their layer structure."""
        require_mlp(self.name, spec)

    def plan(self, spec: LandscapeSpec, dataset: Dataset) -> RecordingPlan:
        """Metrics and every parameter, each epoch."""
        return RecordingPlan(metrics=True, params=True, every_epochs=spec.train.record_every,
                             every_steps=spec.train.record_every_steps)

    def complete(self, spec: LandscapeSpec, dataset: Dataset, plan: RecordingPlan,
                 trace: Trace, progress: Progress) -> None:
        """Evaluate the landscape around the trained weights and keep it in the trace."""
        add_landscape(trace, spec, progress)

    def clock(self, spec: LandscapeSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        channel = trace.channel(next(trace.channels_with_prefix("params/")))
        return channel.steps, channel.epochs




def add_landscape(trace: Trace, spec: LandscapeSpec, progress: Progress) -> None:
    """Directions, the projected path and the loss grid, attached to ``trace``."""
    import torch

    from mlanim.analysis.landscape import (
        ROWS_A_TASK,
        Plane,
        pca_directions,
        plane_losses,
        project,
        random_directions,
    )
    from mlanim.executor import map_shared, worker_count

    meta = trace.meta
    widths = meta["model"]["widths"]
    names = [n for n in trace.channel_names if n.startswith("params/")]
    snapshots = len(trace.channel(names[0]).values)
    trajectory = [{n.removeprefix("params/"): torch.from_numpy(trace.values(n)[t])
                   for n in names} for t in range(snapshots)]
    origin = trajectory[-1]
    if spec.landscape.directions == "pca":
        directions, path = pca_directions(trajectory)
        reach = np.abs(path).max(axis=0) * 1.3 * spec.landscape.span
        reach = np.maximum(reach, 1e-3)
    else:
        directions = random_directions(origin, spec.seed)
        path = project(trajectory, directions)
        reach = np.array([spec.landscape.span, spec.landscape.span])
    res = spec.landscape.resolution
    a_axis, b_axis = np.linspace(-reach[0], reach[0], res), np.linspace(-reach[1], reach[1], res)
    grid_a, grid_b = np.meshgrid(a_axis, b_axis)
    coords = np.stack([grid_a.ravel(), grid_b.ravel()], axis=1)
    plane = Plane(widths, spec.model.activation, spec.train.loss, meta["dataset"]["task"],
                  {k: v.numpy() for k, v in origin.items()},
                  {k: v.numpy() for k, v in directions.one.items()},
                  {k: v.numpy() for k, v in directions.two.items()},
                  trace.static("data/x_train"), trace.static("data/y_train"))
    blocks = [coords[start: start + ROWS_A_TASK] for start in range(0, len(coords),
                                                                     ROWS_A_TASK)]
    with progress.task("landscape grid", total=len(blocks)) as bar:
        parts = map_shared(plane_losses, plane, blocks, worker_count(), done=bar.advance)
    values = np.concatenate(parts)
    trace.attach("landscape/a", a_axis)
    trace.attach("landscape/b", b_axis)
    trace.attach("landscape/values", values.reshape(res, res))
    trace.attach("landscape/path", path)
    meta["landscape"] = {"directions": spec.landscape.directions,
                         "explained": list(directions.explained or ()),
                         "center_loss": float(values.reshape(res, res)[res // 2, res // 2])}


KIND = LossLandscape()
