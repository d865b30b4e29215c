"""Scene kind ``loss_curves``: training and validation loss (and accuracy) over epochs.

One run, or several with seeds seed..seed+N-1 on the same data split, drawn as their mean with
a band (their range, or ± one std). The epoch of lowest validation loss is marked (where early
stopping would stop); overfitting is shaded only when it is real (`mlanim.analysis.curves`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlanim.progress import Progress
from mlanim.scenes.loss_curves.spec import LossCurvesSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace


class LossCurves(PictureScene):
    """Train and validation loss over epochs, several seeds with a band."""

    Spec = LossCurvesSpec
    drawn_by = ("story.CurvesStory", "picture.CurvesPicture")
    needs = (("metrics/train_loss", "the training loss",
              "call rec.step(loss) after each optimizer step"),)
    keyed_by = ("seed", "seeds", "data", "model", "train")

    def recording(self, spec: LossCurvesSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Every seed's run on the spec's data, keyed by data, model, train and the seeds."""
        from mlanim import data
        from mlanim.scenes.loss_curves.record import record_runs

        dataset = data.load(spec.data, spec.seed, resolve)
        return self.recording_key(spec), lambda progress: record_runs(spec, dataset, progress)

    def clock(self, spec: LossCurvesSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots the timeline sweeps through."""
        from mlanim.scenes.loss_curves.story import train_loss_channel

        channel = trace.channel(train_loss_channel(trace))
        return channel.steps, channel.epochs


KIND = LossCurves()
