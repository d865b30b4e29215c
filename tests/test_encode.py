"""Encoders: GIF colours stay true, including small marks, and timing adds up."""

from __future__ import annotations

import itertools
import os
import re

import numpy as np
import pytest
from PIL import Image

from mlanim.encode.video import GifWriter


def test_small_saturated_marks_keep_their_colour(tmp_path):
    """A few green pixels on a large blue-grey gradient must stay green in the palette."""
    ramp = np.linspace(0, 1, 320, dtype=np.float32)
    frames = []
    for i in range(30):
        frame = np.zeros((180, 320, 3), dtype=np.uint8)
        frame[..., 0] = 20 + 40 * ramp
        frame[..., 1] = 30 + 60 * ramp
        frame[..., 2] = 60 + 150 * ramp
        frame[90:94, 10 * i:10 * i + 4] = (61, 220, 132)  # a moving green pulse
        frames.append(frame)
    writer = GifWriter(tmp_path / "pulse.gif", 320, 180, 15, frames[::3])
    for frame in frames:
        writer.write(frame)
    writer.close()
    image = Image.open(tmp_path / "pulse.gif")
    image.seek(12)
    pixel = np.asarray(image.convert("RGB"))[91, 121].astype(int)
    assert np.abs(pixel - (61, 220, 132)).sum() < 40


def moving_square(count: int, size=(90, 160)) -> list[np.ndarray]:
    frames = []
    for i in range(count):
        frame = np.full((*size, 3), (14, 17, 23), np.uint8)
        frame[20:40, 5 * (i // 2):5 * (i // 2) + 20] = (230, 159, 0)  # moves every 2nd frame
        frames.append(frame)
    return frames


def test_streamed_gif_shows_every_frame_for_its_time(tmp_path):
    frames = moving_square(30)
    writer = GifWriter(tmp_path / "m.gif", 160, 90, 15, frames[::5])
    for frame in frames:
        writer.write(frame)
    writer.close()
    image = Image.open(tmp_path / "m.gif")
    shown, total_ms = [], 0
    for k in range(image.n_frames):
        image.seek(k)
        shown.append(np.asarray(image.convert("RGB")).copy())
        total_ms += image.info["duration"]
    assert len(shown) == 15 and total_ms == 2000  # identical pairs merged; 30 frames at 15 fps
    for k, picture in enumerate(shown):
        assert np.abs(picture.astype(int) - frames[2 * k]).max() <= 12


def test_gif_memory_does_not_grow_with_duration(tmp_path):
    import tracemalloc

    frames = moving_square(8, size=(404, 720))

    def peak(count: int) -> int:
        writer = GifWriter(tmp_path / f"{count}.gif", 720, 404, 15, frames)
        tracemalloc.start()
        for k in range(count):
            writer.write(frames[k % len(frames)])
        writer.close()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    assert peak(400) < 1.5 * peak(40)  # kept frames would take 10x (about 350 MB)


def test_gif_settings_and_max_mb_are_honoured(write_spec, tmp_path):
    from pathlib import Path

    from mlanim import pipeline
    from mlanim.progress import SilentProgress

    base = Path(write_spec()).read_text().replace("formats: [mp4]", "formats: [gif]")
    small = write_spec(base.replace("duration: 1.0", "duration: 3, gif: {width: 320, fps: 10, "
                                    "colors: 32}"), "small.yaml")
    (gif,) = pipeline.render(small, pipeline.RenderOptions(out_dir=tmp_path / "a"),
                             SilentProgress())
    image = Image.open(gif)
    assert image.size[0] == 320 and image.info["duration"] >= 100  # 10 fps at most
    big = pipeline.render(write_spec(base.replace("duration: 1.0", "duration: 3"), "big.yaml"),
                          pipeline.RenderOptions(out_dir=tmp_path / "b"), SilentProgress())[0]
    limit = big.stat().st_size / 3 / 2**20
    capped = write_spec(base.replace("duration: 1.0", f"duration: 3, gif: {{max_mb: {limit}}}"),
                        "capped.yaml")
    progress = SilentProgress()
    (fitted,) = pipeline.render(capped, pipeline.RenderOptions(out_dir=tmp_path / "c"), progress)
    assert fitted.stat().st_size <= limit * 2**20 < big.stat().st_size


def test_shrinking_lowers_fps_then_width_then_colours():
    from mlanim.encode import shrink_gif
    from mlanim.spec.sections import GifSpec

    first = shrink_gif(GifSpec(), 1280, 2.0)
    assert first is not None and (first.fps, first.width, first.colors) == (7, 720, 128)
    second = shrink_gif(first.model_copy(update={"fps": 6}), 1280, 4.0)
    assert second is not None and (second.width, second.colors) == (342, 128)
    floor = GifSpec(fps=6, width=240, colors=16)
    assert shrink_gif(floor, 1280, 2.0) is None


def test_subtitles_are_the_captions_drawn_timed_to_the_frames(write_spec, tmp_path):
    from pathlib import Path

    from mlanim import pipeline, scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.encode.subtitles import cues
    from mlanim.progress import SilentProgress
    from mlanim.scenes.picture_scene import caption_text

    spec = write_spec(Path(write_spec()).read_text().replace("formats: [mp4]",
                                                             "formats: [vtt, srt]"))
    vtt, srt = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "o"),
                               SilentProgress())
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    video = VideoSettings.from_spec(loaded.spec.render)
    kind = scenes.get("decision_boundary")
    story = kind.story(loaded.spec, trace, video, load_theme("dark"))
    drawn = [caption_text(kind.compose(story, i)) for i in range(video.count)]
    expected = cues(drawn, video.fps)
    text = vtt.read_text()
    assert text.startswith("WEBVTT") and all(cue in text for _, _, cue in expected)
    assert expected[-1][1] == video.count / video.fps  # the last cue ends with the video
    assert re.search(r"\n00:00:0\d,\d{3} --> 00:00:01,000\n", srt.read_text())
    assert not list((tmp_path / "o").glob("*.mp4"))


