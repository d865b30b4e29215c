"""Plotly figure parts shared by the page's painters: CSS colours, per-disc colours as a
palette, hover texts (as templates and typed numbers where they read back exactly), a pool
that writes each distinct part once, and JSON with numpy arrays as typed arrays."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlanim.draw.hover_text import Templated, templated
from mlanim.draw.theme import rgb


def color(value: str | np.ndarray, alpha: float = 1.0) -> str:
    """A CSS colour from ``"#rrggbb"`` or RGB floats, with ``alpha``."""
    r, g, b = (np.asarray(rgb(value) if isinstance(value, str) else value) * 255).round()
    return f"rgba({int(r)},{int(g)},{int(b)},{alpha:g})"


PALETTE_MOST = 64
"""Distinct colours a set of discs may have to travel as numbers into a palette."""


def palette_colors(colors: np.ndarray) -> dict[str, Any]:
    """Per-disc colours for plotly: a few distinct ones (classes) as an index into a palette
    of exact colours (numbers, not one string a disc), else one CSS colour a disc."""
    rounded = np.round(colors, 4)
    palette, index = np.unique(rounded, axis=0, return_inverse=True)
    if len(palette) > PALETTE_MOST:
        return {"color": [color(c) for c in colors]}
    if len(palette) == 1:
        return {"color": color(palette[0])}
    last = len(palette) - 1
    scale = [[k / last, color(c)] for k, c in enumerate(palette)]
    return {"color": index.ravel().astype(np.int32), "colorscale": scale, "cmin": 0,
            "cmax": last, "showscale": False}


class Pool:
    """Each distinct trace, annotation or shape of a page written once (as JSON), frames
    naming them by number: what stays the same from frame to frame (a surface, an image, a
    chart's axes) is not repeated."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._known: dict[str, int] = {}

    def ids(self, items: Sequence[dict]) -> list[int]:
        """The numbers of ``items`` in the pool, adding the new ones."""
        found = []
        for item in items:
            text = encoded(item)
            if text not in self._known:
                self._known[text] = len(self.items)
                self.items.append(text)
            found.append(self._known[text])
        return found


def with_hover(trace: dict, hover: Sequence[str] | None,
               found: Templated | None = None) -> dict:
    """``trace`` showing ``hover`` at each of its points: as one template reading typed
    numbers where the texts have one (`hover_text`; ``found`` when already read), else as
    the texts, escaped."""
    if hover is None:
        return trace
    trace.pop("hoverinfo", None)
    if found is None and len(hover) > 1:
        found = templated(hover)
    if found is not None and len(found.templates) == 1:
        return {**trace, "customdata": found.numbers,
                "hovertemplate": found.templates[0] + "<extra></extra>"}
    return {**trace, "text": [html.escape(text) for text in hover],
            "hovertemplate": "%{text}<extra></extra>"}


def encoded(data: Any) -> str:
    """``data`` as JSON with numpy arrays as typed arrays (``{"dtype", "bdata"}``; floats as
    float32), safe to place inside a ``<script>`` element."""
    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            # positions in a frame of a few thousand pixels: float32 is exact to far below one
            kind = {"f": "f4", "i": "i4", "u": "u1"}[array.dtype.kind]
            array = array.astype({"f4": np.float32, "i4": np.int32, "u1": np.uint8}[kind])
            typed = {"dtype": kind, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
            if array.ndim > 1:
                typed["shape"] = ",".join(str(n) for n in array.shape)
            return typed
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    text = json.dumps(plain(data), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
