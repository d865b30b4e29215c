"""The rows each tree of a fitted random forest was grown on: its bootstrap sample, drawn again
from the tree's own random state as scikit-learn draws it (without sample weights), so that a
picture can show what each tree saw and grey its out-of-bag rows."""

from __future__ import annotations

import numpy as np


def bootstrap_counts(forest: object, member: int, rows: int) -> np.ndarray:
    """How many times each of the ``rows`` training rows was drawn for tree ``member`` of a
    fitted ``RandomForest*`` (0: out of bag); all ones when the forest did not bootstrap."""
    estimators = getattr(forest, "estimators_", None)
    if estimators is None:
        raise TypeError(f"{type(forest).__name__} is not a fitted scikit-learn forest")
    if not getattr(forest, "bootstrap", False):
        return np.ones(rows, np.int64)
    seed = estimators[member].random_state
    drawn = np.random.RandomState(seed).randint(0, rows, _bootstrap_size(forest, rows))
    return np.bincount(drawn, minlength=rows)


def _bootstrap_size(forest: object, rows: int) -> int:
    """Rows drawn for each tree: ``max_samples`` (a count or a share of the rows), else all."""
    wanted = getattr(forest, "max_samples", None)
    if wanted is None:
        return rows
    if isinstance(wanted, int | np.integer):
        return int(wanted)
    return max(int(wanted * rows), 1)
