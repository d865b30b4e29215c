"""Diagnoses read off recorded loss curves: where early stopping would stop, and whether the
run really overfits.

Overfitting is claimed only when it is real: after its minimum, validation loss rises above
that minimum by more than the curves' noise (and ``overfit_floor`` of it) and stays there for
``overfit_patience`` snapshots up to the end, while training loss keeps falling
(`mlanim.analysis.rules`). A one-snapshot spike is noise, not overfitting.
"""

from __future__ import annotations

import numpy as np

from mlanim.analysis.rules import RULES


def early_stop(val_loss: np.ndarray) -> int:
    """The snapshot of lowest validation loss: where early stopping would stop."""
    values = np.asarray(val_loss, dtype=float)
    return int(np.nanargmin(values))


def curve_noise(values: np.ndarray) -> float:
    """How much a curve jitters from one snapshot to the next (median absolute step)."""
    steps = np.abs(np.diff(np.asarray(values, dtype=float)))
    steps = steps[np.isfinite(steps)]
    return float(np.median(steps)) if len(steps) else 0.0


def overfitting_onset(train_loss: np.ndarray, val_loss: np.ndarray, noise: float | None = None,
                      patience: int = RULES.overfit_patience) -> int | None:
    """The first snapshot of the rise that lasts to the end, when the run overfits; else None.

    ``noise`` is what a rise must exceed (default: the validation curve's own jitter; for
    several runs, their spread at the minimum)."""
    train, val = np.asarray(train_loss, dtype=float), np.asarray(val_loss, dtype=float)
    if len(val) < patience + 2 or not np.isfinite(val).all():
        return None
    best = early_stop(val)
    noise = curve_noise(val) if noise is None else noise
    margin = max(noise, RULES.overfit_floor * abs(val[best]))
    above = val > val[best] + margin
    onset = len(val)
    while onset > best + 1 and above[onset - 1]:
        onset -= 1
    lasting = len(val) - onset >= patience
    train_falls = train[-1] < train[best]
    return onset if lasting and train_falls else None