def test_cues_merge_repeated_captions_and_skip_blank_frames():
    from mlanim.encode.subtitles import cues, subtitle_text

    found = cues(["a", "a", "", "b", "b", "b"], 2)
    assert found == [(0.0, 1.0, "a"), (1.5, 3.0, "b")]
    assert "00:00:01.500 --> 00:00:03.000\nb" in subtitle_text(found, "vtt")


def test_cues_last_long_enough_to_read_and_never_past_the_end():
    from mlanim.encode.subtitles import READING_SPEED, SHORTEST, cues, shown

    long = "Samples of one class move together as training separates them, ringed: wrong"
    frames = ["intro"] * 3 + [long] * 18 + ["flash"] * 3 + ["the end of the run"] * 150
    fps = 30
    found = cues(frames, fps)
    for start, end, text in found[:-1]:
        assert end - start >= max(SHORTEST, len(text) / READING_SPEED) - 1e-9, text
        assert len(text) / (end - start) <= READING_SPEED + 1e-9
    assert [text for *_, text in found] == [long, "the end of the run"]  # the flashes give way
    assert found[-1][1] == len(frames) / fps
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(found))  # no overlap
    assert len(shown(frames, fps)) == 4


def test_gif_frames_are_paletted_without_a_deprecation_warning():
    import warnings

    from PIL import Image

    from mlanim.encode.video import _paletted

    palette = Image.new("P", (1, 1))
    palette.putpalette([k % 256 for k in range(768)])
    indices = np.arange(12, dtype=np.uint8).reshape(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would reach the user's stderr
        image = _paletted(indices, palette)
    assert image.mode == "P" and np.array_equal(np.asarray(image), indices)


def _decoded(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as box:
        return [frame.to_ndarray(format="rgb24") for frame in box.decode(video=0)]


@pytest.mark.parametrize("size", [(854, 480), (1920, 1080)])
def test_frames_handed_on_as_rgba_views_encode_as_packed_rgb_does(tmp_path, size):
    """Painters hand on a copy of their RGBA buffer seen as RGB; the encoder reads it whole,
    and the video is byte for byte the one the packed RGB frames give (a padded row width,
    854, and the 1080p settings)."""
    from mlanim.draw.sprites import handed_on
    from mlanim.encode.video import AvWriter, rgba_under

    width, height = size
    rng = np.random.default_rng(0)
    buffers = [rng.integers(0, 256, (height, width, 4), dtype=np.uint8) for _ in range(3)]
    views = [handed_on(b) for b in buffers]
    assert all(rgba_under(v) is not None for v in views)
    paths = []
    for name, frames in (("views", views), ("packed", [np.ascontiguousarray(v) for v in views])):
        writer = AvWriter(tmp_path / f"{name}.mp4", "mp4", width, height, 30)
        for frame in frames:
            writer.write(frame)
        writer.close()
        paths.append(tmp_path / f"{name}.mp4")
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert len(_decoded(paths[0])) == 3


def test_only_a_whole_rgba_buffer_is_read_as_rgba():
    """A crop or a channel reorder of an RGBA buffer is not the buffer: read as RGB."""
    from mlanim.encode.video import rgba_under

    rgba = np.zeros((4, 6, 4), np.uint8)
    assert rgba_under(rgba[..., :3]) is rgba
    assert rgba_under(rgba[1:, :, :3]) is None
    assert rgba_under(rgba[..., 1:]) is None
    assert rgba_under(rgba[..., [2, 1, 0]]) is None
    assert rgba_under(np.zeros((4, 6, 3), np.uint8)) is None


@pytest.mark.parametrize(("size", "preset"), [
    ((1920, 1080), "veryfast"), ((1440, 1080), "veryfast"), ((1080, 1080), "veryfast"),
    ((1080, 1920), "veryfast"), ((1280, 720), "medium"), ((720, 1280), "medium")])
def test_lecture_sizes_in_every_aspect_get_the_faster_preset(size, preset):
    from mlanim.encode.video import codec_options

    assert codec_options("mp4", *size)[1]["preset"] == preset


ENCODE_ON_ONE_CORE = """\
import hashlib, os, sys
import numpy as np
from mlanim.encode.video import AvWriter
if sys.argv[1] == "one":
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
rng = np.random.default_rng(0)
path = sys.argv[2]
writer = AvWriter(__import__("pathlib").Path(path), "mp4", 854, 480, 30)
for _ in range(4):
    writer.write(rng.integers(0, 256, (480, 854, 3), dtype=np.uint8))
writer.close()
print(hashlib.sha256(open(path, "rb").read()).hexdigest())
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs two cores to compare with one")
def test_an_mp4s_bytes_do_not_depend_on_the_cores_it_was_encoded_on(tmp_path):
    """Same frames, same bytes, on one core or on all of them: x264's own threads made the
    bytes depend on the machine (and, rarely, on how its threads were scheduled)."""
    import subprocess
    import sys

    digests = {}
    for cores in ("one", "all"):
        done = subprocess.run([sys.executable, "-c", ENCODE_ON_ONE_CORE, cores,
                               str(tmp_path / f"{cores}.mp4")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        digests[cores] = done.stdout.strip()
    assert digests["one"] == digests["all"]
