"""The ``bias_variance`` spec: a smooth function, how its noisy training sets are drawn, and
either four panels of fixed degrees or a sweep over the degree."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlanim.spec.sections import PositiveInt, SceneSpec, Section

Function = Literal["sine", "cubic", "runge"]


class Panel(Section):
    """One panel: a polynomial degree, and optionally its own noise and label."""

    degree: int = Field(ge=0, le=30, description="polynomial degree")
    noise: float | None = Field(None, ge=0, le=10, description="this panel's noise std "
                                "(default: the spec's)")
    label: str | None = Field(None, description="the panel's heading")


DEFAULT_PANELS = [Panel(degree=3, label="just right"), Panel(degree=12, label="overfit"),
                  Panel(degree=1, label="underfit"),
                  Panel(degree=6, noise=1.0, label="heavy noise")]


class BiasVarianceSpec(SceneSpec):
    """Polynomial least-squares fits to noisy samples of a smooth function, on many resampled
    training sets: bias (the fits' mean misses the function) against variance (the fits
    scatter around their mean)."""

    scene: Literal["bias_variance"] = "bias_variance"
    function: Function = Field("sine", description="the truth on [-1, 1]: sine sin(pi x), "
                               "cubic x^3 - x/2, runge 1 / (1 + 25 x^2)")
    samples: PositiveInt = Field(24, ge=2, le=10_000, description="training points per set")
    noise: float = Field(0.3, ge=0, le=10, description="std of the noise added to the targets")
    resamples: PositiveInt = Field(20, ge=2, le=500, description="training sets drawn (their "
                                   "fits' spread is the variance)")
    view: Literal["panels", "sweep"] = Field("panels", description="panels: four fixed "
                                             "degrees; sweep: degree 0..max_degree with the "
                                             "test error's bias and variance parts")
    panels: list[Panel] = Field(DEFAULT_PANELS, min_length=1, max_length=6)
    max_degree: int = Field(10, ge=1, le=30, description="sweep: the highest degree")
