"""The pipeline's machinery, exercised by a tiny fake scene kind that trains nothing (the way
seaborn tests its plot machinery with a `MockMark`): stages run in order, the trace is cached
and reused, errors raised inside a kind come out located in the spec, and frames come from the
kind's pictures through the shared frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import av
import numpy as np
import pytest
from pydantic import Field

from mlanim import pipeline, scenes
from mlanim.analysis.derived import Analysis
from mlanim.draw import display as d
from mlanim.draw.frame import Frame
from mlanim.errors import SpecError
from mlanim.progress import SilentProgress
from mlanim.scenes.picture_scene import PictureScene
from mlanim.spec.sections import SceneSpec, Section
from mlanim.trace import TraceWriter


class FakeShow(Section):
    """What the fake kind shows."""

    points: int = Field(5, ge=2, le=50)
    fail_in: Literal["none", "record", "story"] = "none"


class FakeSpec(SceneSpec):
    """A spec with one section of its own."""

    scene: Literal["fake"] = "fake"
    show: FakeShow = FakeShow()


class FakeKind(PictureScene):
    """Records a sine wave instead of training, draws a dot moving along it."""

    name = "fake"
    description = "a test double"
    Spec = FakeSpec

    def __init__(self) -> None:
        self.calls: list[str] = []

    def recording(self, spec: FakeSpec, resolve: Callable[[str], Path]):
        payload = {"scene": "fake", "seed": spec.seed, "points": spec.show.points}

        def make(progress):
            self.calls.append("record")
            if spec.show.fail_in == "record":
                raise SpecError("the fake cannot record this", key_path=("show", "fail_in"),
                                hint="use fail_in: none")
            writer = TraceWriter(meta={"scene": "fake", "seed": spec.seed})
            for step in range(spec.show.points):
                writer.add("wave", np.sin(step / 2.0), step, float(step))
            return writer.freeze()

        return payload, make

    def analyses(self, spec: FakeSpec, trace) -> list[Analysis]:
        def peak(trace, progress) -> dict[str, np.ndarray]:
            self.calls.append("analyse")
            return {"peak": np.array(trace.values("wave").max())}

        return [Analysis("peak", {"points": spec.show.points}, peak)]

    def story(self, spec: FakeSpec, trace, video, theme, derived=None):
        self.calls.append("story")
        if spec.show.fail_in == "story":
            raise SpecError("the fake cannot draw this", key_path=("show", "fail_in"),
                            hint="use fail_in: none")
        peak = float(derived["peak"]["peak"])
        frame = Frame(video, theme, "A fake scene", f"peak {peak:.3f}", "step 50 / 50")
        return frame, trace.values("wave").astype(float)

    def compose(self, story, index: int) -> d.Picture:
        frame, wave = story
        x, y, w, h = frame.body
        k = index * (len(wave) - 1) // max(frame.video.count - 1, 1)
        at = (x + w * k / (len(wave) - 1), y + h * (wave[k] + 1) / 2)
        return d.Picture([*frame.counter(f"step {k} / {len(wave) - 1}"),
                          d.Circle(at, 6, frame.theme.accent, None),
                          *frame.caption(f"the recorded value is {wave[k]:.3f}")],
                         background=tuple(frame.titles()))


@pytest.fixture
def fake(monkeypatch) -> FakeKind:
    kind = FakeKind()
    registered = {**scenes.kinds(), "fake": kind}
    monkeypatch.setattr(scenes, "kinds", lambda: registered)
    return kind


def spec_file(tmp_path: Path, show: str = "{points: 6}") -> Path:
    path = tmp_path / "fake.yaml"
    path.write_text(f"scene: fake\nshow: {show}\n"
                    "render: {quality: low, duration: 1, formats: [mp4]}\n")
    return path


def test_stages_run_in_order_and_the_trace_is_reused(fake, tmp_path):
    (mp4,) = pipeline.render(spec_file(tmp_path), pipeline.RenderOptions(), SilentProgress())
    assert fake.calls == ["record", "analyse", "story"]
    with av.open(str(mp4)) as box:
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(box.streams.video[0])]
    assert len(frames) == 15 and frames[0].shape == (480, 854, 3)

    fake.calls.clear()
    pipeline.render(spec_file(tmp_path), pipeline.RenderOptions(), SilentProgress())
    assert fake.calls == ["story"]  # cached: not recorded, not analysed again

    fake.calls.clear()
    pipeline.render(spec_file(tmp_path, "{points: 7}"), pipeline.RenderOptions(),
                    SilentProgress())
    assert fake.calls[0] == "record"  # another recording key: recorded anew


def test_the_picture_draws_the_recorded_values(fake, tmp_path):
    loaded = pipeline.load(spec_file(tmp_path))
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings

    video = VideoSettings.from_spec(loaded.spec.render)
    derived = pipeline.analyse(fake, loaded.spec, trace, SilentProgress())
    story = fake.story(loaded.spec, trace, video, load_theme("dark"), derived)
    last = fake.compose(story, video.count - 1)
    assert any(isinstance(s, d.Label) and s.text == f"peak {np.sin(np.arange(6) / 2.0).max():.3f}"
               for s in last.background)
    assert any(isinstance(s, d.Label) and s.text.endswith(f"{np.sin(5 / 2.0):.3f}")
               for s in last.shapes)


@pytest.mark.parametrize("stage", ["record", "story"])
def test_an_error_inside_a_kind_is_located_in_the_spec(fake, tmp_path, render_fails, stage):
    error = render_fails(spec_file(tmp_path, f"{{fail_in: {stage}}}"))
    assert "fake.yaml:2:" in error and "the fake cannot" in error, error


def test_a_wrong_key_in_the_kinds_own_section_is_refused(fake, tmp_path, render_fails):
    error = render_fails(spec_file(tmp_path, "{pionts: 6}"))
    assert "fake.yaml:2:" in error and "pionts" in error and "points" in error, error
