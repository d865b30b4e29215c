"""loss_landscape: the grid's centre is the trained model's loss; the scene renders; bad input
exits 2."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from mlanim import models, pipeline
from mlanim.cli import app
from mlanim.progress import SilentProgress

SPEC = """\
scene: loss_landscape
data: {name: moons, n_samples: 160}
model: {type: mlp, hidden: [8, 8]}
train: {epochs: 8, optimizer: {name: sgd, lr: 0.2}}
landscape: {directions: DIRECTIONS, resolution: 15}
view: VIEW
render: {quality: low, duration: 1, formats: [mp4]}
"""


def spec_text(directions="pca", view="both") -> str:
    return SPEC.replace("DIRECTIONS", directions).replace("VIEW", view)


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_grid_centre_is_the_trained_models_loss(write_spec, directions):
    loaded = pipeline.load(write_spec(spec_text(directions)))
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    values = trace.static("landscape/values")
    assert values.shape == (15, 15)
    model = models.mlp(2, [8, 8], 2, "tanh")
    model.load_state_dict({n: torch.from_numpy(trace.values(f"params/{n}")[-1])
                           for n, _ in model.named_parameters()})
    x = torch.from_numpy(trace.static("data/x_train"))
    y = torch.from_numpy(trace.static("data/y_train"))
    with torch.no_grad():
        trained = torch.nn.functional.cross_entropy(model(x), y).item()
    np.testing.assert_allclose(values[7, 7], trained, rtol=1e-5)
    np.testing.assert_allclose(trace.values("metrics/train_loss")[-1], trained, rtol=1e-5)
    path = trace.static("landscape/path")
    assert path.shape == (9, 2)
    np.testing.assert_allclose(path[-1], [0, 0], atol=1e-5)  # training ends at the centre


@pytest.mark.parametrize("view", ["contour", "surface", "both"])
def test_views_render(write_spec, view):
    options = pipeline.RenderOptions(out_dir=Path("o"))
    (mp4,) = pipeline.render(write_spec(spec_text(view=view)), options, SilentProgress())
    with av.open(str(mp4)) as box:
        assert sum(1 for _ in box.decode(video=0)) == 15


def test_even_resolution_is_refused(write_spec):
    spec = write_spec("scene: loss_landscape\nlandscape: {resolution: 40}\n")
    result = CliRunner().invoke(app, ["render", str(spec)])
    assert result.exit_code == 2 and "must be odd" in result.stderr


def _boxes_in_pixels(small_traces, aspect: str) -> tuple[list, tuple, int]:
    """The squares the two views get, the loss chart's box (x, y, w, h in pixels), and the
    frame's short side, for the small loss_landscape run at 480p in ``aspect``."""
    from mlanim import scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.scenes.loss_landscape.picture import _layout

    spec, trace = small_traces["loss_landscape"]
    render = spec.render.model_copy(update={"aspect": aspect, "quality": "low"})
    spec = spec.model_copy(update={"render": render, "view": "both"})
    kind, video = scenes.get("loss_landscape"), VideoSettings.from_spec(render)
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    story = kind.story(spec, trace, video, load_theme("dark"), derived)
    views, chart = _layout(story, 2)
    scale = np.array([video.width, video.height] * 2)
    squares = [tuple(np.array(story.frame.square(v)) * scale) for v in views]
    return squares, tuple(np.array(chart) * scale), min(video.width, video.height)


@pytest.mark.parametrize("aspect", ["4:3", "1:1", "9:16"])
def test_every_aspect_gives_the_views_and_the_loss_chart_room(small_traces, aspect):
    """A square frame once squeezed the loss chart to 16 px under views a third of the
    frame wide. In every aspect the chart keeps most of its 16:9 height, each view is at least
    0.4 of the short side, and nothing overlaps."""
    _, wide_chart, _ = _boxes_in_pixels(small_traces, "16:9")
    squares, chart, short_side = _boxes_in_pixels(small_traces, aspect)
    assert chart[3] >= 0.6 * wide_chart[3]
    assert all(square[2] >= 0.4 * short_side for square in squares)
    for a, b in [(squares[0], squares[1]), (squares[0], chart), (squares[1], chart)]:
        apart_x = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0]
        apart_y = a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
        assert apart_x or apart_y, (a, b)
