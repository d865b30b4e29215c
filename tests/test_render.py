"""Rendered files decode with the expected size, frame count and duration; what is drawn is
what the trace says; a failed render leaves nothing behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from mlanim import pipeline, scenes
from mlanim.draw import display
from mlanim.draw.fields import field_colors
from mlanim.draw.theme import load_theme, rgb
from mlanim.draw.video import VideoSettings
from mlanim.encode import video as encoders
from mlanim.progress import SilentProgress

REFERENCE = Path(__file__).parent / "reference"


def render(spec_path: Path, **kwargs) -> list[Path]:
    overrides = kwargs.pop("overrides", {})
    options = pipeline.RenderOptions(out_dir=spec_path.parent / "out", overrides=overrides,
                                     **kwargs)
    return pipeline.render(spec_path, options, SilentProgress())


def decode(path: Path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(stream)]
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
    return frames, duration


def test_mp4_gif_webm_decode_with_expected_size_count_and_duration(write_spec):
    files = render(write_spec(), formats=("mp4", "gif", "webm"))
    mp4, gif, webm = files
    assert [f.suffix for f in files] == [".mp4", ".gif", ".webm"]

    frames, duration = decode(mp4)
    assert len(frames) == 15 and frames[0].shape == (480, 854, 3)  # low: 480p15, 1 s
    assert duration == pytest.approx(1.0, abs=0.07)
    with av.open(str(mp4)) as box:
        assert box.streams.video[0].codec_context.name == "h264"
        assert box.streams.video[0].codec_context.pix_fmt == "yuv420p"

    assert len(decode(webm)[0]) == 15

    image = Image.open(gif)
    assert image.size == (720, 404) and image.info["loop"] == 0
    assert 5 <= image.n_frames <= 15  # identical held frames are merged into longer ones
    total_ms = 0
    for index in range(image.n_frames):
        image.seek(index)
        total_ms += image.info["duration"]
    assert total_ms == pytest.approx(1000, abs=20)


def test_gif_frames_composite_to_the_true_picture(write_spec):
    """GIF frames store only changed pixels; decoded, the last one must equal the still."""
    gif, png = render(write_spec(), formats=("gif", "png"))
    image = Image.open(gif)
    image.seek(image.n_frames - 1)
    decoded = np.asarray(image.convert("RGB"), dtype=np.float32)
    still = np.asarray(Image.open(png).convert("RGB").resize(image.size, Image.LANCZOS),
                       dtype=np.float32)
    assert np.abs(decoded - still).mean() < 4.0  # palette quantization only


def test_last_frame_matches_the_reference_still(write_spec):
    """To refresh after a deliberate visual change: MLANIM_UPDATE_REFERENCE=1 pytest -k still"""
    (png,) = render(write_spec(), formats=("png",))
    if os.environ.get("MLANIM_UPDATE_REFERENCE"):
        REFERENCE.mkdir(exist_ok=True)
        shutil.copy(png, REFERENCE / "small_scene_last.png")
    frame = np.asarray(Image.open(png).convert("RGB"), dtype=np.float32)
    reference = np.asarray(Image.open(REFERENCE / "small_scene_last.png").convert("RGB"),
                           dtype=np.float32)
    assert frame.shape == reference.shape
    assert np.abs(frame - reference).mean() < 2.0  # tolerant of font hinting and codecs


def test_drawn_field_and_curves_are_the_recorded_numbers(write_spec):
    loaded = pipeline.load(write_spec())
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    video, theme = VideoSettings.from_spec(loaded.spec.render), load_theme("dark")
    kind = scenes.get("decision_boundary")
    story = kind.story(loaded.spec, trace, video, theme)
    picture = kind.compose(story, video.count - 1)

    logits = trace.values("grid/output")[-1].reshape(40, 40, 2).astype(np.float64)
    last = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)  # independent softmax
    (field,) = [s for s in picture.shapes if isinstance(s, display.Image)]
    np.testing.assert_allclose(field.pixels[::-1], field_colors(last, theme), atol=1e-5)

    curves = [s for s in picture.shapes if isinstance(s, display.Polyline) and
              s.color in (theme.train, theme.val) and len(s.points) > 2]
    for chart, metric in zip(story.charts, ("loss", "acc"), strict=True):
        x0, y0, w, h = chart.box
        for split, color in (("train", theme.train), ("val", theme.val)):
            (line,) = [c for c in curves if c.color == color and
                       x0 - 1e-9 <= c.points[0][0] <= x0 + w and y0 <= c.points[0][1] <= y0 + h]
            assert not chart.scale.log
            drawn = (np.array([p[1] for p in line.points[:-1]]) - y0) / h * chart.scale.top
            np.testing.assert_allclose(drawn, trace.values(f"metrics/{split}_{metric}"),
                                       atol=1e-5)
    val_acc = trace.values("metrics/val_acc")[-1]
    assert any(f"{val_acc:.0%}" in s.text for s in picture.shapes
               if isinstance(s, display.Label) and s.text.startswith("After"))


def test_manim_backend_renders_the_same_timeline(write_spec):
    (mp4,) = render(write_spec(), backend="manim", overrides={"duration": 0.6})
    frames, _ = decode(mp4)
    assert len(frames) == 9 and frames[0].shape == (480, 854, 3)
    background = np.array(rgb(load_theme("dark").background)) * 255
    assert np.abs(frames[-1][2, 2].astype(float) - background).max() < 8


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (480, 854)), ("1:1", (480, 480)),
                                              ("4:3", (640, 480))])
def test_aspects_set_the_frame_shape(write_spec, aspect, size):
    (png,) = render(write_spec(), formats=("png",), overrides={"aspect": aspect})
    assert Image.open(png).size == size


@pytest.mark.parametrize("theme", ["light", "paper"])
def test_themes_paint_their_background(write_spec, theme):
    (png,) = render(write_spec(), formats=("png",), overrides={"theme": theme})
    corner = np.asarray(Image.open(png).convert("RGB"))[3, 3]
    assert tuple(corner) == tuple(round(c * 255) for c in rgb(load_theme(theme).background))


def test_vector_figures(write_spec):
    svg, pdf = render(write_spec(), formats=("svg", "pdf"))
    assert b"<svg" in svg.read_bytes()[:2000]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_failed_encode_leaves_no_partial_or_replaced_file(write_spec, monkeypatch):
    spec = write_spec()
    out = spec.parent / "out"
    out.mkdir()
    (out / "scene.mp4").write_bytes(b"previous render")

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(encoders.GifWriter, "close", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        render(spec, formats=("mp4", "gif"))
    assert sorted(p.name for p in out.iterdir()) == ["scene.mp4"]
    assert (out / "scene.mp4").read_bytes() == b"previous render"
