"""Every sentence that judges a run follows a stated rule: ties are said as ties, divergence is
caught without a NaN, a loss axis turns logarithmic past two decades, and the gradient
diagnoses stay quiet on healthy runs of models nobody tuned for them (a tiny BERT, a residual
CNN with BatchNorm and torch.relu, an LSTM, a 14-layer MLP with long names, GELU and tanh MLPs)
and name the right trouble on sick ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mlanim.analysis.claims import (
    diverged,
    lowest,
    lowest_claim,
    needs_log_axis,
    separated,
)
from mlanim.analysis.gradients import Layers, chains, dead_units, exploding, vanishing
from mlanim.analysis.rules import RULES
from mlanim.draw.names import short_names
from mlanim.numbers import format_number
from mlanim.scenes.gradient_flow.spec import FlowSettings
from mlanim.scenes.gradient_flow.story import FlowRun
from mlanim.trace.format import load_trace
from mlanim.train.run import activation_name
from tests.strangers.models import CORPUS, record, tiny_bert


def test_values_within_a_millionth_tie_and_the_tie_is_said():
    labels = ["SGD", "SGD + momentum 0.9", "Adam"]
    values = [0.51, 0.030376317, 0.030376323]  # the race: the same minimum
    assert lowest(values) == [1, 2]
    claim = lowest_claim(labels, values)
    assert not claim.fired
    assert claim.text == "SGD + momentum 0.9 and Adam tie for lowest: loss 0.0304"


def test_a_clear_winner_is_lowest_and_noise_widens_the_tie():
    assert lowest_claim(["a", "b"], [0.2, 0.3]).text == "a is lowest: loss 0.2000"
    assert lowest([0.2, 0.3], noise=0.2) == [0, 1]
    assert lowest([float("nan"), 0.3]) == [1]
    assert lowest_claim(["a", "b", "c"], [1.0, 1.0, 1.0]).text == "all tie: loss 1.000"


@pytest.mark.parametrize(("losses", "fired", "index"), [
    ([0.69, 0.5, 0.3, 0.2], False, None),                     # learns
    ([0.69, 0.7, 0.68, 0.69], False, None),                   # stalls: not a divergence
    ([0.69, 0.4, 6e23, 0.8, 0.9], True, 2),                   # spikes by orders of magnitude
    ([0.69, 1.0, 1.2, 1.5], True, 3),                         # ends far above its start
    ([0.69, 0.5, float("nan")], True, 2),                     # stops being finite
    ([2.0e4, 3.0e5, 3.9e18], True, 2),                        # MSE on diabetes at lr 1
])
def test_divergence_by_rule(losses, fired, index):
    verdict = diverged(losses)
    assert (verdict.fired, verdict.index) == (fired, index), verdict.text


def test_a_loss_axis_is_logarithmic_past_two_decades():
    assert needs_log_axis([0.69, 0.3, 0.005])
    assert not needs_log_axis([0.69, 0.5, 0.3])
    assert needs_log_axis([0.69, 6e23])
    assert not needs_log_axis([-1.0, 100.0])  # a log axis cannot place a negative loss
    assert RULES.log_axis_span == 100.0


def test_numbers_are_said_alike_everywhere():
    assert format_number(0.030376) == "0.0304"
    assert format_number(-2.5e-5) == "−2.50e−05"
    assert format_number(float("inf")) == "∞"
    assert format_number(3891352245484126208.0) == "3.89e+18"


def test_layers_of_one_kind_form_chains():
    names = ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.1.attention."
             "self.query", "classifier", "net.0", "net.2", "net.4"]
    layers = Layers(names, ["Linear"] * 6, [1] * 6)
    assert chains(layers) == [[3, 4, 5]]  # two blocks are too few to judge a fall with depth


def test_vanishing_compares_layers_of_one_kind_only():
    steps = 40
    head, attention = np.full(steps, 1.0), np.full(steps, 1e-5)  # 100,000x apart, two kinds
    norms = np.stack([attention, attention, attention, head], axis=1)
    names = ["layer.0.query", "layer.1.key", "layer.2.value", "classifier"]
    quiet = vanishing(norms, Layers(names, ["Linear"] * 4, [16] * 4), steps - 1)
    assert not quiet.fired, quiet.text
    falling = np.stack([np.full(steps, 10.0 ** -k) for k in (4, 3, 2, 1)], axis=1)
    chain = ["fc1", "fc2", "fc3", "fc4"]
    loud = vanishing(falling, Layers(chain, ["Linear"] * 4, [16] * 4), steps - 1)
    assert loud.fired and "fc1's gradient is 1,000x smaller than fc4's" in loud.text


def test_exploding_judges_a_layer_against_its_own_early_level():
    big_but_steady = np.full((50, 2), 500.0)  # a sum-reduced loss: large from the start
    assert not exploding(big_but_steady, ["a", "b"], 49).fired
    growing = big_but_steady.copy()
    growing[30:, 1] = 1e6
    claim = exploding(growing, ["a", "b"], 49)
    assert claim.fired and "b's gradient norm reached 1e+06 at step 31" in claim.text
    broken = np.ones((5, 1))
    broken[3, 0] = np.inf
    assert exploding(broken, ["a"], 4).fired


def test_dead_units_need_silence_on_every_step_of_the_window():
    silent = np.zeros((60, 2))
    silent[:, 1] = 0.7
    assert dead_units(silent, ["a", "b"], 59).fired
    silent[50, 1] = 0.1  # one step in the window where most units got a gradient
    assert not dead_units(silent, ["a", "b"], 59).fired
    assert not dead_units(None, ["a"], 3).fired


def test_silent_shares_are_units_whose_gradient_row_is_zero():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        model[0].bias[:3] = -100.0  # three of four units never fire on inputs of size ~1
    import mlanim

    rec = mlanim.watch(model, every=5)
    x, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
    torch.nn.functional.cross_entropy(model(x), y).backward()
    rec.step(torch.tensor(0.5), x=x, y=y)
    expected = 1 - (model[0].weight.grad != 0).any(dim=1).float().mean().item()
    silent = rec._trace().static("flow/silent")
    assert silent[0, 0] == pytest.approx(expected) and expected == 0.75


def test_activations_are_named_only_when_known():
    assert activation_name(tiny_bert()) == "GELU"  # not the pooler's one Tanh
    assert activation_name(nn.Sequential(nn.Linear(2, 2))) is None  # torch.relu in forward
    mixed = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Tanh())
    assert activation_name(mixed) is None


FAST = [name for name in CORPUS if name not in ("bert", "residual_cnn")]


@pytest.mark.parametrize("name", [*FAST, pytest.param("bert", marks=pytest.mark.slow),
                                  pytest.param("residual_cnn", marks=pytest.mark.slow)])
def test_strangers_runs_get_the_right_diagnoses(name: str, tmp_path: Path):
    trace = load_trace(record(name, tmp_path))
    run = FlowRun(trace)
    claims = run.findings(len(run.steps) - 1, FlowSettings())
    fired = {claim.name for claim in claims if claim.fired}
    assert fired == CORPUS[name][-1], [claim.text for claim in claims]


def test_separated_needs_most_points_among_their_own_class():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    apart = np.concatenate([rng.normal(0, 0.3, (50, 2)), rng.normal(5, 0.3, (50, 2))])
    mixed = rng.normal(0, 1, (100, 2))
    assert separated(apart, labels).fired
    claim = separated(mixed, labels)
    assert not claim.fired and "of points sit among their own class" in claim.text


def test_module_names_are_shortened_alike_and_kept_apart():
    bert = ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.1.attention."
            "self.query", "bert.encoder.layer.1.intermediate.dense", "classifier"]
    assert short_names(bert) == ["L0 attn.query", "L1 attn.query", "L1 ffn.dense",
                                 "classifier"]
    assert short_names(["fc1", "fc2", "out"]) == ["fc1", "fc2", "out"]
    assert short_names(["net.0", "net.2"]) == ["net.0", "net.2"]
    long = short_names([f"encoder_stack.{i}.dense_projection_layer" for i in range(14)])
    assert long[13] == "encoder_stack.13" and len(set(long)) == 14
    assert all(len(name) <= 24 for name in short_names(["x" * 60, "y" * 60]))


def test_a_long_legend_folds_into_and_n_more():
    from mlanim.draw.frame import Frame, LegendItem
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings

    frame = Frame(VideoSettings(854, 480, 30, 1.0), load_theme("dark"), "t")
    items = [LegendItem("#ffffff", f"layer number {k}", "line") for k in range(30)]
    folded = frame.folded(items, 0.4, rows=2)
    assert len(frame.legend_rows(folded, 0.4)) <= 2
    assert folded[-1].text == f"and {30 - len(folded) + 1} more" and len(folded) < 30
    assert frame.folded(items[:2], 0.4, rows=2) == items[:2]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert", "long_names_14", "residual_cnn", "lstm"])
@pytest.mark.parametrize("kind", ["gradient_flow", "embedding_evolution", "loss_curves"])
def test_strangers_runs_render_without_layout_warnings(name, kind, tmp_path: Path):
    from mlanim.api import Run
    from mlanim.progress import SilentProgress

    progress = SilentProgress()
    Run(record(name, tmp_path)).render(kind, out=tmp_path / "o", duration=1.0, quality="low",
                                       formats=["mp4"], progress=progress)
    assert not [w for w in progress.warnings if w.startswith("layout:")], progress.warnings


def test_a_render_warns_of_each_layout_problem_it_draws():
    from mlanim.pipeline import warn_layout
    from mlanim.progress import SilentProgress

    class Drawing:
        def layout_problems(self) -> dict[str, int]:
            return {f"'label {k}' leaves the frame": k for k in range(5)}

    progress = SilentProgress()
    warn_layout(Drawing(), progress)
    assert progress.warnings[0] == "layout: frame 0: 'label 0' leaves the frame"
    assert progress.warnings[-1] == "layout: and 2 more problems" and len(progress.warnings) == 4


def test_the_readme_quotes_the_rules_in_force():
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text[text.index("## How mlanim decides what to say"):]
    section = section[: section.index("\n## ", 5)]
    tie = f"{RULES.tie_relative:.0e}".replace("e-0", "e-")
    for quoted in (f"{tie} of the larger", f"above {RULES.diverge_rise:g}x",
                   f"above {RULES.diverge_end:g}x", f"more than {RULES.separated_share:.0%}",
                   f"of their {RULES.separated_neighbours} nearest",
                   f"for {RULES.overfit_patience} snapshots",
                   f"and {RULES.overfit_floor:.0%})"):
        assert quoted in section, quoted
    assert RULES.log_axis_span == 100.0 and "more than two decades" in section


@pytest.mark.parametrize("logged", ["val_acc", "val_accuracy", "val/acc", "eval_accuracy",
                                    "validation-acc"])
def test_held_out_accuracy_is_recorded_under_any_usual_name(logged):
    import mlanim

    model = nn.Sequential(nn.Linear(2, 2))
    rec = mlanim.watch(model, every=5)
    x, y = torch.randn(8, 2), torch.randint(0, 2, (8,))
    for _ in range(2):
        torch.nn.functional.cross_entropy(model(x), y).backward()
        rec.step(torch.tensor(0.5), x=x, y=y)
        rec.epoch(**{logged: 0.75})
    assert "metrics/val_acc" in rec._trace()


def test_a_run_whose_rows_were_not_seen_does_not_say_0_rows():
    from mlanim.scenes.base import data_line

    meta = {"source": "watch", "dataset": {"name": "your data", "n_train": 0},
            "steps_per_epoch": 4}
    assert "0 rows" not in data_line(meta)


MOONS_LR_50 = """\
scene: decision_boundary
seed: 0
data: {name: moons, n_samples: 200, noise: 0.2}
model: {hidden: [16, 16], activation: relu}
train: {epochs: 12, batch_size: 32, optimizer: {name: sgd, lr: 50}}
show: {resolution: 40}
render: {quality: low, duration: 1.0, formats: [mp4]}
"""


def test_a_run_that_blows_up_without_a_nan_is_said_to_diverge(write_spec, tmp_path: Path):
    from mlanim import pipeline, scenes
    from mlanim.draw import display as d
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.progress import SilentProgress

    progress = SilentProgress()
    spec = write_spec(MOONS_LR_50)
    pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "o"), progress)
    assert any(w.startswith("training diverged: the loss rose from") for w in progress.warnings)
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    kind = scenes.get("decision_boundary")
    video = VideoSettings.from_spec(loaded.spec.render)
    story = kind.story(loaded.spec, trace, video, load_theme("dark"))
    assert story.story.title.endswith("until training diverged")
    picture = kind.compose(story, video.count - 1)
    texts = [s.text for s in picture.all_shapes if isinstance(s, d.Label)]
    assert any(t.startswith("Training diverged (the loss rose") for t in texts)
    assert any("log scale" in t for t in texts)  # the loss axis
    healthy = write_spec(MOONS_LR_50.replace("lr: 50", "lr: 0.1"), "healthy.yaml")
    calm = SilentProgress()
    pipeline.render(healthy, pipeline.RenderOptions(out_dir=tmp_path / "o"), calm)
    assert not [w for w in calm.warnings if "diverged" in w]


def test_a_race_between_equal_optimizers_ends_in_a_tie(write_spec):
    from mlanim import pipeline, scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.progress import SilentProgress
    from mlanim.scenes.picture_scene import caption_text

    spec = write_spec("""\
