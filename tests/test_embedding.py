"""embedding_evolution: recorded representations are the model's own; layouts are stable across
epochs (markedly more than independent fits) without losing the classes' separation; traces stay
small; switching method never retrains; bad input exits 2 naming the key."""

from __future__ import annotations

import gzip
import struct

import av
import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import silhouette_score

from mlanim import data, models, pipeline, scenes
from mlanim.analysis import projection as proj
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.embedding_evolution import KIND
from mlanim.scenes.embedding_evolution.picture import embedding_picture
from mlanim.scenes.embedding_evolution.story import EmbeddingStory
from mlanim.train import Recorder, fit, seed_everything

SMALL = """\
scene: embedding_evolution
data: {name: digits}
model: {hidden: [32, 16]}
train: {epochs: 8, batch_size: 128, optimizer: {name: sgd, lr: 0.1}}
embed: {method: pca, points: 400, trace: [3], first_epoch: 2}
render: {quality: low, duration: 2, formats: [mp4]}
"""


def trace_of(write_spec, text: str = SMALL):
    loaded = pipeline.load(write_spec(text))
    return loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())


def test_recorded_layer_and_probabilities_are_the_models_own(write_spec):
    """Record with the scene's plan, then compare the last snapshot with a fresh forward pass
    of the trained model over the same rows (float16 precision)."""
    spec = pipeline.load(write_spec(SMALL)).spec
    dataset = data.load(spec.data, spec.seed)
    plan = KIND.plan(spec, dataset)
    seed_everything(spec.seed)
    model = models.build(spec.model, dataset)
    recorder = Recorder(model, plan, dataset)
    fit(model, dataset, spec.train, spec.seed, recorder)
    trace = recorder.finish()
    rows = torch.tensor(plan.rows)
    x = torch.from_numpy(np.concatenate([dataset.x_train, dataset.x_val]))[rows]
    with torch.no_grad():
        hidden = model[:4](x).numpy()  # fc1, act1, fc2, act2
        probabilities = torch.softmax(model(x), dim=1).numpy()
    assert plan.hidden_layers == ("act2",)
    np.testing.assert_allclose(trace.values("hidden/act2")[-1], hidden, atol=2e-3)
    np.testing.assert_allclose(trace.values("outputs/probabilities")[-1], probabilities,
                               atol=2e-3)
    epochs = trace.channel("outputs/probabilities").epochs
    assert np.sum(epochs < 1) == 3  # before training, and two inside the first epoch


def test_the_pca_basis_is_fixed_and_star_corners_are_the_classes():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 200, 6)).astype(np.float32) * [5, 2, 1, 1, 1, 1]
    layouts = proj.pca_layouts(values, basis=-1)
    last = values[-1] - values[-1].mean(axis=0)
    assert layouts[-1].var(axis=0)[0] == pytest.approx(np.linalg.svd(last)[1][0] ** 2 / 200,
                                                       rel=1e-4)
    again = proj.pca_layouts(values * 1.0, basis=-1)
    np.testing.assert_array_equal(layouts, again)  # no sign flips between runs
    one_hot = np.eye(5, dtype=np.float32)[None]
    corners = proj.star_layouts(one_hot)[0]
    np.testing.assert_allclose(np.linalg.norm(corners, axis=1), 1.0, atol=1e-6)
    assert corners[0] == pytest.approx([0.0, 1.0], abs=1e-6)  # class 0 at the top
    uniform = proj.star_layouts(np.full((1, 1, 5), 0.2, dtype=np.float32))
    assert np.abs(uniform).max() < 1e-6  # no opinion: the centre


@pytest.fixture(scope="module")
def digits_hidden() -> tuple[np.ndarray, np.ndarray]:
    """A digits MLP's hidden layer over 10 epochs, 600 samples (a real recorded run)."""
    from mlanim.spec.sections import DataSpec, ModelSpec, OptimizerSpec, TrainSpec
    from mlanim.train import RecordingPlan

    dataset = data.load(DataSpec(name="digits", test_fraction=0.0), 0)
    seed_everything(0)
    model = models.build(ModelSpec(hidden=[64, 32]), dataset)
    plan = RecordingPlan(hidden_layers=("act2",), rows=tuple(range(600)), store_data=False)
    recorder = Recorder(model, plan, dataset)
    fit(model, dataset, TrainSpec(epochs=10, batch_size=256,
                                  optimizer=OptimizerSpec(name="sgd", lr=0.05)), 0, recorder)
    return recorder.finish().values("hidden/act2"), dataset.y_train[:600]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_warm_started_layouts_are_markedly_smoother_than_independent_fits(digits_hidden,
                                                                         method):
    """The issue's bar: temporally stable layouts, measured against fitting each epoch on its
    own, and still separating the classes about as well at the last epoch."""
    values, labels = digits_hidden
    stable = proj.layouts(method, values, seed=0)
    independent = np.stack([proj.layouts(method, values[i: i + 1], seed=i)[0]
                            for i in range(len(values))])
    assert proj.stability(stable) * 3 < proj.stability(independent)
    separation = silhouette_score(stable[-1], labels)
    assert separation > silhouette_score(independent[-1], labels) - 0.15
    assert separation > 0.3


