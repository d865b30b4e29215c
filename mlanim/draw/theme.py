"""Colour themes, read from ``configs/themes.yaml`` when a render starts (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.draw.config import read_config


@dataclass(frozen=True)
class Theme:
    """Colours (hex strings) and the font family for one theme."""

    name: str
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    accent: str
    train: str
    val: str
    positive: str
    negative: str
    forward: str  # a forward pass (pulses going out)
    backward: str  # a backward pass: distinct from both signs
    classes: tuple[str, ...]
    font: str

    def class_color(self, index: int) -> str:
        """The colour of class ``index`` (the palette repeats past its length)."""
        return self.classes[index % len(self.classes)]


def load_theme(name: str) -> Theme:
    """The theme called ``name`` (dark, light or paper)."""
    values = dict(read_config("themes")[name])
    values["classes"] = tuple(values["classes"])
    return Theme(name=name, **values)


def rgb(color: str) -> tuple[float, float, float]:
    """``"#rrggbb"`` as floats in [0, 1]."""
    value = color.lstrip("#")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def mix(color: str, other: str, amount: float) -> str:
    """``color`` moved ``amount`` (0..1) of the way towards ``other``, as ``"#rrggbb"``: a
    faint stroke is its colour mixed into the background."""
    a, b = np.array(rgb(color)), np.array(rgb(other))
    r, g, bl = (round(float(v) * 255) for v in a + (b - a) * amount)
    return f"#{r:02x}{g:02x}{bl:02x}"
