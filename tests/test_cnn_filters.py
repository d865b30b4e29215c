"""cnn_filters: every product, sum, map, pool winner and saliency drawn is what torch computes
from the recorded weights; the pictures write those numbers; the video decodes; square image
files of another size train; bad input exits 2 naming the key."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional

from mlanim import pipeline
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.cnn_filters.picture import CnnPicture
from mlanim.scenes.cnn_filters.record import ConvNet
from mlanim.scenes.cnn_filters.spec import CnnModel
from mlanim.scenes.cnn_filters.story import CnnStory
from tests.conftest import video_frames

SMALL = """\
scene: cnn_filters
data: {name: digits, limit: 400}
model: {channels: [3, 5]}
train: {epochs: 3}
show: {probe: 2}
render: {quality: low, duration: 3, formats: [mp4]}
"""
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The small spec's spec and trace, recorded once for the module."""
    folder = tmp_path_factory.mktemp("cnn")
    path = folder / "scene.yaml"
    path.write_text(SMALL)
    loaded = pipeline.load(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANIM_CACHE_DIR", str(folder / "cache"))
        return loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False,
                                                  SilentProgress())


def story_of(recorded, **render) -> CnnStory:
    spec, trace = recorded
    spec = spec.model_copy(update={"render": spec.render.model_copy(update=render)})
    return CnnStory(spec, trace, VideoSettings.from_spec(spec.render), load_theme("dark"))


def tensor(values) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values, dtype=np.float32))


