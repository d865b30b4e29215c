"""bias_variance: the recorded fits are numpy.polyfit's; the drawn errors are the bias-variance
decomposition of the recorded predictions; the mean curve drawn is the fits' mean; a degree
the samples cannot determine is refused with a located line."""

from __future__ import annotations

import numpy as np
import pytest

from mlanim import pipeline, scenes
from mlanim.draw import display as d
from mlanim.draw.frame import Units, layout_problems
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress

PANELS = """\
scene: bias_variance
seed: 3
samples: 12
resamples: 6
panels: [{degree: 2, label: ok}, {degree: 9}, {degree: 0, noise: 0.8}]
render: {quality: low, duration: 1, formats: [mp4, svg]}
"""
SWEEP = PANELS.replace("panels: [", "view: sweep\nmax_degree: 6\n#panels: [")


def test_fits_are_numpy_polyfit(recorded):
    spec, trace = recorded(PANELS)
    x, grid = trace.static("train/x"), trace.static("grid/x")
    for k, panel in enumerate(spec.panels):
        y = trace.static(f"fit{k}/y")
        for r in range(spec.resamples):
            expected = np.polyval(np.polyfit(x[r], y[r], panel.degree), grid)
            np.testing.assert_allclose(trace.static(f"fit{k}/grid")[r], expected, atol=1e-6)


def test_targets_are_the_function_plus_noise_of_the_panel_s_size(recorded):
    spec, trace = recorded(PANELS)
    x = trace.static("train/x")
    residual = [trace.static(f"fit{k}/y") - np.sin(np.pi * x) for k in (0, 2)]
    np.testing.assert_allclose(residual[1], residual[0] * 0.8 / spec.noise, atol=1e-12)


def test_written_errors_are_the_decomposition_of_the_recorded_predictions(recorded):
    spec, trace = recorded(SWEEP, "sweep.yaml")
    story = scenes.get("bias_variance").story(spec, trace, VideoSettings.from_spec(spec.render),
                                              load_theme("dark")).s
    truth = np.sin(np.pi * trace.static("test/x"))
    for k in range(spec.max_degree + 1):
        pred, test_y = trace.static(f"fit{k}/test"), trace.static(f"fit{k}/test_y")
        errors = story.errors[k][-1]
        assert errors.bias2 == pytest.approx(np.mean((pred.mean(0) - truth) ** 2))
        assert errors.variance == pytest.approx(np.mean(pred.var(0)))
        assert errors.test == pytest.approx(np.mean((pred - test_y) ** 2))
    tests = [e[-1].test for e in story.errors]
    assert story.best_degree() == int(np.argmin(tests)) and 1 <= story.best_degree() <= 5


def test_the_thick_curve_is_the_mean_of_the_fits_drawn(recorded):
    spec, trace = recorded(PANELS)
    video = VideoSettings.from_spec(spec.render)
    picture = scenes.get("bias_variance").story(spec, trace, video, load_theme("dark"))
    panel = picture.panels[0]
    shapes = panel.shapes(3, None)
    thick = [s for s in shapes if isinstance(s, d.Polyline) and s.width > 2]
    x0, y0, w, h = panel.box
    pts = np.array([p for line in thick for p in line.points])
    xs = (pts[:, 0] - x0) / w * 2 - 1
    ys = panel.low + (pts[:, 1] - y0) / h * (panel.high - panel.low)
    mean = trace.static("fit0/grid")[:3].mean(axis=0)
    np.testing.assert_allclose(ys, np.interp(xs, trace.static("grid/x"), mean), atol=1e-6)


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_the_sweep_keeps_its_texts_apart(recorded, aspect):
    spec, trace = recorded(SWEEP, "sweep.yaml")
    render = spec.render.model_copy(update={"aspect": aspect})
    video = VideoSettings.from_spec(render)
    picture = scenes.get("bias_variance").story(spec, trace, video, load_theme("dark"))
    for frame in (0, video.count // 2, video.count - 1):
        assert not layout_problems(picture.picture(frame), Units(video, load_theme("dark")))


def test_renders_both_views(write_spec, tmp_path):
    for name, text in (("panels.yaml", PANELS), ("sweep.yaml", SWEEP)):
        files = pipeline.render(write_spec(text, name),
                                pipeline.RenderOptions(out_dir=tmp_path / "o"), SilentProgress())
        assert [f.suffix for f in files] == [".mp4", ".svg"]
        assert all(f.stat().st_size > 1000 for f in files)


@pytest.mark.parametrize(("change", "message"), [
    ("panels: [{degree: 12}]", "degree 12 needs at least 13 samples"),
    ("panels: [{degree: -1}]", "panels[0].degree"),
    ("view: sweep\nmax_degree: 20", "degree 20 needs at least 21 samples"),
    ("resamples: 1", "resamples"),
])
def test_a_degree_the_samples_cannot_fit_is_refused(write_spec, render_fails, change, message):
    text = "\n".join(line for line in PANELS.splitlines() if not line.startswith("panels"))
    assert message in render_fails(write_spec(text + "\n" + change + "\n"))
