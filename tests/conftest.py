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


SMALL_KINDS = {
    # a small spec of every kind: its trace records in seconds
    "decision_boundary": """
        scene: decision_boundary
        data: {name: iris, features: [petal length (cm), petal width (cm)]}
        model: {hidden: [8]}
        train: {epochs: 6}
        """,
    "network_pulses": """
        scene: network_pulses
        data: {name: wine}
        model: {hidden: [6, 5], activation: sigmoid}
        train: {epochs: 4, batch_size: full, optimizer: {name: sgd, lr: 0.5}}
        show: {steps: [0, 3]}
        """,
    "optimizer_paths": """
        scene: optimizer_paths
        surface: {function: rosenbrock}
        steps: 60
        optimizers: [{name: sgd, lr: 0.001}, {name: adam, lr: 0.05},
                     {name: momentum, lr: 0.001, momentum: 0.9, label: "heavy ball"}]
        view: both
        """,
    "loss_landscape": """
        scene: loss_landscape
        data: {name: moons, n_samples: 160}
        model: {hidden: [6]}
        train: {epochs: 6, optimizer: {name: sgd, lr: 0.2}}
        landscape: {resolution: 11}
        view: both
        """,
    "attention": """
        scene: attention
        task: {name: reverse, length: 5, vocab: 8, samples: 400}
        model: {layers: 2, heads: 2, d_model: 16}
        train: {steps: 60, batch_size: 32}
        show: {example: "3 1 4 1 5"}
        """,
    "loss_curves": """
        scene: loss_curves
        seeds: 2
        data: {name: iris}
        model: {hidden: [8]}
        train: {epochs: 8}
        """,
    "feature_space": """
        scene: feature_space
        data: {name: iris}
        model: {hidden: [8, 2]}
        train: {epochs: 6}
        """,
    "cnn_filters": """
        scene: cnn_filters
        data: {name: digits, limit: 300}
        model: {channels: [4, 8]}
        train: {epochs: 2}
        """,
    "rnn_memory": """
        scene: rnn_memory
        task: {length: 12, samples: 300}
        model: {hidden: 4}
        train: {steps: 40}
        """,
    "bias_variance": """
        scene: bias_variance
        samples: 16
        resamples: 5
        """,
    "gradient_flow": """
        scene: gradient_flow
        data: {name: moons, n_samples: 120}
        model: {hidden: [8, 8, 8], activation: relu}
        train: {epochs: 3, batch_size: 16}
        """,
    "embedding_evolution": """
        scene: embedding_evolution
        data: {name: breast_cancer}
        model: {hidden: [16, 8]}
        train: {epochs: 4, batch_size: 64}
        embed: {method: pca, points: 200, trace: [3, 40, 77]}
        """,
    "tree_growth": """
        scene: tree_growth
        data: {name: moons, n_samples: 200, noise: 0.3}
        model: {type: tree, max_depth: 5}
        show: {sample: 2}
        """,
    "boosting_stages": """
        scene: boosting_stages
        data: {name: moons, n_samples: 200, noise: 0.3}
        model: {stages: 20}
        """,
}

@pytest.fixture(scope="session")
def small_traces(tmp_path_factory) -> dict:
    """Each kind's spec and trace from `SMALL_KINDS`, recorded once for the whole run."""
    from mlanim import pipeline
    from mlanim.progress import SilentProgress

    folder = tmp_path_factory.mktemp("small_kinds")
    recorded = {}
    with pytest.MonkeyPatch.context() as patch:  # never the user's own cache
        patch.setenv("MLANIM_CACHE_DIR", str(folder / "cache"))
        for kind, text in SMALL_KINDS.items():
            path = folder / f"{kind}.yaml"
            path.write_text(textwrap.dedent(text))
            loaded = pipeline.load(Path(path))
            recorded[kind] = (loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False,
                                                                 SilentProgress()))
    return recorded


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]  # WebGL in software


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by playwright (make test installs both); one for
    the whole run, each test opening its own pages."""
    import shutil

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: make test installs it (scripts/browser.sh)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


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


def moons(n: int):
    """``n`` rows of scikit-learn's two moons (noise 0.2, seed 0) as float inputs and labels."""
    import torch
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=0.2, random_state=0)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


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
