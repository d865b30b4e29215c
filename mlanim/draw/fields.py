"""Class-probability fields as colours: class colours mixed by probability, faded where the
classifier is unsure."""

from __future__ import annotations

import numpy as np

from mlanim.draw.theme import Theme, rgb


def field_colors(probs: np.ndarray, theme: Theme) -> np.ndarray:
    """RGB (res, res, 3) floats: the class colours mixed by probability, faded by uncertainty."""
    classes = probs.shape[-1]
    palette = np.array([rgb(theme.class_color(k)) for k in range(classes)], dtype=np.float32)
    mixed = probs @ palette
    confidence = (probs.max(axis=-1, keepdims=True) - 1 / classes) / (1 - 1 / classes)
    alpha = 0.08 + 0.34 * np.clip(confidence, 0, 1)
    background = np.array(rgb(theme.panel), dtype=np.float32)
    return background * (1 - alpha) + mixed * alpha
