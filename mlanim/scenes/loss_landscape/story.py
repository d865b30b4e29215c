"""The recorded landscape grid, the projected path and the loss curves, indexed by frame."""


from __future__ import annotations

import numpy as np

from mlanim.draw.frame import Frame
from mlanim.draw.surface_view import (
    ContourMap,
    grid_height,
    log_height,
)
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import SnapshotTimeline, interpolate
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title
from mlanim.trace import Trace


class LandscapeStory:
    """The landscape grid, the projected path and the loss curves, indexed by frame."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.trace, self.video, self.theme = spec, trace, video, theme
        self.a, self.b = trace.static("landscape/a"), trace.static("landscape/b")
        self.values = trace.static("landscape/values").astype(np.float64)
        self.path = trace.static("landscape/path").astype(np.float64)
        self.height = log_height(self.values, float(np.nanmin(self.values)))
        self.contours = ContourMap.of(self.height, self.a, self.b, theme)
        self.height_at = grid_height(self.height, self.a, self.b)
        loss = trace.channel("metrics/train_loss")
        self.epochs = loss.epochs
        self.train_loss = loss.values.astype(np.float64)
        self.val_loss = trace.values("metrics/val_loss").astype(np.float64) \
            if "metrics/val_loss" in trace else None
        self.timeline = SnapshotTimeline(len(self.path), video.count, video.fps)
        self.count = video.count
        info = trace.meta["landscape"]
        self.x_range = (float(self.a[0]), float(self.a[-1]))
        self.y_range = (float(self.b[0]), float(self.b[-1]))
        data, model = trace.meta["dataset"], trace.meta["model"]
        self.title = story_title(spec.title, f"The loss landscape of an MLP on {data['name']}",
                                 trace)
        if info["directions"] == "pca":
            share = sum(info["explained"])
            kind = f"PCA of the weight trajectory ({share:.0%} of its variance)"
        else:
            kind = "two filter-normalised random directions"
        self.subtitle = (f"MLP {'-'.join(map(str, model['widths']))} · {model['parameters']:,} "
                         f"weights · slice along {kind}")
        self.center_loss = info["center_loss"]
        total = f"{float(self.epochs[-1]):g}"
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"epoch {total} / {total}")

    def path_until(self, frame: int) -> tuple[np.ndarray, float]:
        """The path up to ``frame`` (ending at an interpolated point) and the epoch shown."""
        moment = self.timeline.at(frame)
        head = interpolate(self.path, moment).astype(np.float64)
        done = self.path[: moment.index + 1]
        return np.vstack([done, head]), float(interpolate(self.epochs, moment))