def test_trace_stays_under_the_size_target(write_spec):
    """10,000 samples x 45 epochs x 10 outputs must fit in 10 MB: 2.2 bytes per stored
    probability, all channels and metadata included."""
    _, trace = trace_of(write_spec, SMALL.replace("method: pca, points: 400",
                                                     "method: star, layer: output"))
    values = trace.channel("outputs/probabilities").values
    assert "hidden/act2" not in trace.channel_names and values.dtype == np.float16
    per_value = trace.path.stat().st_size / values.size
    assert per_value * 10_000 * 45 * 10 < 10e6, per_value


def test_switching_method_reuses_the_trace_and_cached_layouts(write_spec, monkeypatch,
                                                              tmp_path):
    spec_path = write_spec(SMALL)
    options = pipeline.RenderOptions(out_dir=tmp_path / "out", formats=("png",))
    pipeline.render(spec_path, options, SilentProgress())
    calls = []
    original = proj.layouts
    monkeypatch.setattr(proj, "layouts", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    import mlanim.train.run as run

    monkeypatch.setattr(run, "fit", lambda *a, **k: pytest.fail("retrained"))
    pipeline.render(spec_path, options, SilentProgress())  # cached trace, cached layouts
    assert calls == []
    star = write_spec(SMALL.replace("method: pca", "compare: [pca, tsne]"), "other.yaml")
    pipeline.render(star, options, SilentProgress())
    assert calls == ["tsne"]  # same trace: only the new method is computed


def test_drawn_points_are_the_layouts_and_rings_the_misclassified(write_spec):
    spec, trace = trace_of(write_spec)
    kind = scenes.get("embedding_evolution")
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    story = kind.story(spec, trace, VideoSettings(854, 480, 15, 2.0), load_theme("dark"),
                       derived)
    assert isinstance(story, EmbeddingStory)
    last = story.count - 1
    picture = embedding_picture(story, last)
    points, rings = [s for s in picture.shapes if isinstance(s, d.Scatter)]
    assert len(points.centers) == 400
    layout = story.layouts["pca"][-1]
    fitted = np.polyfit(layout[:, 0], points.centers[:, 0], 1)  # a fixed affine map per axis
    np.testing.assert_allclose(np.polyval(fitted, layout[:, 0]), points.centers[:, 0],
                               atol=1e-9)
    np.testing.assert_array_equal(points.colors, story.colors[story.labels])
    wrong = story.predicted[-1] != story.labels
    assert len(rings.centers) == wrong.sum()


@pytest.mark.parametrize("backend", ["matplotlib", "manim"])
def test_mp4_and_gif_decode_with_the_expected_frames(write_spec, tmp_path, backend):
    spec = write_spec(SMALL.replace("formats: [mp4]", f"formats: [mp4, gif], backend: {backend}"))
    mp4, gif = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "o"),
                               SilentProgress())
    with av.open(str(mp4)) as box:
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(box.streams.video[0])]
    assert len(frames) == 30 and frames[0].shape == (480, 854, 3)
    assert frames[-1].std() > 10
    assert Image.open(gif).n_frames >= 5


def write_idx(path, array: np.ndarray, code: int) -> None:
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n)
                                                         for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(">u1").tobytes())


def test_mnist_style_files_load_as_images_and_train_a_cnn(write_spec, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(120, 12, 12)).astype(np.uint8)
    labels = rng.integers(0, 3, size=120).astype(np.uint8)
    write_idx(tmp_path / "images.gz", images, 0x08)
    write_idx(tmp_path / "labels.gz", labels, 0x08)
    np.savez(tmp_path / "mnist.npz", x_train=images[:100], y_train=labels[:100],
             x_test=images[100:], y_test=labels[100:])
    from mlanim.spec.sections import DataSpec

    from_idx = data.load(DataSpec(name="idx", path=str(tmp_path / "images.gz"),
                                  labels=str(tmp_path / "labels.gz"), test_fraction=0.2), 0)
    from_npz = data.load(DataSpec(name="npz", path=str(tmp_path / "mnist.npz"),
                                  test_fraction=0.2), 0)
    for dataset in (from_idx, from_npz):
        assert dataset.image_shape == (12, 12)
        assert len(dataset.x_train) + len(dataset.x_val) == 120
    np.testing.assert_array_equal(from_idx.x_train, from_npz.x_train)
    spec = write_spec(SMALL.replace("data: {name: digits}", "data: {name: idx, path: images.gz, "
                                    "labels: labels.gz}")
                      .replace("model: {hidden: [32, 16]}", "model: {type: cnn, hidden: [16]}")
                      .replace("points: 400", "points: 100"))
    (mp4,) = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "o"),
                             SilentProgress())
    assert mp4.stat().st_size > 1000


