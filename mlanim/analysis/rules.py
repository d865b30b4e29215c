"""Every threshold behind a sentence that judges a run, in one place.

A kind never decides on its own that a run is "lowest", "overfits", "diverged", "vanishing",
"exploding" or "dead": it asks the claim functions in `mlanim.analysis.claims`,
`mlanim.analysis.curves` and `mlanim.analysis.gradients`, whose rules read these numbers. The
README's "How mlanim decides what to say" quotes them; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """The thresholds of every claim (see each field's comment for the claim it serves)."""

    tie_relative: float = 1e-6
    """lowest: results closer than this (relative to the larger) or than their noise tie."""

    diverge_rise: float = 100.0
    """diverged: the loss rose above this many times its first recorded value (two decades)
    at some point after the start, ..."""
    diverge_end: float = 2.0
    """... or ended above this many times its first value, or stopped being finite."""

    log_axis_span: float = 100.0
    """A loss axis turns logarithmic when its positive values span more than this (two
    decades): a linear axis would flatten everything after a spike."""

    overfit_patience: int = 3
    """overfits: validation loss stays above its minimum (by more than the noise) for this many
    snapshots, up to the end, ..."""
    overfit_floor: float = 0.02
    """... and by more than this share of the minimum, while training loss keeps falling."""

    vanishing_ratio: float = 10.0
    """vanishing: along a chain of layers of one kind, the last layer's gradient (per weight)
    is more than this many times the first's ..."""
    vanishing_share: float = 0.5
    """... on more than this share of the steps, ..."""
    vanishing_chain: int = 3
    """... in a chain of at least this many layers (same module type, same name but for its
    numbers: the hidden layers of an MLP, one projection across a transformer's blocks), and
    falls at most of the chain's links."""

    exploding_norm: float = 100.0
    """exploding: a layer's gradient norm is not finite, or rises above this ..."""
    exploding_growth: float = 10.0
    """... and above this many times its own median over the run's first steps."""
    early_steps: float = 0.05
    """The share of the run (at least one step) that sets a layer's own early level."""

    separated_share: float = 0.9
    """separated: more than this share of the points in a 2-D view have a majority of ..."""
    separated_neighbours: int = 5
    """... this many nearest points in their own class."""

    dead_share: float = 0.5
    """dead units: more than this share of a layer's units received no gradient at all
    (their weight gradient was exactly zero) ..."""
    dead_window: int = 20
    """... on every one of the last this many recorded steps (fewer in a shorter run)."""


RULES = Rules()
"""The rules in force."""
