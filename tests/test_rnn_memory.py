"""rnn_memory: the drawn states and gates are what nn.RNN / nn.LSTM compute, the drawn
gradients are what retain_grad finds on cells stepped by hand, the example's LSTM keeps the
gradient its RNN loses (and the caption says so with the numbers), the video decodes, and bad
input exits 2 naming the key."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional

from mlanim import pipeline
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.rnn_memory.picture import MemoryPicture
from mlanim.scenes.rnn_memory.record import Recurrent, order_task, unroll
from mlanim.scenes.rnn_memory.story import MemoryStory
from tests.conftest import video_frames

SMALL = """\
scene: rnn_memory
task: {length: 10, samples: 400}
model: {hidden: 5}
train: {steps: 60}
render: {quality: low, duration: 3, formats: [mp4]}
"""
EXAMPLE = "scenes/rnn_lstm_order.yaml"


def record(path):
    loaded = pipeline.load(path)
    return loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rnn")
    (folder / "scene.yaml").write_text(SMALL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANIM_CACHE_DIR", str(folder / "cache"))
        return record(folder / "scene.yaml")


def saved(trace, kind: str) -> Recurrent:
    """The trained network rebuilt from the state stored in the trace."""
    prefix = f"{kind}/state/"
    state = {n.removeprefix(prefix): torch.from_numpy(np.asarray(trace.static(n)))
             for n in trace.static_names if n.startswith(prefix)}
    model = Recurrent(kind, len(trace.meta["task"]["symbols"]), trace.meta["model"]["hidden"])
    model.load_state_dict(state)
    return model.eval()


def example_inputs(trace) -> torch.Tensor:
    tokens = torch.from_numpy(np.asarray(trace.static("example/tokens")))
    return functional.one_hot(tokens, len(trace.meta["task"]["symbols"])).float()[None]


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_unrolled_states_and_gates_equal_the_modules_outputs(kind):
    torch.manual_seed(1)
    model = Recurrent(kind, 6, 5)
    x = torch.from_numpy(order_task(7, 9, 4, seed=2).inputs)
    with torch.no_grad():
        states = unroll(model, x)
        out, last = model.core(x)
    np.testing.assert_allclose(torch.stack(states["h"], 1), out, atol=1e-6)
    if kind == "lstm":
        np.testing.assert_allclose(states["c"][-1], last[1][0], atol=1e-6)
        c = torch.zeros(7, 5)  # the gates, in i, f, g, o order, rebuild the cell state
        for gates, cell, h in zip(states["gates"], states["c"], states["h"], strict=True):
            i, f, g, o = gates.unbind(1)
            c = f * c + i * g
            np.testing.assert_allclose(c, cell, atol=1e-6)
            np.testing.assert_allclose(o * torch.tanh(c), h, atol=1e-6)
            assert ((i > 0) & (i < 1) & (f > 0) & (f < 1) & (g.abs() < 1)).all()


def hand_stepped_gradients(model: Recurrent, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """|dL/dh_t| by retain_grad on nn.RNNCell / nn.LSTMCell given the module's weights."""
    core = model.core
    cell = (nn.RNNCell if model.kind == "rnn" else nn.LSTMCell)(core.input_size,
                                                               core.hidden_size)
    cell.load_state_dict({name.removesuffix("_l0"): value
                          for name, value in core.state_dict().items()})
    h = torch.zeros(1, core.hidden_size)
    c = torch.zeros(1, core.hidden_size)
    kept = []
    for t in range(x.shape[1]):
        if model.kind == "rnn":
            h = cell(x[:, t], h)
        else:
            h, c = cell(x[:, t], (h, c))
        h.retain_grad()
        kept.append(h)
    functional.cross_entropy(model.head(h), y, reduction="sum").backward()
    return np.array([float(k.grad.norm()) for k in kept])


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_recorded_states_and_gradients_match_the_trained_modules(small, kind):
    _, trace = small
    model = saved(trace, kind)
    x = example_inputs(trace)
    y = torch.from_numpy(np.asarray(trace.static("example/label")))
    with torch.no_grad():
        out, _ = model.core(x)
    np.testing.assert_allclose(trace.values(f"{kind}/h")[-1], out[0].numpy(), atol=1e-5)
    expected = hand_stepped_gradients(model, x, y)
    np.testing.assert_allclose(trace.values(f"{kind}/grad")[-1], expected, rtol=1e-4,
                               atol=1e-12)


@pytest.mark.slow
def test_the_example_lstm_keeps_the_gradient_its_rnn_loses(tmp_path):
    from pathlib import Path

    spec, trace = record(Path(__file__).parent.parent / EXAMPLE)
    video = VideoSettings.from_spec(spec.render.model_copy(update={"quality": "low"}))
    story = MemoryStory(spec, trace, video, load_theme("dark"))
    rnn, lstm = story.survival("rnn", -1), story.survival("lstm", -1)
    assert rnn < 1e-10 < 1e-3 < lstm, (rnn, lstm)
    assert story.val_acc["lstm"][-1] > 0.95 and story.val_acc["rnn"][-1] < 0.4
    picture = MemoryPicture(story)
    backward = next(s for s in story.segments if s.view == "backward")
    caption = " ".join(s.text for s in picture.picture(backward.first).all_shapes
                       if isinstance(s, d.Label) and s.role == "caption")
    assert f"{rnn:.1e}".replace("e-", "e−") in caption
    assert f"{lstm:.1e}".replace("e-0", "e−").replace("e-", "e−") in caption


def test_mp4_and_gif_decode_with_the_expected_frames(write_spec, tmp_path):
    spec = write_spec(SMALL)
    options = pipeline.RenderOptions(out_dir=tmp_path / "out", formats=("mp4", "gif"))
    mp4, gif = pipeline.render(spec, options, SilentProgress())
    frames = video_frames(mp4)
    assert len(frames) == 45 and frames[0].shape == (480, 854, 3)
    assert min(frame.std() for frame in frames[::9]) > 10
    assert Image.open(gif).n_frames >= 10


def test_views_follow_the_spec(small):
    spec, trace = small
    spec = spec.model_copy(update={"show": spec.show.model_copy(
        update={"views": ["backward", "lag"]})})
    video = VideoSettings.from_spec(spec.render)
    story = MemoryStory(spec, trace, video, load_theme("dark"))
    assert [s.view for s in story.segments] == ["backward", "lag"]
    assert story.segments[-1].last == video.count - 1


BAD_INPUT = [
    ("task: {length: 1}", "task.length", "at least 2"),
    ("task: {length: 40}", "task.length", "at most 30"),
    ("model: {hidden: 0}", "model.hidden", "1 to 16"),
    ("model: {hidden: 64}", "model.hidden", "1 to 16"),
    ("train: {optimizer: {lr: -1}}", "train.optimizer.lr", "greater than 0"),
    ("show: {views: [forwards]}", "show.views", "forward"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_INPUT,
                         ids=[b[2].replace(" ", "-") + b[1] for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_located_line(write_spec, render_fails, line, key,
                                                 message):
    error = render_fails(write_spec("scene: rnn_memory\n" + line + "\n"))
    assert message in error and key in error, error
