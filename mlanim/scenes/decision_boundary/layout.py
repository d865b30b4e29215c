"""Where the panels go, in figure fractions, for landscape and portrait frames."""

from __future__ import annotations

from dataclasses import dataclass

from mlanim.render.video import VideoSettings

Rect = tuple[float, float, float, float]  # left, bottom, width, height


@dataclass(frozen=True)
class Layout:
    """Panel rectangles and text anchors for one frame shape."""

    field: Rect
    loss: Rect
    accuracy: Rect
    legend: tuple[float, float]
    title_y: float
    caption_y: float


def layout(video: VideoSettings) -> Layout:
    """Field beside the curves when wide; field above the curves when square or tall."""
    aspect = video.width / video.height
    if not video.portrait:
        side = 0.70 / aspect  # square field, 70% of the height
        right = 0.05 + side + 0.08
        width = 0.965 - right
        return Layout(field=(0.05, 0.11, side, 0.70),
                      loss=(right, 0.50, width, 0.26),
                      accuracy=(right, 0.14, width, 0.22),
                      legend=(right, 0.815), title_y=0.95, caption_y=0.035)
    top_height = 0.50 if aspect >= 0.9 else 0.42
    side_w = top_height * (1 / aspect)
    return Layout(field=((1 - side_w) / 2, 0.40, side_w, top_height),
                  loss=(0.10, 0.12, 0.36, 0.17),
                  accuracy=(0.60, 0.12, 0.36, 0.17),
                  legend=(0.5, 0.355), title_y=0.965, caption_y=0.03)
