"""The fits of the bias-variance scene, read once, and the numbers each moment shows: over the
training sets drawn so far, the fits' mean, train and test error, bias² and variance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.analysis.claims import lowest
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline
from mlanim.draw.video import VideoSettings
from mlanim.scenes.bias_variance.spec import BiasVarianceSpec
from mlanim.trace import Trace


@dataclass(frozen=True)
class Errors:
    """The error parts of one degree over some training sets (mean squared, on the test
    points): the test error measured against noisy targets, its bias² and variance parts, the
    noise variance nothing can remove, and the training error."""

    train: float
    test: float
    bias2: float
    variance: float
    noise: float


@dataclass(frozen=True)
class Fit:
    """One degree fitted to every training set: targets, predictions and errors."""

    degree: int
    noise: float
    y: np.ndarray  # (sets, samples) training targets
    grid: np.ndarray  # (sets, grid points) predictions where the curves are drawn
    test: np.ndarray  # (sets, test points) predictions at the test points
    test_y: np.ndarray  # noisy test targets
    train_mse: np.ndarray  # (sets,)

    def errors(self, truth: np.ndarray, sets: int) -> Errors:
        """The errors over the first ``sets`` training sets."""
        test = self.test[:sets]
        mean = test.mean(axis=0)
        return Errors(train=float(self.train_mse[:sets].mean()),
                      test=float(np.mean((test - self.test_y) ** 2)),
                      bias2=float(np.mean((mean - truth) ** 2)),
                      variance=float(np.mean(test.var(axis=0))),
                      noise=self.noise ** 2)


class FitsStory:
    """Every recorded fit, and the timeline the video sweeps (training sets, or degrees)."""

    def __init__(self, spec: BiasVarianceSpec, trace: Trace, video: VideoSettings,
                 theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        self.grid_x, self.grid_truth = trace.static("grid/x"), trace.static("grid/truth")
        self.test_x, self.test_truth = trace.static("test/x"), trace.static("test/truth")
        self.train_x = trace.static("train/x")
        self.fits = [Fit(meta[f"fit{k}"]["degree"], meta[f"fit{k}"]["noise"],
                         *(trace.static(f"fit{k}/{part}") for part in
                           ("y", "grid", "test", "test_y", "train_mse")))
                     for k in range(meta["fits"])]
        self.sets = len(self.train_x)
        self.formula = meta["formula"]
        self.sweep = spec.view == "sweep"
        steps = len(self.fits) if self.sweep else self.sets
        self.timeline = SnapshotTimeline(steps, video.count, video.fps)
        self.errors = [[fit.errors(self.test_truth, n) for n in range(1, self.sets + 1)]
                       for fit in self.fits]
        self.title = spec.title or ("Bias and variance as the degree grows" if self.sweep
                                    else "Underfitting and overfitting")
        self.subtitle = (f"y = {self.formula} + noise (std {spec.noise:g}) · {spec.samples} "
                         f"points per training set · {self.sets} training sets · "
                         "least-squares polynomials")
        counter = (f"degree {len(self.fits) - 1} / {len(self.fits) - 1}" if self.sweep
                   else f"set {self.sets} / {self.sets}")
        self.frame = Frame(video, theme, self.title, self.subtitle, counter_sample=counter)
        self.count = video.count

    def position(self, frame: int) -> float:
        """The fractional step (training set, or degree) ``frame`` shows."""
        return self.timeline.at(frame).position

    def shown(self, frame: int) -> int:
        """Panels: how many training sets are drawn; sweep: the degree's index."""
        position = self.position(frame)
        return int(np.floor(position)) + (0 if self.sweep else 1)

    def best_degrees(self) -> list[int]:
        """Sweep: the indices of the degrees of lowest test error over all training sets
        (several when they tie, by `mlanim.analysis.claims.lowest`)."""
        return lowest([e[-1].test for e in self.errors])

    def best_degree(self) -> int:
        """Sweep: the (first) degree of lowest test error."""
        return self.best_degrees()[0]

    def caption(self, frame: int) -> str:
        """One line on what the frame shows, from the fitted numbers."""
        moment = self.timeline.at(frame)
        if self.sweep:
            return self._sweep_caption(moment.phase, self.shown(frame))
        if moment.phase == "start":
            return ("Each training set is a new draw of noisy points from the same function; "
                    "each curve is one least-squares fit")
        if moment.phase == "end":
            return ("Too simple: the mean fit misses the function (bias). Too flexible: the "
                    "fits scatter from set to set (variance)")
        return "Thin curves: one fit per training set. Thick curve: their mean. Dashed: the truth"

    def _sweep_caption(self, phase: str, index: int) -> str:
        errors = self.errors[index][-1]
        if phase == "start":
            return "Degree 0 is a constant: it cannot follow the function, whatever the data"
        if phase == "end":
            best = self.best_degree()
            tied = self.best_degrees()
            if len(tied) > 1:
                degrees = " and ".join(str(self.fits[i].degree) for i in tied)
                return f"Test error ties for lowest at degrees {degrees}"
            final = [e[-1] for e in self.errors]
            below = all(e.bias2 > e.variance for e in final[:best])
            above = all(e.variance > e.bias2 for e in final[best + 1:])
            if below and above:
                return (f"Test error is lowest at degree {self.fits[best].degree}: below it "
                        "bias dominates, above it variance")
            return (f"Test error is lowest at degree {self.fits[best].degree} (bias\u00b2 "
                    f"{final[best].bias2:.2g}, variance {final[best].variance:.2g})")
        return (f"Degree {self.fits[index].degree}: test error {errors.test:.3g} \u2248 noise "
                f"{errors.noise:.2g} + bias\u00b2 {errors.bias2:.2g} + variance "
                f"{errors.variance:.2g}")
