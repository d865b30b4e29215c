"""Shared fixtures: an isolated working folder and trace cache, and small fast specs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SMALL_SCENE = """\
scene: decision_boundary
title: "Test moons"
seed: 3
data: {name: moons, n_samples: 120, noise: 0.2}
model: {hidden: [8], activation: tanh}
train: {epochs: 6, batch_size: 16, optimizer: {name: adam, lr: 0.05}}
show: {resolution: 40}
render: {quality: low, duration: 1.0, formats: [mp4]}
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in its own folder with its own trace cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLANIM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write YAML text (dedented) to a spec file and return its path."""

    def write(text: str = SMALL_SCENE, name: str = "scene.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def render_fails(tmp_path: Path):
    """Render a spec through the CLI expecting bad input; return its error line after checking
    what every user error must be: exit code 2, one line naming the spec file, no output."""
    from typer.testing import CliRunner

    from mlanim.cli import app

    def run(spec: Path) -> str:
        out = tmp_path / "rejected"
        result = CliRunner().invoke(app, ["render", str(spec), "--out", str(out)])
        assert result.exit_code == 2, result.output
        error = result.output.strip()
        assert error.count("\n") == 0 and error.startswith("mlanim: error: "), error
        assert f"{spec}:" in error, error
        assert not out.exists() or not any(out.iterdir())
        return error

    return run


@pytest.fixture
def recorded(write_spec):
    """Record (or reuse from the test's cache) the trace of spec text; returns (spec, trace)."""
    from mlanim import pipeline
    from mlanim.progress import SilentProgress

    def record(text: str = SMALL_SCENE, name: str = "scene.yaml"):
        loaded = pipeline.load(write_spec(text, name))
        return loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())

    return record


def video_frames(path: Path) -> list:
    """Every frame of the video at ``path``, decoded as RGB arrays."""
    import av

    with av.open(str(path)) as box:
        return [f.to_ndarray(format="rgb24") for f in box.decode(box.streams.video[0])]


def fit_by_hand(model, optimizer, x, y, rec, epochs: int, batch: int, val=None) -> None:
    """A user's plain loop over ``x, y`` in order: ``rec.step`` after each optimizer step,
    ``rec.epoch`` after each epoch (with the held-out loss on ``val = (x, y)`` when given)."""
    import torch
    from torch import nn

    for _ in range(epochs):
        for rows in torch.arange(len(x)).split(batch):
            loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rec.step(loss, x=x[rows], y=y[rows])
        if val is None:
            rec.epoch()
            continue
        with torch.no_grad():
            rec.epoch(val_loss=nn.functional.cross_entropy(model(val[0]), val[1]).item())
