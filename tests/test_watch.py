"""mlanim.watch in a user's own loop: the recorded numbers are what autograd and the loop
computed; hooks exist only during snapshots; odd models get clear errors; a user-style CNN on a
DataLoader renders three scene kinds; mlanim.render takes a dict."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import mlanim
from mlanim.errors import UsageError, UserError
from mlanim.trace import load_trace
from tests.conftest import fit_by_hand, video_frames

ROOT = Path(__file__).resolve().parent.parent


def moons_loop(rec_factory=None, steps: int = 30, inplace: bool = False):
    """A tiny MLP on two moons, trained by hand with SGD; ``rec_factory(model, opt)`` makes
    the recorder (None: a bare loop). Returns the model and the recorder."""
    from sklearn.datasets import make_moons

    torch.manual_seed(0)
    x, y = make_moons(128, noise=0.2, random_state=0)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(inplace=inplace), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = rec_factory(model, opt) if rec_factory else None
    for step in range(steps):
        rows = slice((step * 32) % 128, (step * 32) % 128 + 32)
        loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if rec:
            rec.step(loss, x=x[rows], y=y[rows])
    return model, rec


def test_recorded_norms_and_losses_are_the_loops_own(tmp_path: Path) -> None:
    """flow/norms equal the norms of the gradients autograd left in .grad, step by step."""
    norms, losses = [], []

    class Spy(mlanim.Watch):
        def step(self, loss, x=None, y=None):
            norms.append([float(m.weight.grad.norm()) for m in self.model
                          if isinstance(m, nn.Linear)])
            losses.append(loss.item())
            super().step(loss, x=x, y=y)

    _, rec = moons_loop(lambda model, opt: Spy(model, every=10, optimizer=opt))
    run = rec.save(str(tmp_path / "runs" / "moons.mlanim"))  # a str, in a folder not made yet
    trace = load_trace(run.path)
    np.testing.assert_allclose(trace.static("flow/norms"), norms, rtol=1e-5)
    np.testing.assert_allclose(trace.static("flow/loss"), losses, rtol=1e-6)
    assert trace.meta["train"]["optimizer"] == {"name": "sgd", "lr": 0.1}
    # the first snapshot once 256 probe rows are in (8 batches of 32), then every 10 steps
    assert trace.channel("grid/output").steps.tolist() == [8, 10, 20, 30]


def test_recording_does_not_change_training() -> None:
    bare, _ = moons_loop()
    watched, _ = moons_loop(lambda model, opt: mlanim.watch(model, every=5))
    for a, b in zip(bare.parameters(), watched.parameters(), strict=True):
        assert torch.equal(a, b)


def test_hooks_exist_only_during_snapshots() -> None:
    seen: list[int] = []

    def count(model, opt):
        rec = mlanim.watch(model, every=7)
        original = rec.recorder._pass

        def spying(x, n):
            seen.append(sum(len(m._forward_hooks) for m in model.modules()))
            return original(x, n)
        rec.recorder._pass = spying
        return rec

    model, rec = moons_loop(count)
    assert sum(len(m._forward_hooks) for m in model.modules()) == 0  # between snapshots
    rec.close()
    assert sum(len(m._forward_hooks) for m in model.modules()) == 0
    assert seen == [0] * len(seen) and seen  # hooks are added inside the pass, then removed
    with pytest.raises(UsageError, match="closed"):
        rec.step(torch.tensor(1.0))


def test_a_module_called_twice_is_recorded_twice_and_inplace_outputs_are_copies(
        tmp_path: Path) -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.act = nn.ReLU(inplace=True)
            self.out = nn.Linear(2, 2)

        def forward(self, x):
            return self.out(self.act(self.fc(self.act(self.fc(x)))))

    model = Twice()
    x, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
    for embed in ("fc", "fc#2"):
        with mlanim.watch(model, every=1, embed=embed, probe=(x, y)) as rec:
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            rec.step(loss, x=x, y=y)
            trace = rec._trace()
        hidden = trace.values(f"hidden/{embed}")[0]
        with torch.no_grad():
            first = model.fc(x)
            expected = first if embed == "fc" else model.fc(torch.relu(first))
        # the in-place ReLU overwrote fc's output after the hook: the copy keeps negatives
        np.testing.assert_allclose(hidden, expected.numpy(), atol=2e-3)
        assert (hidden < 0).any()


def test_tuple_outputs_are_read_and_odd_outputs_refused() -> None:
    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def forward(self, x):
            return self.fc(x), {"extra": x}

    x, y = torch.randn(8, 2), torch.randint(0, 3, (8,))
    rec = mlanim.watch(Pair(), probe=(x, y))
    assert rec.writer.snapshots("outputs/probabilities")[0].shape == (8, 3)

    class Words(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def forward(self, x):
            return "three"

    with pytest.raises(UsageError, match=r"returned a str.*logits"):
        mlanim.watch(Words(), probe=(x, y))


def test_meta_device_and_bad_arguments_get_clear_errors() -> None:
    with torch.device("meta"):
        ghost = nn.Linear(2, 2)
    with pytest.raises(UsageError, match="meta device") as error:
        mlanim.watch(ghost)
    assert "to_empty" in str(error.value)
    with pytest.raises(UsageError, match=r"not a torch\.nn\.Module"):
        mlanim.watch("model")
    with pytest.raises(UsageError, match="every=0"):
        mlanim.watch(nn.Linear(2, 2), every=0)
    rec = mlanim.watch(nn.Linear(2, 2))
    with pytest.raises(UsageError, match="no gradients"):
        rec.step(torch.tensor(0.5), x=torch.randn(4, 2))


def test_decision_boundary_from_a_2d_run_labels_the_real_optimizer(tmp_path: Path) -> None:
    from mlanim import scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.scenes.decision_boundary.story import Story

    _, rec = moons_loop(lambda model, opt: mlanim.watch(model, every=10, optimizer=opt,
                                                        data_name="moons"))
    run = rec.save(tmp_path / "moons.mlanim")
    written = run.render("decision_boundary", duration=1, quality="low", formats=["mp4"])
    assert [p.suffix for p in written] == [".mp4"]
    assert len(video_frames(written[0])) == 15
    trace = load_trace(run.path)
    spec = scenes.get("decision_boundary").Spec.model_validate(
        {"scene": "decision_boundary", "trace": str(run.path)})
    video = VideoSettings.from_spec(spec.render)
    subtitle = Story(spec, trace, video).subtitle
    assert "sgd lr=0.1" in subtitle and "lr=0 " not in subtitle and "MLP 2-8-2 relu" in subtitle
    assert load_theme("dark")  # the story drew with the default theme


def test_scenes_a_run_cannot_make_say_why(tmp_path: Path) -> None:
    class Regressor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 1)

        def forward(self, x):
            return self.fc(x)

    model = Regressor()
    with mlanim.watch(model, every=1) as rec:
        x = torch.randn(8, 3)
        loss = model(x).square().mean()
        loss.backward()
        rec.step(loss, x=x)
        run = rec.save(tmp_path / "reg.mlanim")
    with pytest.raises(UsageError, match=r"class probabilities.*did not record") as error:
        run.render("embedding_evolution")
    assert "pass y=" in str(error.value) and str(run.path) in str(error.value)
    with pytest.raises(UsageError, match="2-D input plane") as error:
        run.render("decision_boundary")
    with pytest.raises(UsageError, match="loss_landscape evaluates") as error:
        run.render("loss_landscape")
    assert "mlanim new loss_landscape" in str(error.value)
    with pytest.raises(UsageError, match="optimizer_paths trains a model of its own"):
        run.render("optimizer_paths")
    with pytest.raises(UsageError, match="unknown scene kind"):
        run.render("loss_curve")


def test_a_user_cnn_on_a_dataloader_renders_three_kinds(tmp_path: Path) -> None:
    """examples/record_your_own.py, as a user runs it: three videos of the expected size."""
    spec = importlib.util.spec_from_file_location("record_your_own",
                                                  ROOT / "examples" / "record_your_own.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    written = example.main(epochs=2, formats=("mp4",), duration=2, projection="pca")
    assert [p.name for p in written] == ["digits_loss_curves.mp4", "digits_gradient_flow.mp4",
                                         "digits_embedding_evolution.mp4"]
    for path in written:
        frames = video_frames(path)
        assert len(frames) == 30 and frames[0].shape == (480, 854, 3)
    trace = load_trace(Path("runs/digits.mlanim"))
    assert trace.meta["model"]["summary"] == "DigitsCNN (2 conv, 2 linear)"
    assert trace.values("hidden/head.2").shape[1:] == (256, 32)  # 256 probe rows, 32 units
    assert trace.channel("metrics/val_loss").epochs.tolist() == [1.0, 2.0]


def test_render_takes_a_dict_and_locates_its_mistakes(tmp_path: Path) -> None:
    spec = {"scene": "decision_boundary", "data": {"name": "moons", "n_samples": 80},
            "model": {"hidden": [4]}, "train": {"epochs": 2}}
    written = mlanim.render(spec, duration=1, quality="low", formats=["png"], out=tmp_path)
    assert written == [tmp_path / "decision_boundary.png"] and written[0].is_file()
    assert "<img src=\"data:image/png;base64," in written._repr_html_()
    with pytest.raises(UserError, match=r"mlanim.render\(spec\).*lr") as error:
        mlanim.render({**spec, "train": {"optimizer": {"name": "sgd", "lr": -1}}})
    assert "\n" not in str(error.value)
    with pytest.raises(UserError, match=r"render\(\.\.\., colour=\"red\"\): unknown key 'colour'"):
        mlanim.render(spec, colour="red")


def test_import_mlanim_is_light_and_exposes_the_api() -> None:
    code = ("import sys, mlanim; assert 'torch' not in sys.modules; "
            "print(callable(mlanim.watch), callable(mlanim.render), mlanim.Run.__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["True", "True", "Run"]
    assert "Record" in (mlanim.watch.__doc__ or "") or "recording" in mlanim.watch.__doc__


def test_curves_of_a_run_starting_after_epoch_0_sit_on_their_axis(tmp_path: Path) -> None:
    """A recorded run's first metric point is epoch 1, not 0: each curve vertex lies where the
    x axis' own tick labels say its epoch is."""
    from mlanim import scenes
    from mlanim.draw import display as d
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings

    torch.manual_seed(0)
    x, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = mlanim.watch(model, every=4, optimizer=opt)
    fit_by_hand(model, opt, x, y, rec, epochs=5, batch=8, val=(x, y))
    run = rec.save(tmp_path / "m.mlanim")
    trace = load_trace(run.path)
    kind = scenes.get("loss_curves")
    spec = kind.Spec.model_validate({"scene": "loss_curves", "trace": str(run.path)})
    video = VideoSettings.from_spec(spec.render)
    story = kind.story(spec, trace, video, load_theme("dark"))
    picture = kind.compose(story, video.count - 1)
    epochs = trace.channel("metrics/train_loss").epochs
    assert epochs[0] > 0
    curve = max((s for s in picture.all_shapes if isinstance(s, d.Polyline)),
                key=lambda s: len(s.points))
    xs = np.array([p[0] for p in curve.points[: len(epochs)]])
    ticks = [(float(s.text), s.at[0]) for s in picture.all_shapes if isinstance(s, d.Label)
             and s.va == "top" and s.text.replace(".", "").isdigit()
             and xs.min() - 1e-9 <= s.at[0] <= xs.max() + 1e-9]  # this chart's x axis
    slope, offset = np.polyfit(epochs, xs, 1)
    assert len(ticks) >= 2
    for value, x in ticks:
        assert x == pytest.approx(slope * value + offset, abs=1e-6)


