"""gradient_flow: the recorded norms and histograms are autograd's gradients; the diagnoses fire
on vanishing and exploding runs and stay quiet on a healthy one; forward hooks name the module
that broke; dead units are counted as a forward pass shows them; bad settings exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from mlanim import data, models, pipeline, scenes
from mlanim.cli import app
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from mlanim.scenes.gradient_flow.story import FlowRun, run_findings
from mlanim.train.gradients import HIGH, LOW, first_non_finite_output, gradient_histograms
from mlanim.train.plan import RecordingPlan
from mlanim.train.recorder import Recorder

DEEP = "[16, 16, 16, 16, 16]"
SPEC = """\
scene: gradient_flow
seed: 1
data: {{name: moons, n_samples: 160}}
model: {{hidden: {hidden}, activation: {activation}, init: {init}}}
train: {{epochs: {epochs}, batch_size: 16, optimizer: {{name: sgd, lr: {lr}}}}}
render: {{quality: low, duration: 1, formats: [mp4, svg]}}
"""


def spec_text(activation="sigmoid", init="default", lr=0.1, epochs=4, hidden=DEEP) -> str:
    return SPEC.format(activation=activation, init=init, lr=lr, epochs=epochs, hidden=hidden)


def test_recorded_norms_and_histograms_are_autograd_s_gradients(recorded):
    spec, trace = recorded(spec_text(epochs=1))
    dataset = data.load(spec.data, spec.seed)
    torch.manual_seed(spec.seed)
    model = models.build(spec.model, dataset)
    order = torch.randperm(len(dataset.x_train), generator=torch.Generator().manual_seed(1))
    rows = order[:16]  # the loop's first batch
    x, y = torch.from_numpy(dataset.x_train[rows]), torch.from_numpy(dataset.y_train[rows])
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    grads = torch.autograd.grad(nn.functional.cross_entropy(model(x), y), weights)
    expected = [float(torch.linalg.vector_norm(g)) for g in grads]
    np.testing.assert_allclose(trace.static("flow/norms")[0], expected, rtol=1e-5)
    bins = spec.flow.bins
    counts = trace.static("flow/histograms")[0]
    for layer, g in enumerate(grads):
        logs = np.log10(np.abs(g.numpy().ravel()))
        inside = np.histogram(np.clip(logs, LOW, np.nextafter(HIGH, LOW)), bins, (LOW, HIGH))[0]
        np.testing.assert_array_equal(counts[layer, 1:-1], inside)


def test_histograms_keep_zeros_and_non_finite_values_apart():
    step = torch.tensor([0.0, 1e-3, float("nan"), float("inf"), 1e30, -1e-30])
    counts = gradient_histograms(torch.stack([step, -step]), torch.tensor([0, 0, 0, 0, 1, 1]),
                                 2, 4).numpy()
    assert counts.shape == (2, 2, 6) and (counts[0] == counts[1]).all()
    assert counts[0, 0].tolist() == [1, 0, 1, 0, 0, 2]  # 1e-3 is in [-7, -2): the second bin
    assert counts[0, 1].tolist() == [0, 1, 0, 0, 1, 0]  # beyond the range: first and last bin


def test_vanishing_fires_on_deep_sigmoids_and_not_on_relu_with_he_init(recorded):
    vanishing = {f.name: f for f in run_findings(*recorded(spec_text()))}
    healthy = {f.name: f for f in run_findings(*recorded(
        spec_text("relu", "kaiming"), "healthy.yaml"))}
    assert vanishing["vanishing"].fired and "smaller than fc5's" in vanishing["vanishing"].text
    assert not any(f.fired for f in healthy.values()), healthy


def test_vanishing_ratio_is_the_recorded_norms_ratio(recorded):
    spec, trace = recorded(spec_text())
    norms = trace.static("flow/norms")
    sizes = np.array(trace.meta["flow"]["sizes"], float)
    assert trace.meta["flow"]["layers"][:5] == ["fc1", "fc2", "fc3", "fc4", "fc5"]
    rms = norms / np.sqrt(sizes)  # the chain fc1..fc5 (the output layer is another kind)
    share = np.mean(rms[:, 4] / rms[:, 0] > spec.flow.vanishing_ratio)
    finding = run_findings(spec, trace)[0]
    assert f"on {share:.0%} of steps" in finding.text


def test_an_exploding_run_stops_and_names_the_module_that_broke(recorded):
    spec, trace = recorded(spec_text("relu", "kaiming", lr=30.0, epochs=20),
                           "explode.yaml")
    run = FlowRun(trace)
    assert trace.meta["diverged_at_epoch"] is not None
    model = models.build(spec.model, data.load(spec.data, spec.seed))
    assert run.bad_output is not None
    assert run.bad_output["module"] in dict(model.named_modules())
    assert run.bad_output["step"] == len(run.steps) + 1  # the step whose forward broke
    exploding = run_findings(spec, trace)[1]
    assert exploding.fired and f"at step {run.bad_output['step']}" in exploding.text


def test_forward_hooks_name_the_first_module_whose_output_is_not_finite():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[2].weight[0, 0] = float("inf")
    found = first_non_finite_output(model, torch.ones(4, 2), step=6)
    assert found == {"module": "2", "step": 7, "value": "inf", "weights": True}
    assert first_non_finite_output(nn.Sequential(nn.Linear(2, 1)), torch.ones(1, 2), 0) is None


def test_dead_units_are_units_silent_on_every_training_row():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        model[0].bias[:2] = -100.0  # two units can never fire on inputs of size ~1
    dataset = data.load(data.DataSpec(name="moons", n_samples=40), 0)
    recorder = Recorder(model, RecordingPlan(metrics=True, dead_units=True), dataset)
    recorder.snapshot(0, 0.0)
    x = torch.from_numpy(dataset.x_train)  # the training rows only, not the validation rows
    expected = 1 - (torch.relu(model[0](x)) > 0).any(dim=0).float().mean().item()
    shares = recorder.finish().values("flow/dead")[0]
    assert shares.tolist() == [pytest.approx(expected)] and expected >= 0.5


def test_drawn_norms_are_the_recorded_ones(recorded):
    spec, trace = recorded(spec_text(epochs=1))
    video = VideoSettings.from_spec(spec.render)
    kind = scenes.get("gradient_flow")
    picture = kind.story(spec, trace, video, load_theme("dark"))
    pic = picture.picture(video.count - 1)
    _, y0, _, h = picture.chart
    first = next(p for p in pic.shapes if isinstance(p, d.Polyline) and p.color ==
                 picture.colors[0] and len(p.points) > 2)
    heights = np.array(first.points)[:-1, 1]
    logs = picture.bottom + (heights - y0) / h * (picture.top - picture.bottom)
    np.testing.assert_allclose(10 ** logs, picture.s.smooth_norms[:, 0], rtol=1e-6)


def test_the_command_line_prints_the_diagnosis_on_stderr(write_spec, tmp_path):
    spec = write_spec(spec_text())
    result = CliRunner().invoke(app, ["render", str(spec), "--out", str(tmp_path / "o"), "-q",
                                      "-f", "png"])
    assert result.exit_code == 0, result.output
    assert "diagnosis: vanishing: fc1's gradient is" in result.stderr
    healthy = write_spec(spec_text("relu", "kaiming"), "healthy.yaml")
    quiet = CliRunner().invoke(app, ["render", str(healthy), "--out", str(tmp_path / "o"),
                                     "-q", "-f", "png"])
    assert quiet.exit_code == 0 and "diagnosis" not in quiet.stderr


@pytest.mark.parametrize(("change", "message"), [
    ("flow: {bins: 1}", "flow.bins"),
    ("flow: {vanishing_ratio: 0.5}", "flow.vanishing_ratio"),
    ("model: {init: he}", "model.init"),
])
def test_bad_settings_are_refused(write_spec, render_fails, change, message):
    text = spec_text().replace("model:", "#model:") if change.startswith("model") else spec_text()
    error = render_fails(write_spec(text + change + "\n"))
    assert message in error


EXAMPLES = Path(__file__).parent.parent / "scenes"


@pytest.mark.slow
@pytest.mark.parametrize(("example", "fired"), [
    ("gradients_vanishing", {"vanishing"}),
    ("gradients_healthy", set()),
    ("gradients_exploding", {"exploding"}),
])
def test_the_examples_diagnose_what_they_show(example, fired):
    loaded = pipeline.load(EXAMPLES / f"{example}.yaml")
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    assert {f.name for f in run_findings(loaded.spec, trace) if f.fired} == fired
