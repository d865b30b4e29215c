"""Diagnoses read off the recorded loss curves."""

from __future__ import annotations

import numpy as np


def overfitting_onset(
    train_loss: np.ndarray, val_loss: np.ndarray, patience: int = 3
) -> int | None:
    """First snapshot after which validation loss rises for ``patience`` snapshots in a row
    while training loss keeps falling; None when the curves show no overfitting."""
    if len(val_loss) < patience + 2:
        return None
    best = int(np.argmin(val_loss))
    after = slice(best, best + patience + 1)
    rising = np.all(np.diff(val_loss[after]) > 0) and len(val_loss[after]) == patience + 1
    falling = train_loss[min(best + patience, len(train_loss) - 1)] < train_loss[best]
    return best if rising and falling else None
