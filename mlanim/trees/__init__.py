"""Decision trees, forests and boosting as scikit-learn (or xgboost, lightgbm) fits them: what
the tree kinds draw is read from the fitted estimators, or computed as they compute it
(`splits`).

``mlanim.trees.record(fitted, X, y, X_test, y_test)`` records a model you already fitted.
"""

from __future__ import annotations

from typing import Any


def record(fitted: Any, X: Any, y: Any, X_test: Any = None, y_test: Any = None,  # noqa: N803
           feature_names: list[str] | None = None, path: Any = None,
           name: str = "your data") -> Any:
    """Record a fitted tree model with its rows: see `mlanim.trees.recording.record`."""
    from mlanim.trees.recording import record as record_run

    return record_run(fitted, X, y, X_test, y_test, feature_names, path, name)
