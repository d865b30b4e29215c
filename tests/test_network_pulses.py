"""network_pulses: every drawn number equals an independent torch computation; renders decode;
bad input exits 2."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from mlanim import models, pipeline, scenes
from mlanim.cli import app
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.network_pulses.picture import frame_picture
from mlanim.scenes.network_pulses.story import PulseStory

SPEC = """\
scene: network_pulses
data: {name: iris}
model: {type: mlp, hidden: [5], activation: sigmoid}
train: {epochs: 8, batch_size: 40, optimizer: {name: sgd, lr: 0.5}}
show: {steps: [0, 1, 23], sample: 3}
render: {quality: low, duration: 2, formats: [mp4]}
"""


@pytest.fixture
def traced(write_spec):
    loaded = pipeline.load(write_spec(SPEC))
    return loaded, pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())


def rebuilt(trace, which: str, f: int) -> torch.nn.Module:
    """A fresh MLP loaded with the recorded parameters of focus step ``f``."""
    widths = trace.meta["model"]["widths"]
    model = models.mlp(widths[0], widths[1:-1], widths[-1], "sigmoid")
    state = {name: torch.from_numpy(trace.values(f"focus/{which}/{name}")[f])
             for name, _ in model.named_parameters()}
    model.load_state_dict(state)
    return model


def test_every_drawn_number_equals_independent_torch(traced):
    _, trace = traced
    data = trace.static("data/x_train"), trace.static("data/y_train")
    x_all, y_all = torch.from_numpy(data[0]), torch.from_numpy(data[1])
    assert list(trace.channel("focus/x").steps) == [0, 1, 23]
    for f in range(3):
        model = rebuilt(trace, "params_pre", f)
        x, y = x_all[3:4], y_all[3:4]
        # forward, layer by layer, for the travelling sample
        z1 = model.fc1(x)
        a1 = torch.sigmoid(z1)
        z1.retain_grad()
        logits = model.out(a1)
        logits.retain_grad()
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        for name, value in (("fc1", z1), ("act1", a1), ("out", logits)):
            np.testing.assert_allclose(trace.values(f"focus/out/{name}")[f], value[0].detach(),
                                       atol=1e-5)
        np.testing.assert_allclose(trace.values("focus/loss")[f], loss.item(), atol=1e-5)
        np.testing.assert_allclose(trace.values("focus/grad/fc1")[f], z1.grad[0], atol=1e-5)
        np.testing.assert_allclose(trace.values("focus/grad/out")[f], logits.grad[0], atol=1e-5)
        # the batch gradient, and the update plain SGD makes with it
        batch = torch.from_numpy(trace.values("focus/batch")[f].astype(bool))
        assert int(batch.sum()) == (32 if f == 2 else 40)  # 112 rows: 40 + 40 + 32 per epoch
        model = rebuilt(trace, "params_pre", f)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        torch.nn.functional.cross_entropy(model(x_all[batch]), y_all[batch]).backward()
        for name, param in model.named_parameters():
            np.testing.assert_allclose(trace.values(f"focus/grads/{name}")[f], param.grad,
                                       atol=1e-5)
        optimizer.step()
        for name, param in model.named_parameters():
            np.testing.assert_allclose(trace.values(f"focus/params_post/{name}")[f],
                                       param.detach(), atol=1e-5)


def test_the_picture_shows_the_recorded_numbers(traced):
    loaded, trace = traced
    video = VideoSettings.from_spec(loaded.spec.render)
    story = PulseStory(loaded.spec, trace, video, load_theme("dark"))
    texts = {s.text for i in range(video.count) for s in frame_picture(story, i).shapes
             if hasattr(s, "text")}
    loss = trace.values("focus/loss")[0]
    assert any(f"L = {loss:.4f}" in t for t in texts)
    activation = trace.values("focus/out/act1")[0]
    shown = {f"{v:.2f}" for v in activation}
    assert shown <= texts


def test_regression_outputs_and_targets_are_shown_in_the_target_s_units(write_spec):
    loaded = pipeline.load(write_spec(SPEC.replace("data: {name: iris}", "data: {name: diabetes}")
                                      .replace("sample: 3", "sample: 5")))
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    video = VideoSettings.from_spec(loaded.spec.render)
    story = PulseStory(loaded.spec, trace, video, load_theme("dark"))
    units = trace.meta["dataset"]
    target = trace.static("data/y_train")[5] * units["target_scale"] + units["target_mean"]
    output = trace.values("focus/out/out")[0][0] * units["target_scale"] + units["target_mean"]
    texts = {s.text for i in range(video.count) for s in frame_picture(story, i).shapes
             if hasattr(s, "text")}
    assert f"target {target:.3g}" in texts and target > 20  # diabetes targets run 25..346
    assert any(f"{output:.3g}".replace("-", "−") in t for t in texts)
    assert trace.values("focus/loss")[0] < 20  # trained on standardised targets


def test_update_morphs_from_pre_to_post(traced):
    loaded, trace = traced
    video = VideoSettings.from_spec(loaded.spec.render.model_copy(update={"duration": 20}))
    story = PulseStory(loaded.spec, trace, video, load_theme("dark"))
    updates = [b for b in (story.timeline.at(i) for i in range(video.count))
               if b.stage.phase == "update" and b.stage.focus == 0]
    first, last = story.weights_at(updates[0]), story.weights_at(updates[-1])
    pre = trace.values("focus/params_pre/fc1.weight")[0]
    post = trace.values("focus/params_post/fc1.weight")[0]
    assert np.abs(first["fc1.weight"][:] - pre).max() < np.abs(post - pre).max() * 0.05
    assert np.abs(last["fc1.weight"][:] - post).max() < np.abs(post - pre).max() * 0.05


@pytest.mark.parametrize("backend", ["matplotlib", "manim"])
def test_renders_decode(write_spec, backend):
    options = pipeline.RenderOptions(out_dir=Path("out"), backend=backend,
                                     overrides={"duration": 1.0})
    (mp4,) = pipeline.render(write_spec(SPEC), options, SilentProgress())
    with av.open(str(mp4)) as box:
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    assert len(frames) == 15 and frames[0].shape == (480, 854, 3)


def test_a_wide_model_is_summarised(write_spec):
    spec = write_spec("""\
        scene: network_pulses
        data: {name: digits}
        model: {hidden: [300, 40]}
        train: {epochs: 1, batch_size: 256, optimizer: {name: sgd, lr: 0.1}}
        render: {quality: low, formats: [png]}
        """)
    (png,) = pipeline.render(spec, pipeline.RenderOptions(out_dir=Path("out")), SilentProgress())
    assert Image.open(png).size == (854, 480)
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    story = PulseStory(loaded.spec, trace, VideoSettings.from_spec(loaded.spec.render),
                       load_theme("dark"))
    widths = [(layer.width, len(layer.shown), layer.block) for layer in story.net.layers]
    assert widths == [(64, 10, False), (300, 0, True), (40, 10, False), (10, 10, False)]


@pytest.mark.parametrize(("show", "message"), [
    ("show: {sample: 500}", "show.sample 500 is out of range"),
    ("show: {steps: [0, 400]}", "beyond training"),
])
def test_bad_show_values_exit_2(write_spec, show, message):
    spec = write_spec(SPEC.replace("show: {steps: [0, 1, 23], sample: 3}", show))
    result = CliRunner().invoke(app, ["render", str(spec)])
    assert result.exit_code == 2 and message in result.stderr


def test_unsupported_model_type_exits_2(write_spec):
    spec = write_spec(SPEC.replace("type: mlp", "type: cnn"))
    result = CliRunner().invoke(app, ["render", str(spec)])
    assert result.exit_code == 2 and "network_pulses draws MLPs" in result.stderr


def test_a_model_type_that_does_not_build_is_refused_by_the_spec(write_spec, render_fails):
    error = render_fails(write_spec(SPEC.replace("type: mlp", "type: rnn")))
    assert "model.type" in error and "'mlp'" in error and "'cnn'" in error, error


def test_registered():
    assert "network_pulses" in scenes.kinds()


@pytest.mark.parametrize("theme_name", ["dark", "light", "paper"])
def test_sign_and_pass_never_share_a_colour(theme_name):
    from mlanim.draw.theme import load_theme

    t = load_theme(theme_name)
    meanings = [t.forward, t.backward, t.positive, t.negative]
    assert len(set(meanings)) == 4, meanings