BAD_INPUT = [
    ("embed: {layer: 9}", "embed.layer", "does not exist"),
    ("embed: {layer: fc7}", "embed.layer", "not a layer"),
    ("embed: {points: 5000}", "embed.points", "larger than the data"),
    ("embed: {points: 100, trace: [150]}", "embed.trace", "out of range"),
    ("embed: {method: star}", "embed.method", "class probabilities"),
    ("embed: {method: pca, basis: 99}", "embed.basis", "not a snapshot"),
    ("model: {type: cnn}\ndata: {name: iris}", "model.type", "needs image data"),
    ("data: {name: diabetes}", "data.name", "classification"),
    ("data: {name: idx, path: nowhere.gz, labels: nowhere.gz}", "data.path", "not found"),
    ("embed: {method: umapp}", "embed.method", "did you mean 'umap'"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_INPUT,
                         ids=[b[2].replace(" ", "-") for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_located_line(write_spec, render_fails, line, key,
                                                 message):
    text = ("scene: embedding_evolution\ntrain: {epochs: 2}\n" + line + "\n"
            "render: {quality: low, duration: 1, formats: [mp4]}\n")
    error = render_fails(write_spec(text))
    assert message in error and key in error, error


def test_points_stay_in_their_panel_and_traced_samples_have_their_own_mark(write_spec):
    from mlanim import scenes
    from mlanim.draw import display as d
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings

    spec, trace = trace_of(write_spec)
    kind = scenes.get("embedding_evolution")
    video = VideoSettings.from_spec(spec.render)
    theme = load_theme("dark")
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    story = kind.story(spec, trace, video, theme, derived)
    for frame in (0, video.count // 2, video.count - 1):
        picture = kind.compose(story, frame)
        panel = next(s for s in picture.shapes if isinstance(s, d.Rect)
                     and s.fill == theme.panel)  # the scatter's, drawn first
        x0, y0, w, h = panel.box
        for scatter in (s for s in picture.shapes if isinstance(s, d.Scatter)):
            xy = np.asarray(scatter.centers)
            assert (xy[:, 0] >= x0 - 1e-9).all() and (xy[:, 0] <= x0 + w + 1e-9).all()
            assert (xy[:, 1] >= y0 - 1e-9).all() and (xy[:, 1] <= y0 + h + 1e-9).all()
        ringed = [s for s in picture.shapes if isinstance(s, d.Circle) and s.edge == theme.text
                  and s.fill is not None]  # a filled dot in the ring of "misclassified now"
        assert not ringed, "a traced sample must not wear the 'misclassified now' ring"
        assert any(isinstance(s, d.Polygon) and len(s.points) == 4 for s in picture.shapes)


def test_a_run_that_diverged_is_placed_up_to_its_last_finite_snapshot(tmp_path):
    """A watched run whose learning rate blows it up half way: the embedding is drawn from
    the snapshots before, every point finite, and says the run diverged; a run that
    diverged before its first snapshot is refused by name, not drawn as NaN."""
    import json

    import mlanim
    from mlanim.api import Run
    from mlanim.draw.paint_html import page_payload
    from mlanim.errors import UsageError
    from tests.conftest import fit_by_hand, moons

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = mlanim.watch(model, every=4, optimizer=optimizer)
    x, y = moons(128)
    fit_by_hand(model, optimizer, x, y, rec, 2, 32)  # 8 steps: snapshots at 4 and 8
    finite = len(rec.snapshot_steps)
    optimizer.param_groups[0]["lr"] = 1e12
    fit_by_hand(model, optimizer, x, y, rec, 2, 32)
    run = rec.save(tmp_path / "diverged.mlanim")
    assert not np.isfinite(run.trace.values("outputs/probabilities")[-1]).all()
    progress = SilentProgress()
    page = run.render("embedding_evolution", formats=["html"], out=tmp_path / "out",
                      embed={"method": "pca"},
                      progress=progress)[0]
    data = json.loads(page_payload(page.read_text()))
    assert len(data["frames"]) == finite == 2
    assert any("diverged" in warning for warning in progress.warnings)
    KIND.check_trace(Run(tmp_path / "diverged.mlanim").trace)  # drawable: two snapshots

    rec = mlanim.watch(model, every=4, optimizer=optimizer)  # NaN weights from the start
    fit_by_hand(model, optimizer, x, y, rec, 1, 32)
    with pytest.raises(UsageError, match="diverged before its first"):
        KIND.check_trace(rec.save(tmp_path / "nan.mlanim").trace)
