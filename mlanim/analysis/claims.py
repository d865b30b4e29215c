"""Claims about a whole run or a race between runs, each from one stated rule whose thresholds
live in `mlanim.analysis.rules`: which result is lowest (or a tie), whether a loss diverged,
and whether a loss axis must be logarithmic to show it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.analysis.rules import RULES, Rules
from mlanim.numbers import format_number
from mlanim.trace import Trace


@dataclass(frozen=True)
class Claim:
    """One judgement: whether it holds, and a sentence saying why in numbers."""

    name: str
    fired: bool
    text: str


def tied(a: float, b: float, noise: float = 0.0, rules: Rules = RULES) -> bool:
    """Two results tie when they differ by no more than ``noise`` or than ``tie_relative`` of
    the larger magnitude."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= max(noise, rules.tie_relative * max(abs(a), abs(b)))


def lowest(values: Sequence[float], noise: float = 0.0, rules: Rules = RULES) -> list[int]:
    """The indices that share the lowest value: the minimum and every value that ties with it
    (NaN never wins; all NaN: none)."""
    finite = [(v, i) for i, v in enumerate(values) if not math.isnan(v)]
    if not finite:
        return []
    best = min(finite)[0]
    return [i for v, i in finite if tied(v, best, noise, rules)]


def lowest_claim(labels: Sequence[str], values: Sequence[float], what: str = "loss",
                 noise: float = 0.0, rules: Rules = RULES) -> Claim:
    """``Adam is lowest: loss 0.0304``, or ``SGD + momentum 0.9 and Adam tie for lowest:
    loss 0.0304`` when the best values tie (rule: `tied`)."""
    winners = lowest(values, noise, rules)
    if not winners:
        return Claim("lowest", False, f"no {what} is finite")
    shown = format_number(values[winners[0]])
    if len(winners) == 1:
        return Claim("lowest", True, f"{labels[winners[0]]} is lowest: {what} {shown}")
    if len(winners) == len(labels) and len(labels) > 2:
        return Claim("lowest", False, f"all tie: {what} {shown}")
    names = ", ".join(labels[i] for i in winners[:-1]) + f" and {labels[winners[-1]]}"
    return Claim("lowest", False, f"{names} tie for lowest: {what} {shown}")


@dataclass(frozen=True)
class Divergence:
    """Whether a loss diverged, the index it was first seen at, and a sentence in numbers."""

    fired: bool
    index: int | None
    text: str


def diverged(losses: Sequence[float] | np.ndarray, rules: Rules = RULES) -> Divergence:
    """Diverged: the loss stopped being finite, or rose above ``diverge_rise`` times its
    first recorded value, or ended above ``diverge_end`` times it. ``index`` is the first
    point that broke the rule (for the end rule, the last point)."""
    values = np.asarray(losses, dtype=np.float64).ravel()
    if len(values) < 2:
        return Divergence(False, None, "too few points to judge")
    start = values[0]
    bad = ~np.isfinite(values)
    if bad.any():
        at = int(np.argmax(bad))
        if at == 0:
            return Divergence(True, 0, "the loss was not finite from the start")
        return Divergence(True, at, f"the loss became {format_number(values[at])} (from "
                                    f"{format_number(start)})")
    if start <= 0:
        return Divergence(False, None, "the loss starts at or below 0: no ratio to judge")
    over = values > rules.diverge_rise * start
    if over[1:].any():
        at = 1 + int(np.argmax(over[1:]))
        peak = int(np.argmax(values))
        return Divergence(True, at, f"the loss rose from {format_number(start)} to "
                                    f"{format_number(values[peak])}")
    if values[-1] > rules.diverge_end * start:
        return Divergence(True, len(values) - 1,
                          f"the loss ended at {format_number(values[-1])}, above the "
                          f"{format_number(start)} it started at")
    return Divergence(False, None, f"the loss went from {format_number(start)} to "
                                   f"{format_number(values[-1])}")


def training_loss(trace: Trace) -> np.ndarray | None:
    """The run's recorded training loss at its snapshots, for the divergence rule: the mean
    over seeds of ``runs/train_loss``, else ``metrics/train_loss``, else the per-step
    ``flow/loss``. None for a trace with no training loss (a race of optimizers, a fit)."""
    if "runs/train_loss" in trace:
        return np.asarray(trace.values("runs/train_loss"), np.float64).reshape(
            len(trace.values("runs/train_loss")), -1).mean(axis=1)
    if "metrics/train_loss" in trace:
        return np.asarray(trace.values("metrics/train_loss"), np.float64).ravel()
    if "flow/loss" in trace:
        losses = np.asarray(trace.static("flow/loss"), np.float64)
        return losses[~np.isnan(losses)]  # NaN marks a step whose loss was not reported
    return None


def run_diverged(trace: Trace, rules: Rules = RULES) -> Divergence:
    """`diverged` on the run's `training_loss` (not fired when there is none); a run whose
    training stopped at a loss that was not finite (``diverged_at_epoch`` in its metadata,
    ``train.on_divergence: stop``) diverged."""
    stopped = trace.meta.get("diverged_at_epoch")
    if isinstance(stopped, int | float) and not isinstance(stopped, bool):
        return Divergence(True, None, f"the loss stopped being finite at epoch {stopped:.3g}")
    losses = training_loss(trace)
    if losses is None:
        return Divergence(False, None, "no training loss recorded")
    return diverged(losses, rules)


def separated(layout: np.ndarray, labels: np.ndarray, rules: Rules = RULES) -> Claim:
    """Separated: in the 2-D ``layout`` (points, 2), more than ``separated_share`` of the
    points have a majority of their ``separated_neighbours`` nearest points in their own
    class: each class has its own region of the picture."""
    points = np.asarray(layout, np.float64)
    labels = np.asarray(labels)
    k = min(rules.separated_neighbours, len(points) - 1)
    if k < 1 or not np.isfinite(points).all():
        return Claim("separated", False, "too few points to judge")
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)[:, :k]
    share = float(np.mean((labels[nearest] == labels[:, None]).mean(axis=1) > 0.5))
    fired = share > rules.separated_share
    return Claim("separated", fired, f"{share:.0%} of points sit among their own class")


def needs_log_axis(*curves: Sequence[float] | np.ndarray, rules: Rules = RULES) -> bool:
    """A loss axis is logarithmic when its finite positive values span more than
    ``log_axis_span`` (and none is zero or negative, which a log axis cannot place)."""
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in curves]) \
        if curves else np.zeros(0)
    values = values[np.isfinite(values)]
    if len(values) == 0 or values.min() <= 0:
        return False
    return bool(values.max() / values.min() > rules.log_axis_span)
