"""loss_curves: every run is a real training run (the same numbers as training that seed alone,
whether runs shared processes or not), the band and mean drawn are numpy's statistics over the
runs, the early-stopping epoch is the minimum of the mean validation loss, and bad input is
refused with a located line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlanim import data, pipeline, scenes
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.loss_curves.record import train_one

SPEC = """\
scene: loss_curves
seed: 4
seeds: 3
data: {name: moons, n_samples: 120, noise: 0.3}
model: {hidden: [16]}
train: {epochs: 8, batch_size: 16, optimizer: {name: adam, lr: 0.01}}
render: {quality: low, duration: 1, formats: [mp4, svg]}
"""


def test_each_run_equals_training_that_seed_alone(recorded):
    spec, trace = recorded(SPEC)  # 3 seeds: trained by 2 processes
    assert trace.meta["seeds"] == [4, 5, 6]
    dataset = data.load(spec.data, spec.seed)
    alone = train_one((spec.model_dump(mode="json"), dataset, 5))  # in this process
    for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
        np.testing.assert_array_equal(trace.values(f"runs/{name}")[:, 1].astype(np.float64),
                                      alone["metrics"][name])
    runs = trace.values("runs/val_loss")
    assert runs.shape == (9, 3) and not np.allclose(runs[:, 0], runs[:, 1])


@pytest.mark.parametrize("band", ["minmax", "std"])
def test_the_band_and_mean_drawn_are_the_runs_statistics(recorded, band):
    text = SPEC.replace("seeds: 3", f"seeds: 3\nshow: {{band: {band}}}")
    spec, trace = recorded(text)
    video = VideoSettings.from_spec(spec.render)
    kind = scenes.get("loss_curves")
    picture = kind.compose(kind.story(spec, trace, video, load_theme("dark")), video.count - 1)
    runs = trace.values("runs/val_loss").astype(np.float64)
    mean = runs.mean(axis=1)
    low, high = ((runs.min(axis=1), runs.max(axis=1)) if band == "minmax" else
                 (mean - runs.std(axis=1), mean + runs.std(axis=1)))
    story = kind.story(spec, trace, video, load_theme("dark"))
    x0, y0, w, h = story.charts["loss"]
    assert not story.scales["loss"].log
    top = story.scales["loss"].top
    bands = [s for s in picture.shapes if isinstance(s, d.Polygon) and s.fill ==
             load_theme("dark").val]
    edge = np.array([p[1] for p in bands[0].points])
    n = len(mean)
    np.testing.assert_allclose((edge[:n] - y0) / h * top, high, atol=1e-9)
    np.testing.assert_allclose((edge[-n:][::-1] - y0) / h * top, low, atol=1e-9)
    (line,) = [s for s in picture.shapes if isinstance(s, d.Polyline) and s.dashed
               and s.color == load_theme("dark").val and x0 - 1e-9 <= s.points[0][0] <= x0 + w]
    np.testing.assert_allclose((np.array([p[1] for p in line.points[:n]]) - y0) / h * top,
                               mean, atol=1e-9)
    best = int(np.argmin(mean))
    labels = [s.text for s in picture.shapes if isinstance(s, d.Label)]
    assert f"early stopping: epoch {trace.channel('runs/val_loss').epochs[best]:g}" in labels


def test_renders_video_and_a_vector_figure(write_spec, tmp_path):
    mp4, svg = pipeline.render(write_spec(SPEC), pipeline.RenderOptions(out_dir=tmp_path / "o"),
                               SilentProgress())
    assert mp4.stat().st_size > 1000 and b"<svg" in svg.read_bytes()[:2000]


def test_one_seed_draws_no_band(recorded):
    spec, trace = recorded(SPEC.replace("seeds: 3", "seeds: 1"))
    video = VideoSettings.from_spec(spec.render)
    kind = scenes.get("loss_curves")
    picture = kind.compose(kind.story(spec, trace, video, load_theme("dark")), video.count - 1)
    assert not any(isinstance(s, d.Polygon) and s.alpha > 0.2 for s in picture.shapes)


@pytest.mark.parametrize(("line", "key"), [("seeds: 0", "seeds"), ("seeds: 1000", "seeds"),
                                           ("show: {band: iqr}", "show.band")])
def test_bad_input_is_refused_with_a_located_line(write_spec, render_fails, line, key):
    text = SPEC.replace("seeds: 3", line)
    error = render_fails(write_spec(text))
    assert key in error, error


@pytest.mark.slow
def test_the_examples_say_overfitting_only_where_it_is_real():
    """The two example specs' story, from the recorded runs: the unregularised one overfits,
    the regularised one does not (the rule of mlanim.analysis.curves)."""
    root = Path(__file__).parent.parent / "scenes"
    verdicts = {}
    for name in ("curves_overfit", "curves_regularised"):
        loaded = pipeline.load(root / f"{name}.yaml")
        spec = pipeline.RenderOptions(quality="low").apply(loaded.spec)
        trace = pipeline.obtain_trace(loaded, spec, False, SilentProgress())
        story = scenes.get("loss_curves").story(spec, trace, VideoSettings.from_spec(
            spec.render), load_theme("dark"))
        verdicts[name] = story.s.onset is not None
    assert verdicts == {"curves_overfit": True, "curves_regularised": False}
