"""No text leaves the canvas and no two texts lie on each other, for every scene kind, aspect
and quality: checked from the `Picture` shapes (text measured with the painters' font), so
no pixels are needed. Each kind's trace is recorded once, from a small spec (conftest's
`small_traces`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlanim import pipeline, scenes
from mlanim.draw.frame import Units, layout_problems
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from tests.conftest import SMALL_KINDS as SMALL
from tests.conftest import fit_by_hand

ASPECTS = ("16:9", "4:3", "1:1", "9:16")
QUALITIES = ("low", "medium", "paper")  # paper: a figure render.column inches wide
FRAMES_CHECKED = 9


def test_every_kind_has_a_layout_case():
    assert set(SMALL) == set(scenes.kinds())


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("kind_name", sorted(SMALL))
def test_texts_stay_inside_and_apart(small_traces, kind_name, aspect, quality, monkeypatch):
    monkeypatch.setenv("MLANIM_CACHE_DIR", str(Path(small_traces[kind_name][1].path).parent))
    spec, trace = small_traces[kind_name]
    paper = {"figure": "paper"} if quality == "paper" else {"quality": quality}
    render = spec.render.model_copy(update={"aspect": aspect, "duration": 6.0, **paper})
    spec = spec.model_copy(update={"render": render})
    problems = frame_problems(scenes.get(kind_name), spec, trace)
    assert not problems, "\n".join(sorted(problems)[:12])


def frame_problems(kind, spec, trace) -> set[str]:
    """Texts out of the frame or on each other, in frames spread over the video."""
    video, theme = VideoSettings.from_spec(spec.render), load_theme("dark")
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    story = kind.story(spec, trace, video, theme, derived)
    units = Units(video, theme)
    problems = set()
    for k in range(FRAMES_CHECKED):
        frame = round(k * (video.count - 1) / (FRAMES_CHECKED - 1))
        problems.update(f"frame {frame}: {p}" for p in
                        layout_problems(kind.compose(story, frame), units))
    return problems


@pytest.mark.parametrize(("text", "bold"), [("A neural network learns two moons", True),
                                            ("Momentum lr=0.05 m=0.9  escaped at step 32", False),
                                            ("held-out sequences right 100%", False)])
def test_manim_sets_text_no_wider_than_the_layout_measures(text, bold):
    """The layout check measures with the matplotlib frames' font; Pango (manim) must not set
    the same text wider, or a layout that passes would still overlap in manim videos."""
    from mlanim.draw.manim_canvas import ManimCanvas

    video, theme = VideoSettings(1280, 720, 30, 1.0), load_theme("dark")
    canvas, units = ManimCanvas(video, theme), Units(video, theme)
    for size in (9.0, 12.0, 20.0):
        pango = canvas.text(text, size, theme.text, bold).width / canvas.frame_width
        measured = units.width(text, size, bold)
        assert 0.85 * measured < pango <= measured, (size, pango / measured)


@pytest.fixture(scope="module")
def watched_run(tmp_path_factory) -> Path:
    """A run recorded with mlanim.watch from a hand-written loop: a 2-D MLP on moons with
    held-out numbers each epoch (its labels are longer than the built-in recordings')."""
    import torch
    from sklearn.datasets import make_moons
    from torch import nn

    import mlanim

    torch.manual_seed(0)
    x, y = make_moons(200, noise=0.2, random_state=0)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                          nn.Linear(12, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    rec = mlanim.watch(model, every=5, optimizer=opt, data_name="two moons, by hand",
                       probe_rows=160)
    fit_by_hand(model, opt, x[:160], y[:160], rec, epochs=6, batch=20, val=(x[160:], y[160:]))
    return rec.save(tmp_path_factory.mktemp("watched") / "run.mlanim").path


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("kind_name", ["loss_curves", "gradient_flow", "embedding_evolution",
                                       "decision_boundary"])
def test_a_watched_run_lays_out_too(watched_run, kind_name, aspect):
    from mlanim.trace import load_trace

    kind = scenes.get(kind_name)
    spec = kind.Spec.model_validate({"scene": kind_name, "trace": str(watched_run),
                                     "render": {"aspect": aspect, "quality": "low",
                                                "duration": 6.0},
                                     **({"embed": {"method": "pca"}}
                                        if kind_name == "embedding_evolution" else {})})
    problems = frame_problems(kind, spec, load_trace(watched_run))
    assert not problems, "\n".join(sorted(problems)[:12])


ATTENTION_TOKENS = """
    scene: attention
    task: {{name: reverse, length: {length}, samples: 300}}
    model: {{layers: 1, heads: 2, d_model: 16}}
    train: {{steps: 30, batch_size: 32}}
    show: {{views: [edges, qkv]}}
    """
LONGER = {
    **{f"attention with {n} tokens": ATTENTION_TOKENS.format(length=n) for n in (11, 20)},
    "gradient_flow with 7 weight layers": """
        scene: gradient_flow
        data: {name: moons, n_samples: 120}
        model: {hidden: [8, 8, 8, 8, 8, 8], activation: relu}
        train: {epochs: 2, batch_size: 16}
        """,
    "tree_growth, 30 features with long names, a deep tree": """
        scene: tree_growth
        data: {name: breast_cancer}
        model: {type: tree, max_depth: 12}
        """,
    "tree_growth, a forest of regression trees": """
        scene: tree_growth
        data: {name: diabetes}
        model: {type: forest, trees: 12, max_depth: 4}
        """,
    "embedding_evolution comparing three projections": """
        scene: embedding_evolution
        data: {name: breast_cancer}
        model: {hidden: [16, 8]}
        train: {epochs: 3, batch_size: 64}
        embed: {compare: [pca, umap, tsne], points: 150, trace: [3]}
        """,
    "boosting_stages, three classes and a one-feature regression": """
        scene: boosting_stages
        data: {name: wine}
        model: {stages: 8}
        """,
    "boosting_stages, a one-feature regression": """
        scene: boosting_stages
        data: {name: diabetes, features: [bmi]}
        model: {stages: 12}
        """,
}
"""Cases the small specs above do not reach: sequences long enough that the query-key
matrices of the qkv view no longer fit a portrait row, or that a track's tokens no longer fit
apart; more layers than the histogram panel has rows of names for in a square frame; three
projections side by side, their titles close; trees whose cards hold long feature names,
regression trees, K trees a boosting stage."""


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("case", sorted(LONGER))
def test_longer_inputs_stay_inside_and_apart(case, aspect, tmp_path, monkeypatch):
    monkeypatch.setenv("MLANIM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "scene.yaml"
    path.write_text(textwrap.dedent(LONGER[case]))
    loaded = pipeline.load(path)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    render = loaded.spec.render.model_copy(update={"aspect": aspect, "duration": 6.0,
                                                   "quality": "low"})
    spec = loaded.spec.model_copy(update={"render": render})
    problems = frame_problems(scenes.get(spec.scene), spec, trace)
    assert not problems, "\n".join(sorted(problems)[:12])


@pytest.mark.parametrize(("size", "count", "in_column"), [
    ((854, 480), 2, False), ((480, 480), 3, False), ((480, 480), 2, False),
    ((480, 854), 2, True), ((480, 854), 3, True)])
def test_panels_go_in_a_row_or_column_whichever_holds_larger_squares(size, count, in_column):
    """A square frame once stacked three panels 50 px tall; a row there holds 140 px ones."""
    from mlanim.draw.frame import Frame

    f = Frame(VideoSettings(*size, 15, 1.0), load_theme("dark"), "a title")
    parts = f.split_for_squares(f.body, count)
    assert len(parts) == count
    xs, ys = {round(p[0], 9) for p in parts}, {round(p[1], 9) for p in parts}
    assert (len(xs), len(ys)) == ((1, count) if in_column else (count, 1))
