"""feature_space: the points drawn are the recorded layer, which equals a forward pass of the
recorded weights; the drawn boundary is where the output layer's recorded weights tie; a model
without a 2- or 3-unit last layer is refused with a located line; in 3-D the drawn planes are
where the recorded output weights tie."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlanim import data, models, pipeline, scenes
from mlanim.analysis.fields import boundary_polygons
from mlanim.draw import display as d
from mlanim.draw.frame import Units, layout_problems
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress

SPEC = """\
scene: feature_space
seed: 2
data: {name: moons, n_samples: 160, noise: 0.15}
model: {hidden: [8, 2], activation: tanh}
train: {epochs: 10, batch_size: 16, optimizer: {name: adam, lr: 0.02}}
render: {quality: low, duration: 1, formats: [mp4, svg]}
"""


def test_the_layer_is_a_forward_pass_of_the_recorded_weights(recorded):
    spec, trace = recorded(SPEC)
    dataset = data.load(spec.data, spec.seed)
    model = models.build(spec.model, dataset)
    last = {n.removeprefix("params/"): torch.from_numpy(trace.values(n)[-1].astype(np.float32))
            for n in trace.channels_with_prefix("params/")}
    model.load_state_dict(last)
    x = torch.from_numpy(np.concatenate([dataset.x_train, dataset.x_val]))
    with torch.no_grad():
        hidden = torch.tanh(model.fc2(torch.tanh(model.fc1(x)))).numpy()
    np.testing.assert_allclose(trace.values("hidden/act2")[-1], hidden, atol=2e-3)  # float16


def test_drawn_points_and_boundary_are_the_recorded_numbers(recorded):
    spec, trace = recorded(SPEC)
    video = VideoSettings.from_spec(spec.render)
    kind = scenes.get("feature_space")
    story = kind.story(spec, trace, video, load_theme("dark"))
    picture = kind.compose(story, video.count - 1)
    s = story.s
    x0, y0, w, h = story.panel
    dots = next(p for p in picture.shapes if isinstance(p, d.Scatter) and p.colors is not None)
    layer = trace.values("hidden/act2")[-1].astype(np.float64)[~s.held_out]
    drawn_x = s.x_range[0] + (dots.centers[:, 0] - x0) / w * np.ptp(s.x_range)
    inside = (layer[:, 0] > s.x_range[0]) & (layer[:, 0] < s.x_range[1])
    np.testing.assert_allclose(drawn_x[inside], layer[inside, 0], atol=1e-9)
    weight, bias = trace.values("params/out.weight")[-1], trace.values("params/out.bias")[-1]
    lines = [p for p in picture.shapes if isinstance(p, d.Polyline) and p.color ==
             load_theme("dark").text and x0 - 1e-9 <= p.points[0][0] <= x0 + w + 1e-9]
    assert lines
    for line in lines:
        pts = np.array(line.points)
        plane = np.column_stack([s.x_range[0] + (pts[:, 0] - x0) / w * np.ptp(s.x_range),
                                 s.y_range[0] + (pts[:, 1] - y0) / h * np.ptp(s.y_range)])
        logits = plane @ weight.T.astype(np.float64) + bias
        tie = np.abs(logits[:, 0] - logits[:, 1])
        assert tie.max() < 0.05 * np.abs(logits).max()


def test_renders_video_and_a_vector_figure(write_spec, tmp_path):
    mp4, svg = pipeline.render(write_spec(SPEC), pipeline.RenderOptions(out_dir=tmp_path / "o"),
                               SilentProgress())
    assert mp4.stat().st_size > 1000 and b"<svg" in svg.read_bytes()[:2000]


@pytest.mark.parametrize(("change", "message"), [
    ("model: {hidden: [8, 4]}", "ends with 4 units"),
    ("model: {hidden: []}", "is empty"),
    ("model: {type: cnn, hidden: [8, 2]}\\ndata: {name: digits}", "draws MLPs"),
    ("data: {name: diabetes}", "classification"),
])
def test_a_model_it_cannot_draw_is_refused(write_spec, render_fails, change, message):
    text = "\n".join(line for line in SPEC.splitlines()
                     if not line.startswith(("model:", "data:"))) + "\n" + change.replace(
        "\\n", "\n") + "\n"
    if "data:" not in change:
        text += "data: {name: moons, n_samples: 160}\n"
    error = render_fails(write_spec(text))
    assert message in error, error


SPEC_3D = SPEC.replace("hidden: [8, 2]", "hidden: [8, 3]").replace("moons, n_samples: 160",
                                                                  "iris")


def test_boundary_polygons_are_where_two_classes_tie_and_lead():
    rng = np.random.default_rng(4)
    weight, bias = rng.normal(size=(4, 3)), rng.normal(size=4) * 0.3
    polygons = boundary_polygons(weight, bias, [(-1, 1), (-2, 2), (0, 1)])
    assert len(polygons) >= 3
    for i, j, vertices in polygons:
        logits = vertices @ weight.T + bias
        np.testing.assert_allclose(logits[:, i], logits[:, j], atol=1e-9)
        assert (logits.max(axis=1) <= logits[:, i] + 1e-9).all()
        assert (vertices >= [-1, -2, 0]).all() and (vertices <= [1, 2, 1]).all()


def test_a_3_unit_layer_is_drawn_in_3d_from_its_recorded_numbers(recorded):
    spec, trace = recorded(SPEC_3D, "three.yaml")
    assert trace.values("hidden/act2").shape[-1] == 3
    video = VideoSettings.from_spec(spec.render)
    picture = scenes.get("feature_space").story(spec, trace, video, load_theme("dark"))
    frame = video.count - 1
    view = next(p for p in picture.picture(frame).shapes if isinstance(p, d.View3D))
    shapes = d.flattened([view])  # what a video draws: the view projected
    dots = next(p for p in shapes if isinstance(p, d.Scatter) and p.colors is not None)
    layer = trace.values("hidden/act2")[-1].astype(np.float64)
    train = layer[~picture.s.held_out]
    assert np.array_equal(view.clouds[0].points, train)  # what a page turns: the numbers
    expected = picture._place(train, frame)
    drawn = {tuple(np.round(c, 9)) for c in dots.centers}
    inside = [tuple(np.round(c, 9)) for c in expected
              if picture.panel[0] < c[0] < picture.panel[0] + picture.panel[2]
              and picture.panel[1] < c[1] < picture.panel[1] + picture.panel[3]]
    assert inside and set(inside) <= drawn
    planes = [p for p in shapes if isinstance(p, d.Polygon)]
    assert planes, "the output layer's boundary planes are drawn"
    assert len(view.facets) == len(planes) and view.ranges == picture.s.ranges


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_3d_texts_stay_inside_and_apart(recorded, aspect):
    spec, trace = recorded(SPEC_3D, "three.yaml")
    video = VideoSettings.from_spec(spec.render.model_copy(update={"aspect": aspect}))
    picture = scenes.get("feature_space").story(spec, trace, video, load_theme("dark"))
    for frame in (0, video.count // 2, video.count - 1):
        assert not layout_problems(picture.picture(frame), Units(video, load_theme("dark")))
