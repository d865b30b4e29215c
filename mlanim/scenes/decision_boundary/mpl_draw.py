"""The decision-boundary scene drawn with matplotlib (fast, GIF-friendly, vector stills)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from PIL import Image

from mlanim.render.mpl import BlitCanvas, new_figure, points, style_axes, transparent_layer
from mlanim.render.theme import Theme
from mlanim.render.video import VideoSettings
from mlanim.scenes.decision_boundary.layout import (
    CAPTION_PT,
    COUNTER_PT,
    SUBTITLE_PT,
    TITLE_PT,
    layout,
)
from mlanim.scenes.decision_boundary.story import Story, field_colors, margins


class MplBoundary:
    """Random-access frames of the scene; artists are updated, never rebuilt."""

    def __init__(self, story: Story, video: VideoSettings, theme: Theme) -> None:
        self.story, self.video, self.theme = story, video, theme
        self.fig = new_figure(video, theme)
        self.place = layout(video)
        self._texts()
        self._field_panel()
        self._curve_panels()
        self._contours: list = []
        # Frames paint the field straight into the pixel buffer and lay the points over it as
        # one pre-rendered layer; the artists themselves appear only in vector figures.
        for artist in [self.image, *self.points]:
            artist.set_visible(False)
        curves = [a for _, line, head in self.curve_lines for a in (line, head)]
        texts = [self.counter, self.caption, *(title for _, _, title in self.curve_titles)]
        self.canvas = BlitCanvas(self.fig, curves, texts)
        self._field_box = self.canvas.pixel_box(self.field_ax)
        self.count = video.count

    def _size(self, pt: float) -> float:
        return points(self.video, pt)

    def _texts(self) -> None:
        theme, fig, place = self.theme, self.fig, self.place
        wide = not self.video.portrait
        x0, align = (0.05, "left") if wide else (0.5, "center")
        fig.text(x0, place.title_y, self.story.title, color=theme.text, ha=align, va="top",
                 fontsize=self._size(TITLE_PT), fontweight="bold")
        fig.text(x0, place.subtitle_y, self.story.subtitle, color=theme.muted, ha=align,
                 va="top", fontsize=self._size(SUBTITLE_PT))
        x, y, ha = place.counter
        self.counter = fig.text(x, y, "", color=theme.accent, ha=ha, va="top",
                                fontsize=self._size(COUNTER_PT), fontweight="bold")
        self.caption = fig.text(0.5, place.caption_y, "", color=theme.text, ha="center",
                                va="bottom", fontsize=self._size(CAPTION_PT),
                                multialignment="center", linespacing=1.3)
        self.caption.set_visible(self.video.captions)

    def _field_panel(self) -> None:
        story, theme = self.story, self.theme
        ax = self.field_ax = self.fig.add_axes(self.place.field)
        style_axes(ax, theme, self.video)
        ax.grid(False)
        extent = (story.grid_x[0], story.grid_x[-1], story.grid_y[0], story.grid_y[-1])
        blank = np.zeros((story.res, story.res, 3), dtype=np.float32)
        self.image = ax.imshow(blank, origin="lower", extent=extent, interpolation="bilinear",
                               aspect="auto", zorder=1)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel(story.feature_names[0])
        ax.set_ylabel(story.feature_names[1])
        ax.set_xticks([])
        ax.set_yticks([])
        self.points = self._draw_points(ax)
        self.points_layer = transparent_layer(self.video, self.place.field, ax.get_xlim(),
                                              ax.get_ylim(), self._draw_points)
        handles = [Line2D([], [], marker="o", linestyle="", color=theme.class_color(k),
                          markersize=self._size(8), label=name)
                   for k, name in enumerate(story.class_names)]
        if len(self.points) > 1:
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none",
                                  markeredgecolor=theme.muted, markersize=self._size(8),
                                  label="held out"))
        x, y = self.place.legend
        self.fig.legend(handles=handles, loc="lower left" if not self.video.portrait
                        else "center", bbox_to_anchor=(x, y), ncol=self._legend_columns(handles),
                        frameon=False, fontsize=self._size(12), labelcolor=theme.text,
                        handletextpad=0.3, columnspacing=1.2, borderaxespad=0, borderpad=0)

    def _legend_columns(self, handles: list) -> int:
        """As many entries per row as fit the legend's width."""
        char = self._size(12) * 100 / 72 * 0.6
        widest = max(len(h.get_label()) for h in handles) * char + 3.2 * char
        fit = int(self.place.legend_width * self.video.width // widest)
        return max(1, min(len(handles), fit))

    def _draw_points(self, ax) -> list:
        """Training points as dots, held-out points as rings, coloured by true class."""
        story, theme = self.story, self.theme
        size = self._size(34) * (300 / max(300, len(story.x_train))) ** 0.5
        colors = [theme.class_color(int(c)) for c in story.y_train]
        drawn = [ax.scatter(*story.x_train.T, c=colors, s=size, zorder=3,
                            edgecolors=theme.background, linewidths=self._size(0.6))]
        if story.spec.show.validation and len(story.x_val):
            ring = [theme.class_color(int(c)) for c in story.y_val]
            drawn.append(ax.scatter(*story.x_val.T, facecolors="none", edgecolors=ring,
                                    s=size * 1.1, linewidths=self._size(1.4), zorder=3))
        return drawn

    def _curve_panels(self) -> None:
        story, theme = self.story, self.theme
        self.curve_lines: list[tuple] = []
        panels = ((self.place.loss, story.loss, "loss", None),
                  (self.place.accuracy, story.accuracy, "accuracy", (0.0, 1.02)))
        self.curve_titles = []
        for rect, curves, name, ylim in panels:
            if not curves:
                continue
            ax = self.fig.add_axes(rect)
            style_axes(ax, theme, self.video)
            ax.set_xlim(0, story.total_epochs)
            top = max(float(np.nanmax(c.values)) for c in curves.values()) * 1.08
            ax.set_ylim(*(ylim or (0, top if np.isfinite(top) and top > 0 else 1)))
            ax.set_xlabel("epoch")
            if name == "accuracy":
                ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
            for label, curve in curves.items():
                color = theme.train if label == "train" else theme.val
                style = "-" if label == "train" else (0, (4, 2))
                (line,) = ax.plot([], [], color=color, linestyle=style,
                                  linewidth=self._size(2.2), zorder=3)
                (head,) = ax.plot([], [], "o", color=color, markersize=self._size(6), zorder=4)
                self.curve_lines.append((curve, line, head))
            title = ax.text(0.0, 1.04, "", transform=ax.transAxes, color=theme.text,
                            fontsize=self._size(11 if self.place.narrow else 12.5),
                            ha="left", va="bottom")
            self.curve_titles.append((name, curves, title))

    def frame(self, index: int) -> np.ndarray:
        """Draw frame ``index``."""
        moment = self.story.moment(index)
        self.canvas.restore()
        self._update(moment)
        self._paint_field()
        return self.canvas.capture(overlays=((self.points_layer, self._field_box),))

    def _paint_field(self) -> None:
        rows, cols = self._field_box
        size = (cols.stop - cols.start, rows.stop - rows.start)
        colors = np.clip(self.image.get_array() * 255, 0, 255).astype(np.uint8)[::-1]
        image = Image.fromarray(colors).resize(size, Image.Resampling.BILINEAR)
        self.canvas.buffer()[rows, cols, :3] = np.asarray(image)

    def _update(self, moment) -> None:
        story, theme = self.story, self.theme
        probs = story.field(moment)
        self.image.set_data(field_colors(probs, theme))
        for contour in self._contours:
            self.canvas.remove(contour)
        self._contours = []
        for margin in margins(probs):
            if margin.min() < 0 < margin.max():
                contour = self.field_ax.contour(story.grid_x, story.grid_y, margin, levels=[0.0],
                                                colors=[theme.text], zorder=2,
                                                linewidths=self._size(1.6))
                self.canvas.add(contour)
                self._contours.append(contour)
        for curve, line, head in self.curve_lines:
            x, y = curve.until(moment)
            line.set_data(x, y)
            head.set_data(x[-1:], y[-1:])
        for name, curves, title in self.curve_titles:
            fmt = "{:.0%}" if name == "accuracy" else "{:.3f}"
            values = "   ".join(f"{_short(label, self.place.narrow)} "
                                f"{fmt.format(c.shown(moment))}" for label, c in curves.items())
            title.set_text(f"{name}:  {values}")
        self.counter.set_text(story.counter(moment))
        self.caption.set_text(wrap(story.caption(moment), self.place.caption_chars))

    def save_final(self, path: Path) -> None:
        """The last frame's state as a vector (or raster) figure, by ``path``'s suffix."""
        self._update(self.story.moment(self.count - 1))
        for artist in [self.image, *self.points]:
            artist.set_visible(True)
        for artist in [*self.canvas.animated, *self.canvas.sprites]:
            artist.set_animated(False)
        self.fig.savefig(path, format=path.suffix.lstrip(".") or "svg",
                         facecolor=self.fig.get_facecolor())

    def close(self) -> None:
        """Free the figure."""
        self.canvas.close()


def _short(label: str, narrow: bool) -> str:
    return "val" if narrow and label == "validation" else label


def wrap(text: str, width: int) -> str:
    """Break a caption into centred lines that fit the frame."""
    return "\n".join(textwrap.wrap(text, max(20, width)))
