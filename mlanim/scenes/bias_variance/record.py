"""Draws the training sets and fits the polynomials: the recording stage of ``bias_variance``.

Every training set has the same ``samples`` x positions drawn uniformly from [-1, 1] per
resample and standard-normal noise scaled by the panel's noise, so panels differ only in degree
and noise. Fits are least squares (numpy's polynomial fit); predictions are kept on a plotting
grid and on evenly spaced test points, whose targets carry fresh noise of the same size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.polynomial import polynomial

from mlanim.progress import Progress
from mlanim.scenes.bias_variance.spec import BiasVarianceSpec
from mlanim.trace import Trace, TraceWriter

GRID = 240  # points where each fit is drawn
TEST = 500  # evenly spaced test points

TRUTHS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(np.pi * x),
    "cubic": lambda x: x ** 3 - x / 2,
    "runge": lambda x: 1 / (1 + 25 * x ** 2),
}
FORMULAS = {"sine": "sin(\u03c0x)", "cubic": "x\u00b3 \u2212 x/2", "runge": "1 / (1 + 25x\u00b2)"}


def fit_all(x: np.ndarray, y: np.ndarray, degree: int, at: np.ndarray) -> np.ndarray:
    """Each row's least-squares polynomial of ``degree`` (x and y: resamples x samples),
    evaluated at ``at``: shape (resamples, len(at))."""
    return np.stack([polynomial.polyval(at, polynomial.polyfit(xs, ys, degree))
                     for xs, ys in zip(x, y, strict=True)])


def record_fits(spec: BiasVarianceSpec, progress: Progress) -> Trace:
    """The training sets, fits and errors of every panel (or of every degree of the sweep)."""
    rng = np.random.default_rng(spec.seed)
    truth = TRUTHS[spec.function]
    x = rng.uniform(-1, 1, (spec.resamples, spec.samples))
    unit_noise = rng.standard_normal((spec.resamples, spec.samples))
    grid, test_x = np.linspace(-1, 1, GRID), np.linspace(-1, 1, TEST)
    test_noise = rng.standard_normal(TEST)
    writer = TraceWriter(meta={"scene": spec.scene, "seed": spec.seed,
                               "function": spec.function, "formula": FORMULAS[spec.function],
                               "view": spec.view})
    for name, value in (("grid/x", grid), ("grid/truth", truth(grid)), ("test/x", test_x),
                        ("test/truth", truth(test_x)), ("train/x", x)):
        writer.static(name, value)
    fits = ([(p.degree, spec.noise if p.noise is None else p.noise) for p in spec.panels]
            if spec.view == "panels" else
            [(degree, spec.noise) for degree in range(spec.max_degree + 1)])
    with progress.task("fitting polynomials", total=len(fits)) as bar:
        for k, (degree, noise) in enumerate(fits):
            y = truth(x) + noise * unit_noise
            test_y = truth(test_x) + noise * test_noise
            train_pred = np.stack([polynomial.polyval(xs, polynomial.polyfit(xs, ys, degree))
                                   for xs, ys in zip(x, y, strict=True)])
            writer.static(f"fit{k}/y", y)
            writer.static(f"fit{k}/grid", fit_all(x, y, degree, grid))
            writer.static(f"fit{k}/test", fit_all(x, y, degree, test_x))
            writer.static(f"fit{k}/test_y", test_y)
            writer.static(f"fit{k}/train_mse", np.mean((train_pred - y) ** 2, axis=1))
            writer.meta[f"fit{k}"] = {"degree": degree, "noise": noise}
            bar.advance()
    writer.meta["fits"] = len(fits)
    return writer.freeze()
