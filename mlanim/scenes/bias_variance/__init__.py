"""Scene kind ``bias_variance``: why a model can be too simple or too flexible.

Polynomials of a few degrees are fitted by least squares to many noisy training sets drawn
from one smooth function. Their mean misses the function by the bias; their scatter around the
mean is the variance. Views: four panels of fixed degrees whose fits appear set by set, or a
sweep over the degree with the test error's U-shaped curve and its bias² and variance parts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlanim.analysis.derived import Derived
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.scenes.bias_variance.spec import BiasVarianceSpec
from mlanim.scenes.picture_scene import PictureScene
from mlanim.trace import Trace


def check_degrees(spec: BiasVarianceSpec) -> None:
    """A `SpecError` at the first degree the samples cannot determine (degree d needs d + 1
    points)."""
    degrees = ([(("max_degree",), spec.max_degree)] if spec.view == "sweep" else
               [(("panels", k, "degree"), p.degree) for k, p in enumerate(spec.panels)])
    for where, degree in degrees:
        if degree >= spec.samples:
            raise SpecError(f"degree {degree} needs at least {degree + 1} samples to fit, "
                            f"samples is {spec.samples}", key_path=where,
                            hint=f"raise samples to {degree + 1} or more, or lower the degree")


class BiasVariance(PictureScene):
    """Polynomial fits on resampled noisy sets: underfit, just right, overfit."""

    Spec = BiasVarianceSpec
    keyed_by = ("seed", "function", "samples", "noise", "resamples", "view", "panels",
                "max_degree")

    def recording(self, spec: BiasVarianceSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Every training set and fit, keyed by everything that changes them."""
        from mlanim.scenes.bias_variance.record import record_fits

        check_degrees(spec)
        return self.recording_key(spec), lambda progress: record_fits(spec, progress)

    def describe(self, meta: dict) -> str:
        """The function and how many fits the trace holds."""
        return f"{meta.get('formula')}: {meta.get('fits')} fits ({meta.get('view')})"

    def story(self, spec: BiasVarianceSpec, trace: Trace, video: VideoSettings, theme: Theme,
              derived: Derived | None = None):
        """The fits laid out in the shared frame, as panels or as a sweep."""
        from mlanim.scenes.bias_variance.picture import PanelsPicture, SweepPicture
        from mlanim.scenes.bias_variance.story import FitsStory

        story = FitsStory(spec, trace, video, theme)
        return PanelsPicture(story) if spec.view == "panels" else SweepPicture(story)


KIND = BiasVariance()