def test_drawn_products_and_sums_equal_conv2d_on_the_recorded_weights(recorded):
    story = story_of(recorded)
    weight, bias = tensor(story.weights[0][-1]), tensor(story.biases[0][-1])
    image = tensor(story.image)[None, None]
    expected = functional.conv2d(image, weight, bias, padding=story.kernel // 2)[0]
    assert len(story.windows) == 3
    for window in story.windows:
        torch_value = float(expected[story.channel, window.row, window.col])
        assert window.total == pytest.approx(torch_value, abs=TOLERANCE)
        assert window.recorded == pytest.approx(torch_value, abs=TOLERANCE)
        assert window.products.sum() + window.bias == pytest.approx(window.total, abs=1e-9)
    corner = story.window(0, 0)  # the window hangs over the zero padding
    assert (corner.patch[0] == 0).all() and (corner.patch[:, 0] == 0).all()


def test_partial_maps_add_up_to_the_second_convolution(recorded):
    story = story_of(recorded)
    pooled = tensor(story.maps["pool1"][-1])[None]
    weight, bias = tensor(story.weights[1][-1]), tensor(story.biases[1][-1])
    expected = functional.conv2d(pooled, weight, bias, padding=story.kernel // 2)[0, 0]
    partials = story.partial_maps(0)
    assert partials.shape[0] == 3
    total = partials.sum(axis=0) + float(story.biases[1][-1][0])
    np.testing.assert_allclose(total, expected.numpy(), atol=TOLERANCE)
    np.testing.assert_allclose(total, story.maps["conv2"][-1][0], atol=TOLERANCE)


def test_pool_winners_are_the_cells_max_pool2d_picks(recorded):
    story = story_of(recorded)
    for channel in range(3):
        act = tensor(story.maps["act1"][-1][channel])[None, None]
        pooled, indices = functional.max_pool2d(act, 2, return_indices=True)
        winners = story.winners(channel)
        side = act.shape[-1]
        np.testing.assert_array_equal(winners[..., 0] * side + winners[..., 1],
                                      indices[0, 0].numpy())
        np.testing.assert_allclose(story.maps["pool1"][-1][channel], pooled[0, 0].numpy(),
                                   atol=TOLERANCE)


def saved_model(trace, story: CnnStory, snapshot: int = -1) -> ConvNet:
    """The network rebuilt from one snapshot's recorded weights."""
    m = story.model
    model = ConvNet(m["sides"][0], CnnModel(channels=m["channels"], kernel=m["kernel"],
                                            pool=m["pool"], activation=m["activation"]),
                    len(story.classes))
    state = {"head.weight": tensor(trace.values("weights/head")[snapshot]),
             "head.bias": tensor(trace.values("bias/head")[snapshot])}
    for i in range(len(m["channels"])):
        state[f"convs.{i}.weight"] = tensor(story.weights[i][snapshot])
        state[f"convs.{i}.bias"] = tensor(story.biases[i][snapshot])
    model.load_state_dict(state)
    return model.eval()


def test_recorded_maps_and_saliency_are_what_the_saved_weights_compute(recorded):
    _, trace = recorded
    story = story_of(recorded)
    for snapshot in (0, -1):
        model = saved_model(trace, story, snapshot)
        with torch.no_grad():
            stages = model.stages(tensor(story.image).reshape(1, -1))
        for name in ("conv1", "act1", "pool1", "conv2", "pool2", "logits"):
            recorded_values = trace.values(f"probe/{name}")[snapshot]
            np.testing.assert_allclose(recorded_values, stages[name][0].numpy(),
                                       atol=TOLERANCE, err_msg=name)
    model = saved_model(trace, story)
    x = tensor(story.mistake["image"]).reshape(1, -1).requires_grad_(True)
    predicted = int(story.mistake["predicted"].ravel()[0])
    model(x)[0, predicted].backward()
    np.testing.assert_allclose(story.mistake["saliency"], x.grad.reshape(8, 8).numpy(),
                               atol=TOLERANCE)


def test_confusion_counts_every_held_out_image_and_agrees_with_accuracy(recorded):
    story = story_of(recorded)
    held_out = story.confusion[-1].sum()
    assert held_out == 100  # a quarter of 400
    for snapshot in range(len(story.epochs)):
        counts = story.confusion[snapshot]
        assert counts.sum() == held_out
        assert np.trace(counts) / held_out == pytest.approx(story.metric("val_acc", snapshot))
    assert story.metric("val_acc", -1) > story.metric("val_acc", 0)


def labels(picture: d.Picture) -> list[str]:
    return [s.text for s in picture.all_shapes if isinstance(s, d.Label)]


def test_the_convolution_view_writes_the_window_products_and_total(recorded):
    story = story_of(recorded, duration=12.0)
    painter = CnnPicture(story)
    segment = story.segments[0]
    assert segment.view == "convolution"
    window = story.windows[0]
    # hold on the first stop: its products, bias and total are written
    frame = segment.first + round(0.25 * (segment.last - segment.first))
    texts = labels(painter.picture(frame))
    for value in window.products.ravel():
        assert f"{value:.2f}".replace("-", "−") in texts
    assert f"= {window.total:.2f}".replace("-", "−") in texts
    assert any("cross-correlation" in t for t in texts)


def test_views_follow_the_spec_and_training_steps_through_epochs(recorded):
    story = story_of(recorded, duration=12.0)
    assert [s.view for s in story.segments] == ["convolution", "sum", "pool", "flatten",
                                                "training", "mistake"]
    shown = [story.snapshot_at(p) for p in np.linspace(0, 1, 50)]
    assert shown[0] == 0 and shown[-1] == len(story.epochs) - 1
    assert shown == sorted(shown) and set(shown) == set(range(len(story.epochs)))


def test_mp4_and_gif_decode_with_the_expected_frames(write_spec, tmp_path):
    spec = write_spec(SMALL)
    options = pipeline.RenderOptions(out_dir=tmp_path / "out", formats=("mp4", "gif"))
    mp4, gif = pipeline.render(spec, options, SilentProgress())
    frames = video_frames(mp4)
    assert len(frames) == 45 and frames[0].shape == (480, 854, 3)
    assert min(frame.std() for frame in frames[::9]) > 10
    assert Image.open(gif).n_frames >= 10


def test_a_28x28_image_file_trains_and_renders(write_spec, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((120, 28, 28)).astype(np.float32)
    labels_ = np.arange(120) % 3
    images[labels_ == 1, 10:18, :] += 2  # classes a CNN can tell apart
    images[labels_ == 2, :, 10:18] += 2
    np.savez(tmp_path / "mini.npz", X=images, y=labels_)
    spec = write_spec("scene: cnn_filters\ndata: {name: npz, path: mini.npz}\n"
                      "train: {epochs: 2}\nrender: {quality: low, duration: 1, "
                      "formats: [png]}\n")
    (png,) = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path), SilentProgress())
    assert png.stat().st_size > 1000


BAD_INPUT = [
    ("model: {kernel: 11}", "model.kernel", "less than or equal to 9"),
    ("model: {kernel: 4}", "model.kernel", "even"),
    ("model: {channels: [4, 32]}", "model.channels", "at most 16"),
    ("model: {channels: [2, 2, 2], pool: 4, kernel: 1}", "model.pool", "pool2"),
    ("model: {channels: [2, 2], kernel: 7, pool: 4}", "model.kernel", "conv2"),
    ("show: {probe: 5000}", "show.probe", "held-out"),
    ("data: {name: iris}", "data.name", "needs images"),
    ("train: {optimizer: {lr: -1}}", "train.optimizer.lr", "greater than 0"),
    ("show: {views: [convolutions]}", "show.views", "convolution"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_INPUT,
                         ids=[b[2].replace(" ", "-") for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_located_line(write_spec, render_fails, line, key,
                                                 message):
    error = render_fails(write_spec("scene: cnn_filters\n" + line + "\n"))
    assert message in error and key in error, error


def test_images_that_are_not_square_are_refused(write_spec, render_fails, tmp_path):
    np.savez(tmp_path / "wide.npz", X=np.zeros((40, 8, 12), np.float32),
             y=np.arange(40) % 2)
    error = render_fails(write_spec("scene: cnn_filters\ndata: {name: npz, path: wide.npz}\n"))
    assert "8x12" in error and "square" in error, error


def test_dense_hidden_layers_after_the_convolutions_as_the_model_table_says():
    import torch

    from mlanim.scenes.cnn_filters.record import ConvNet
    from mlanim.scenes.cnn_filters.spec import CnnModel

    net = ConvNet(8, CnnModel(channels=[4, 8], hidden=[32, 16]), 10)
    stages = net.stages(torch.rand(3, 64))
    assert stages["flat"].shape == (3, 32) and stages["dense1"].shape == (3, 32)
    assert stages["dense2"].shape == (3, 16) and stages["logits"].shape == (3, 10)
    expected = net.head(torch.relu(net.dense[1](torch.relu(net.dense[0](stages["flat"])))))
    torch.testing.assert_close(stages["logits"], expected)