def test_memory_stays_bounded_unless_raw_gradients_are_asked_for(tmp_path: Path) -> None:
    """300 steps keep 300 rows of norms and histograms, and snapshots only every 100 steps;
    ``grads=True`` adds each snapshot's raw gradients, equal to what autograd left."""
    kept: dict[int, torch.Tensor] = {}

    class Spy(mlanim.Watch):
        def step(self, loss, x=None, y=None):
            kept[self.steps + 1] = self.model[0].weight.grad.clone()
            super().step(loss, x=x, y=y)

    _, lean = moons_loop(lambda model, opt: mlanim.watch(model, every=100), steps=300)
    trace = lean._trace()
    assert trace.static("flow/norms").shape == (300, 2)
    assert trace.static("flow/histograms").shape == (300, 2, 42)
    assert not list(trace.channels_with_prefix("grads/"))
    assert len(trace.channel("outputs/probabilities").steps) == 4  # 8 (probe full), 100, ...
    _, full = moons_loop(lambda model, opt: Spy(model, every=100, grads=True), steps=300)
    grads = full._trace().channel("grads/0.weight")
    for step, value in zip(grads.steps, grads.values, strict=True):
        np.testing.assert_array_equal(value, kept[int(step)].numpy())


def test_a_failed_save_keeps_the_recording_and_a_probe_sets_the_plane(tmp_path: Path) -> None:
    from mlanim.errors import OutputError

    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    rec = mlanim.watch(model, every=1, probe=(x, y))  # a snapshot before the first step
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    rec.step(loss)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(OutputError, match="cannot make the folder"):
        rec.save(tmp_path / "a_file" / "run.mlanim")
    run = rec.save(tmp_path / "run.mlanim")  # still open: saved on the second try
    trace = load_trace(run.path)
    assert trace.channel("grid/output").steps.tolist() == [0, 1]
    assert trace.channel("metrics/train_loss").steps.tolist() == [1]


def test_inspect_says_how_a_watched_run_was_recorded(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mlanim.cli import app

    _, rec = moons_loop(lambda model, opt: mlanim.watch(model, every=10, optimizer=opt,
                                                        data_name="moons"))
    run = rec.save(tmp_path / "m.mlanim")
    lines = CliRunner().invoke(app, ["inspect", str(run.path)]).output.splitlines()
    assert lines[0] == "scene any that draws a recorded run  steps 30"  # no epochs: steps
    assert lines[1] == ("recorded with mlanim.watch: moons · 960 rows seen · MLP 2-8-2 relu · "
                        "sgd lr=0.1")
