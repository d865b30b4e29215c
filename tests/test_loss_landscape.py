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