scene: optimizer_paths
surface: {expression: "0.05*x**2 + 2*y**2 + 0.3*sin(3*x)*cos(2*y)", x_range: [-6, 6],
          y_range: [-3, 3]}
start: [-5, 2]
steps: 200
optimizers:
  - {name: sgd, lr: 0.01, label: "plain SGD"}
  - {name: momentum, lr: 0.01, momentum: 0.9, label: "SGD + momentum 0.9"}
  - {name: momentum, lr: 0.01, momentum: 0.9, label: "the same, again"}
render: {quality: low, duration: 1}
""")
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    kind = scenes.get("optimizer_paths")
    video = VideoSettings.from_spec(loaded.spec.render)
    story = kind.story(loaded.spec, trace, video, load_theme("dark"))
    caption = caption_text(kind.compose(story, video.count - 1))
    assert "SGD + momentum 0.9 and the same, again tie for lowest" in caption, caption


def test_a_regression_that_overflows_says_it_diverged_not_early_stopping(write_spec):
    from mlanim import pipeline, scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.progress import SilentProgress
    from mlanim.scenes.picture_scene import caption_text

    spec = write_spec("""\
scene: loss_curves
seed: 0
data: {name: diabetes}
model: {hidden: [32, 32], activation: relu}
train: {epochs: 30, batch_size: 32, optimizer: {name: sgd, lr: 1}, on_divergence: stop}
render: {quality: low, duration: 1}
""")
    loaded = pipeline.load(spec)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    kind = scenes.get("loss_curves")
    assert any(f.startswith("training diverged") for f in kind.findings(loaded.spec, trace))
    video = VideoSettings.from_spec(loaded.spec.render)
    story = kind.story(loaded.spec, trace, video, load_theme("dark"))
    caption = caption_text(kind.compose(story, video.count - 1))
    assert caption.startswith("Training diverged") and "early stopping" not in caption


def test_compact_numbers_fit_a_chart_s_value_row():
    from mlanim.numbers import compact

    assert [compact(v) for v in (0.35, 12, 0.00016, 3.9e18, 999, -0.0003, 0.0)] == [
        "0.35", "12", "1.6e−4", "3.9e18", "1.0e3", "−3.0e−4", "0"]
