"""Stills at any moment (--at seconds, epoch=N, step=N), a range of frames (--frames), and
paper figures (--paper): the right frame, the right files, located errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from mlanim import pipeline, scenes
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.stills import When, frame_at
from tests.conftest import SMALL_SCENE, video_frames

LONGER = SMALL_SCENE.replace("duration: 1.0", "duration: 4.0")


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app_module(), ["render", *args, "--quiet"])
    return result.exit_code, result.output


def app_module():
    from mlanim.cli import app

    return app


def shown_epoch(spec_path: Path, index: int) -> float:
    """The (fractional) epoch frame ``index`` of the decision_boundary spec shows."""
    loaded = pipeline.load(spec_path)
    spec = loaded.spec
    trace = pipeline.obtain_trace(loaded, spec, False, pipeline.SilentProgress())
    video = VideoSettings.from_spec(spec.render)
    story = scenes.get(spec.scene).story(spec, trace, video, load_theme("dark")).story
    return story.epoch(story.moment(index))


def test_at_epoch_writes_the_first_frame_showing_that_epoch(write_spec) -> None:
    spec = write_spec(LONGER)
    code, output = render(str(spec), "--at", "epoch=3")
    assert code == 0, output
    written = Path(output.strip())
    assert written == Path("outputs/scene_at_epoch3.png")
    video = VideoSettings.from_spec(pipeline.load(spec).spec.render)
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, pipeline.SilentProgress())
    index = frame_at(When("epoch", 3), video, scenes.get("decision_boundary").clock(
        loaded.spec, trace), "decision_boundary")
    assert shown_epoch(spec, index - 1) < 3 <= shown_epoch(spec, index)
    pixels = np.asarray(Image.open(written).convert("RGB"))
    assert pixels.shape == (480, 854, 3)


def test_at_seconds_and_step_pick_their_frames(write_spec) -> None:
    spec = write_spec(LONGER)
    assert render(str(spec), "--at", "2.5", "--format", "png,svg")[0] == 0
    assert Path("outputs/scene_at_2.5s.png").is_file()
    assert "<svg" in Path("outputs/scene_at_2.5s.svg").read_text()
    assert render(str(spec), "--at", "step=24")[0] == 0  # 96 rows / 16 = 6 steps an epoch
    at_step = np.asarray(Image.open("outputs/scene_at_step24.png"))
    assert render(str(spec), "--at", "epoch=4")[0] == 0
    assert np.array_equal(at_step, np.asarray(Image.open("outputs/scene_at_epoch4.png")))


def test_frames_renders_a_range(write_spec) -> None:
    spec = write_spec(LONGER)
    code, output = render(str(spec), "--frames", "10:25")
    assert code == 0, output
    assert output.split() == ["outputs/scene_frames_10-25.mp4"]
    frames = video_frames(Path("outputs/scene_frames_10-25.mp4"))
    assert len(frames) == 15


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "9"], "--at 9 is past the end of the 4 s video"),
    (["--at", "epoch=60"], "--at epoch=60 is outside the run: its snapshots go from epoch 0 "
                           "to 6"),
    (["--at", "tomorrow"], "--at tomorrow: not a moment"),
    (["--at", "2", "--format", "mp4"], "--at writes a still, not mp4"),
    (["--frames", "50:900"], "--frames 50:900 is outside the video's 60 frames"),
    (["--frames", "x"], "--frames x: not a range"),
    (["--at", "1", "--frames", "1:3"], "give --at or --frames, not both"),
])
def test_bad_moments_exit_2_with_one_line(write_spec, args, message) -> None:
    spec = write_spec(LONGER)
    code, output = render(str(spec), *args)
    assert code == 2 and message in output and output.strip().count("\n") == 0, output
    assert not list(Path("outputs").glob("*")) if Path("outputs").exists() else True


def test_a_kind_told_in_views_takes_seconds(write_spec) -> None:
    spec = write_spec("scene: bias_variance\nrender: {quality: low, duration: 1}\n")
    code, output = render(str(spec), "--at", "step=5")
    assert code == 2 and "give the moment in seconds" in output


def test_optimizer_paths_stills_at_the_step_its_counter_shows(write_spec) -> None:
    spec = write_spec("scene: optimizer_paths\nsteps: 20\nrender: {quality: low, duration: 1}\n")
    code, output = render(str(spec), "--at", "step=5", "-f", "png")
    assert code == 0, output
    assert Path("outputs/scene_at_step5.png").is_file()
    code, output = render(str(spec), "--at", "epoch=1")
    assert code == 2 and "counts steps, not epochs" in output


def test_paper_figure_is_column_wide_untitled_with_truetype_fonts(write_spec) -> None:
    spec = write_spec(SMALL_SCENE.replace("render: {", "render: {aspect: '1:1', "))
    code, output = render(str(spec), "--paper", "--format", "pdf,svg,png")
    assert code == 0, output
    assert "squarer render.aspect" not in output  # it is square already
    pdf = Path("outputs/scene.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf  # TrueType embedded, no Type 3
    box = re.search(rb"/MediaBox \[ ?0 0 252(?:\.0+)? ([0-9.]+)", pdf)  # 3.5 in = 252 pt wide
    assert box and 150 < float(box.group(1)) <= 252  # as tall as what is drawn
    svg = Path("outputs/scene.svg").read_text()
    assert "<text" in svg and "Test moons" not in svg  # text as text; no title
    assert "<image" in svg  # the decision field, drawn under the panels' outlines
    png = Image.open("outputs/scene.png").convert("RGB")
    assert png.size[0] == 1050 and png.size[1] <= 1050  # 3.5 in at 300 dpi
    pixels = np.asarray(png)
    inked = np.nonzero((pixels < 250).any(axis=(1, 2)))[0]  # rows with anything drawn
    assert inked[0] <= 20 and inked[-1] >= png.size[1] - 21  # no empty band above or below
    assert not Path("outputs/scene.mp4").exists()


def test_a_video_figure_keeps_its_images_and_title(write_spec) -> None:
    spec = write_spec(SMALL_SCENE.replace("formats: [mp4]", "formats: [svg]"))
    assert render(str(spec))[0] == 0
    svg = Path("outputs/scene.svg").read_text()
    assert "<image" in svg  # the decision field (it was hidden under the panel's fill)


def test_paper_warns_when_type_prints_too_small(write_spec) -> None:
    spec = write_spec(SMALL_SCENE)
    result = CliRunner().invoke(app_module(), ["render", str(spec), "--paper"])
    assert result.exit_code == 0
    assert "chart labels print at 2.9 pt at 3.5 in wide; render.column: 7.3" in result.output


def test_a_dict_spec_s_mistake_names_the_call_not_a_file(tmp_path) -> None:
    import mlanim

    with pytest.raises(mlanim.UserError) as refused:
        mlanim.render({"scene": "optimizer_paths", "steps": 10,
                       "render": {"quality": "low", "duration": 1}}, at="epoch=3")
    assert str(refused.value).startswith("mlanim.render(spec): ")
    assert ".yaml" not in str(refused.value)


class CountingProgress(pipeline.SilentProgress):
    """Keeps each task's total and how far it got."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, list[float]] = {}

    def task(self, description, total):
        from contextlib import contextmanager

        done = self.tasks.setdefault(description, [total or 0, 0])

        class Counted:
            def advance(self, n: float = 1) -> None:
                done[1] += n

            def note(self, text: str) -> None:
                """Drop it."""

        @contextmanager
        def counted():
            yield Counted()

        return counted()


@pytest.mark.parametrize("extra", [["--at", "epoch=3"], ["--format", "png"]])
def test_a_still_counts_its_one_frame_as_all_it_draws(write_spec, extra) -> None:
    """A still's progress bar ends full (it said 1/2, or 1/30, before)."""
    spec = write_spec(LONGER)
    pipeline.obtain_trace(pipeline.load(spec), pipeline.load(spec).spec, False,
                          pipeline.SilentProgress())
    options = pipeline.RenderOptions(at="epoch=3" if "--at" in extra else None,
                                     formats=("png",) if "--format" in extra else ())
    progress = CountingProgress()
    pipeline.render(spec, options, progress)
    assert progress.tasks["drawing + encoding"] == [1, 1]
