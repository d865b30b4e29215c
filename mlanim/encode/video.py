"""Frame writers: MP4 (H.264) and WebM (VP9) through PyAV, GIF and PNG through Pillow.

Every writer writes to the temporary path it is given; `mlanim.encode.write_outputs` renames the
files onto their real names only after every writer finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import GifImagePlugin, Image

from mlanim.spec.sections import GifSpec

CODECS = {
    # H.264 in yuv420p plays in browsers, PowerPoint and Keynote; faststart lets the web stream it.
    # One encoder thread: x264's own threads (1.5 a core) made the bytes depend on the machine's
    # cores, and, rarely, on how its threads were scheduled (2 encodes in 160 differed with the
    # machine overloaded). One thread beside the drawing thread took less CPU a frame (480p:
    # 7.9 ms against 8.4; 1080p: 21 against 34); renders took about as long (benchmarks README).
    "mp4": ("libx264", {"crf": "20", "preset": "medium", "threads": "1",
                        "movflags": "+faststart"}),
    "webm": ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "good", "cpu-used": "4",
                            "row-mt": "1"}),
}
BYTES_PER_PIXEL = {"rgb24": 3, "rgba": 4}
LECTURE_SHORT_SIDE = 1080  # -qh and up, in every aspect
# From 1080p up, x264's `medium` took 30 ms a frame here, 1.8 s for each second of 60 fps video
# before anything was drawn. `veryfast` tuned for animation (flat colour, sharp edges) takes
# 14 ms, and its files came out 13% smaller at 0.6 dB less PSNR against the drawn frames, where
# yuv420p's chroma alone costs the rest down to 37.2 dB (benchmarks/lecture_speed.py --presets).
LECTURE_OPTIONS = {"mp4": {"preset": "veryfast", "tune": "animation"}}


def codec_options(fmt: str, width: int, height: int) -> tuple[str, dict[str, str]]:
    """The codec and its options for ``fmt`` at a frame size: faster presets from 1080p up
    (a short side of 1080 pixels or more: 1440x1080 and 1080x1080 are 1080p too)."""
    codec, options = CODECS[fmt]
    if min(width, height) >= LECTURE_SHORT_SIDE:
        options = {**options, **LECTURE_OPTIONS.get(fmt, {})}
    return codec, options


class AvWriter:
    """Encodes RGB frames to mp4 or webm."""

    def __init__(self, path: Path, fmt: str, width: int, height: int, fps: int) -> None:
        codec, options = codec_options(fmt, width, height)
        # bitexact: no random segment id (WebM) or encoder version tag, so the same frames
        # give the same bytes
        container = {"fflags": "+bitexact"}
        if "movflags" in options:
            container["movflags"] = options["movflags"]
        self._box = av.open(str(path), mode="w", format=fmt, options=container)
        self._stream = self._box.add_stream(codec, rate=Fraction(fps))
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {k: v for k, v in options.items() if k != "movflags"}
        self._frames: dict[str, tuple[av.VideoFrame, np.ndarray]] = {}

    def write(self, frame: np.ndarray) -> None:
        """Add one frame."""
        rgba = rgba_under(frame)
        fmt, pixels = ("rgb24", frame) if rgba is None else ("rgba", rgba)
        video_frame, rows = self._refillable(fmt)
        rows[...] = pixels.reshape(len(rows), -1)
        for packet in self._stream.encode(video_frame):
            self._box.mux(packet)

    def _refillable(self, fmt: str) -> tuple[av.VideoFrame, np.ndarray]:
        """One frame of ``fmt`` refilled for every frame, and its rows without padding: the
        encoder converts it to yuv420p before `encode` returns, and a fresh 6 MB frame a time
        cost 2-15 ms at 1080p, the copy 0.4."""
        if fmt not in self._frames:
            video_frame = av.VideoFrame(self._stream.width, self._stream.height, fmt)
            plane = video_frame.planes[0]
            rows = np.frombuffer(plane, np.uint8).reshape(self._stream.height, plane.line_size)
            width = self._stream.width * BYTES_PER_PIXEL[fmt]
            self._frames[fmt] = (video_frame, rows[:, :width])
        return self._frames[fmt]

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        for packet in self._stream.encode():
            self._box.mux(packet)
        self._box.close()

    def abort(self) -> None:
        """Stop without finishing (the temporary file is removed by the caller)."""
        self._box.close()


def rgba_under(frame: np.ndarray) -> np.ndarray | None:
    """The RGBA pixels an RGB frame is a view of (`mlanim.draw.sprites.handed_on`), or None.

    Painters draw into RGBA buffers; packing them to 3 bytes a pixel cost 20-30 ms at 1080p,
    so a frame is handed on as a copy of the RGBA buffer seen as RGB, and writers that take
    RGBA (the encoder's colour conversion gives the same yuv420p from either) read it whole.
    """
    base = frame.base
    if not (isinstance(base, np.ndarray) and base.shape == (*frame.shape[:2], 4)
            and base.dtype == np.uint8 and base.flags.c_contiguous):
        return None
    starts = frame.__array_interface__["data"][0], base.__array_interface__["data"][0]
    return base if starts[0] == starts[1] and frame.strides == (*base.strides[:2], 1) \
        else None


class GifWriter:
    """A looping GIF at a blog-friendly size and frame rate, written as the frames arrive.

    Frames are subsampled to at most ``settings.fps`` and scaled to at most ``settings.width``.
    One palette is fit beforehand to ``samples`` (frames spread over the video), so colours do
    not flicker and nothing has to be kept: memory stays at two frames whatever the duration.
    Pixels unchanged since the previous frame are written as transparent, so the static parts
    of a frame (titles, axes, settled regions) cost almost nothing after frame one; a frame
    identical to the previous one lengthens its delay instead of being written.
    """

    def __init__(self, path: Path, width: int, height: int, fps: int,
                 samples: Sequence[np.ndarray] = (), settings: GifSpec | None = None) -> None:
        settings = settings or GifSpec()
        self.stride = max(1, round(fps / settings.fps))
        self.fps = fps
        scale = min(1.0, settings.width / width)
        self.size = (max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2))
        self.colors = min(settings.colors, TRANSPARENT)
        self.palette = _shared_palette([self._scaled(f) for f in samples], self.colors) \
            if len(samples) else None
        self._file = path.open("wb")
        self._seen = self._kept = self._written_cs = 0
        self._previous: np.ndarray | None = None  # the indices last shown
        self._pending: tuple[np.ndarray, int] | None = None  # to write, with its first index

    def _scaled(self, frame: np.ndarray) -> Image.Image:
        image = Image.fromarray(frame)
        return image if image.size == self.size else \
            image.resize(self.size, Image.Resampling.LANCZOS)

    def write(self, frame: np.ndarray) -> None:
        """Quantize every ``stride``-th frame and write the one before it."""
        if self._seen % self.stride == 0:
            image = self._scaled(frame)
            if self.palette is None:  # no samples given: fit the palette to the first frame
                self.palette = _shared_palette([image], self.colors)
            indices = np.asarray(image.quantize(palette=self.palette,
                                                dither=Image.Dither.NONE))
            if self._pending is None or not np.array_equal(indices, self._pending[0]):
                self._flush(self._kept)
                self._pending = (indices, self._kept)
            self._kept += 1
        self._seen += 1

    def _flush(self, until: int) -> None:
        """Write the pending frame, shown until kept frame ``until`` starts."""
        if self._pending is None:
            return
        indices, _ = self._pending
        end_cs = round(until * self.stride / self.fps * 100)
        delay = max(end_cs - self._written_cs, 1)
        self._written_cs += delay
        if self._previous is None:
            header, _ = GifImagePlugin.getheader(_paletted(indices, self.palette),
                                                 info={"loop": 0})
            self._file.write(b"".join(header))
            shown = indices
        else:
            shown = np.where(indices == self._previous, TRANSPARENT, indices).astype(np.uint8)
        for chunk in GifImagePlugin.getdata(_paletted(shown, self.palette), duration=delay * 10,
                                            transparency=TRANSPARENT, disposal=1):
            self._file.write(chunk)
        self._previous, self._pending = indices, None

    def close(self) -> None:
        """Write the last frame and the trailer."""
        self._flush(self._kept)
        self._file.write(b";")
        self._file.close()

    def abort(self) -> None:
        """Stop writing (the temporary file is removed by the caller)."""
        self._file.close()


TRANSPARENT = 255  # palette index reserved for "unchanged since the previous frame"


def _paletted(indices: np.ndarray, palette: Image.Image) -> Image.Image:
    height, width = indices.shape
    # frombytes, not fromarray(mode="P"): Pillow deprecates the mode argument
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(indices, np.uint8))
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
