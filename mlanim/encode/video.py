"""Frame writers: MP4 (H.264) and WebM (VP9) through PyAV, GIF and PNG through Pillow.

Every writer writes to the temporary path it is given; `mlanim.encode.write_outputs` renames the
files onto their real names only after every writer finished.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from mlanim.render.config import read_config

CODECS = {
    # H.264 in yuv420p plays in browsers, PowerPoint and Keynote; faststart lets the web stream it.
    "mp4": ("libx264", {"crf": "20", "preset": "medium", "movflags": "+faststart"}),
    "webm": ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "good", "cpu-used": "4",
                            "row-mt": "1"}),
}


class AvWriter:
    """Encodes RGB frames to mp4 or webm."""

    def __init__(self, path: Path, fmt: str, width: int, height: int, fps: int) -> None:
        codec, options = CODECS[fmt]
        container = {"movflags": options["movflags"]} if "movflags" in options else {}
        self._box = av.open(str(path), mode="w", format=fmt, options=container)
        self._stream = self._box.add_stream(codec, rate=Fraction(fps))
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {k: v for k, v in options.items() if k != "movflags"}

    def write(self, frame: np.ndarray) -> None:
        """Add one frame."""
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        for packet in self._stream.encode(video_frame):
            self._box.mux(packet)

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        for packet in self._stream.encode():
            self._box.mux(packet)
        self._box.close()

    def abort(self) -> None:
        """Stop without finishing (the temporary file is removed by the caller)."""
        self._box.close()


class GifWriter:
    """A looping GIF at a blog-friendly size and frame rate, with one palette fit to the content.

    Frames are subsampled to at most ``gif.max_fps`` and scaled to at most ``gif.max_width``; the
    palette is chosen from a sample of frames so colours do not flicker between frames.
    """

    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        settings = read_config("render")["gif"]
        self.path = path
        self.stride = max(1, round(fps / settings["max_fps"]))
        self.fps = fps
        scale = min(1.0, settings["max_width"] / width)
        self.size = (int(width * scale) // 2 * 2, int(height * scale) // 2 * 2)
        self.colors = min(int(settings["colors"]), TRANSPARENT)
        self._frames: list[Image.Image] = []
        self._seen = 0

    def write(self, frame: np.ndarray) -> None:
        """Keep every ``stride``-th frame, scaled."""
        if self._seen % self.stride == 0:
            image = Image.fromarray(frame)
            if image.size != self.size:
                image = image.resize(self.size, Image.Resampling.LANCZOS)
            self._frames.append(image)
        self._seen += 1

    def close(self) -> None:
        """Quantize to one shared palette and write the GIF.

        Pixels unchanged since the previous frame are written as transparent, so the static
        parts of a frame (titles, axes, settled regions) cost almost nothing after frame one.
        """
        if not self._frames:
            return
        palette = _shared_palette(self._frames, self.colors)
        indices = [np.asarray(f.quantize(palette=palette, dither=Image.Dither.NONE))
                   for f in self._frames]
        frames = [_paletted(indices[0], palette)]
        for previous, current in itertools.pairwise(indices):
            delta = np.where(current == previous, TRANSPARENT, current).astype(np.uint8)
            frames.append(_paletted(delta, palette))
        delays = _delays_ms(len(frames), self.stride / self.fps)
        frames[0].save(self.path, format="GIF", save_all=True, append_images=frames[1:],
                       duration=delays, loop=0, optimize=False, disposal=1,
                       transparency=TRANSPARENT)

    def abort(self) -> None:
        """Drop the frames."""
        self._frames = []


TRANSPARENT = 255  # palette index reserved for "unchanged since the previous frame"


def _paletted(indices: np.ndarray, palette: Image.Image) -> Image.Image:
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette.getpalette())
    return image


def _shared_palette(frames: list[Image.Image], colors: int) -> Image.Image:
    """A palette of ``colors`` colours fit to 16 frames spread over the video.

    Median cut serves large areas; small but important marks (a pulse, a marker dot) cover
    too few pixels to get an entry of their own and would take a wrong colour. So a quarter
    of the palette goes to the pixels the first fit reproduces worst.
    """
    picks = frames[:: max(1, len(frames) // 16)][:16]
    width, height = picks[0].size
    montage = Image.new("RGB", (width, height * len(picks)))
    for i, frame in enumerate(picks):
        montage.paste(frame, (0, i * height))
    montage = montage.resize((width // 2, height * len(picks) // 2), Image.Resampling.NEAREST)
    main = colors * 3 // 4
    first = montage.quantize(colors=main, method=Image.Quantize.MEDIANCUT)
    pixels = np.asarray(montage, dtype=np.int16)
    error = np.abs(pixels - np.asarray(first.convert("RGB"), dtype=np.int16)).sum(axis=-1)
    misfits = pixels[error > 48].astype(np.uint8)
    palette = first.getpalette()[: main * 3]
    if len(misfits):
        extra = Image.fromarray(misfits.reshape(-1, 1, 3)).quantize(
            colors=colors - main, method=Image.Quantize.MEDIANCUT)
        palette += extra.getpalette()[: (colors - main) * 3]
    image = Image.new("P", (1, 1))
    image.putpalette(palette)
    return image


def _delays_ms(count: int, seconds_per_frame: float) -> list[int]:
    """GIF delays are whole centiseconds: round the running total so the length stays exact."""
    ends = np.round(np.arange(1, count + 1) * seconds_per_frame * 100).astype(int)
    return (np.diff(np.concatenate([[0], ends])) * 10).tolist()


class PngWriter:
    """Keeps the last frame and writes it as PNG."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: np.ndarray | None = None

    def write(self, frame: np.ndarray) -> None:
        """Remember the frame."""
        self._last = frame

    def close(self) -> None:
        """Write the last frame."""
        if self._last is not None:
            Image.fromarray(self._last).save(self.path, format="PNG", optimize=True)

    def abort(self) -> None:
        """Forget the frame."""
        self._last = None
