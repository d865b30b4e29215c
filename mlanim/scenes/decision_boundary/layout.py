"""Where the panels and texts go, in figure fractions, for landscape and portrait frames.

Header rows are placed in pixels (type sizes are fixed in points), then converted, so that the
title, subtitle and counter never collide whatever the frame's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlanim.render.video import VideoSettings

Rect = tuple[float, float, float, float]  # left, bottom, width, height

TITLE_PT, SUBTITLE_PT, COUNTER_PT, CAPTION_PT = 20.0, 12.0, 24.0, 14.0


@dataclass(frozen=True)
class Layout:
    """Panel rectangles and text anchors for one frame shape."""

    field: Rect
    loss: Rect
    accuracy: Rect
    legend: tuple[float, float]
    legend_width: float
    title_y: float
    subtitle_y: float
    counter: tuple[float, float, str]  # x, y (top), horizontal alignment
    caption_y: float
    caption_chars: int
    narrow: bool


def _pixels(points: float, video: VideoSettings) -> float:
    return points * video.scale * 100 / 72  # 100 dpi


def layout(video: VideoSettings) -> Layout:
    """Field beside the curves when wide; field above the curves when square or tall."""
    w, h = video.width, video.height
    margin = 0.03 * min(w, h)
    title_y = 1 - margin / h
    subtitle_y = title_y - (_pixels(TITLE_PT, video) * 1.35) / h
    below_header = subtitle_y - (_pixels(SUBTITLE_PT, video) * 1.5) / h
    caption_chars = int(w * 0.92 / (_pixels(CAPTION_PT, video) * 0.55))
    if not video.portrait:
        top = below_header - 0.075
        side_h = top - 0.11
        side = side_h * h / w
        right = 0.05 + side + 0.08
        width = 0.965 - right
        return Layout(field=(0.05, 0.11, side, side_h),
                      loss=(right, 0.11 + side_h * 0.52, width, side_h * 0.36),
                      accuracy=(right, 0.14, width, side_h * 0.30),
                      legend=(right, top + 0.012), legend_width=width,
                      title_y=title_y, subtitle_y=subtitle_y,
                      counter=(0.965, title_y, "right"), caption_y=0.035,
                      caption_chars=caption_chars, narrow=width * w < 560 * video.scale)
    counter_y = below_header
    field_top = counter_y - (_pixels(COUNTER_PT, video) * 1.7) / h
    # room below the curves for two caption lines and the epoch axis labels
    curves_bottom = (margin + _pixels(CAPTION_PT, video) * 2.8 + 48 * video.scale) / h
    legend_room = (_pixels(12, video) * 2.2 + 30 * video.scale) / h
    curve_title_room = _pixels(12, video) * 2.2 / h
    min_curves = 0.13 * 720 / h
    side_h = min(0.9 * w / h, field_top - curves_bottom - min_curves - legend_room
                 - curve_title_room)
    side_w = side_h * h / w
    field_bottom = field_top - side_h
    legend_y = field_bottom - legend_room / 2
    curves_top = field_bottom - legend_room - curve_title_room
    curves_height = curves_top - curves_bottom
    return Layout(field=((1 - side_w) / 2, field_bottom, side_w, side_h),
                  loss=(0.10, curves_bottom, 0.36, curves_height),
                  accuracy=(0.60, curves_bottom, 0.36, curves_height),
                  legend=(0.5, legend_y), legend_width=0.9,
                  title_y=title_y, subtitle_y=subtitle_y,
                  counter=(0.5, counter_y, "center"), caption_y=margin / h,
                  caption_chars=caption_chars, narrow=True)
