"""attention: recorded attention is what a fresh forward pass of the saved model computes; the
default runs really learn their task by attending where the task needs; the pictures write the
recorded numbers; bad input exits 2 naming the key."""

from __future__ import annotations

import itertools
import math
import re

import av
import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from mlanim import pipeline
from mlanim.cli import app
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.models.transformer import TinyTransformer
from mlanim.progress import SilentProgress
from mlanim.scenes.attention.picture import attention_picture
from mlanim.scenes.attention.story import AttentionStory, evolving_view, plan_segments

SMALL = """\
scene: attention
task: {name: reverse, length: 5, vocab: 8, samples: 800}
model: {layers: 2, heads: 2, d_model: 16}
train: {steps: 120, batch_size: 32}
show: {example: "3 1 4 1 5"}
render: {backend: matplotlib, quality: low, duration: 2, formats: [mp4]}
"""

TEXT = """\
scene: attention
task: {name: text, corpus: "the cat sat on the mat. the dog sat on the log.", length: 12,
       samples: 400}
model: {layers: 1, heads: 2, d_model: 16}
train: {steps: 60}
show: {example: "the cat"}
render: {backend: matplotlib, quality: low, duration: 1, formats: [mp4]}
"""


def trace_of(write_spec, text: str, name: str = "scene.yaml"):
    loaded = pipeline.load(write_spec(text, name))
    return loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())


def saved_model(trace) -> TinyTransformer:
    """The transformer rebuilt from the weights stored in the trace."""
    meta = trace.meta
    model = TinyTransformer(len(meta["task"]["vocabulary"]), meta["model"]["d_model"],
                            meta["model"]["heads"], meta["model"]["layers"],
                            meta["task"]["length"], meta["model"]["positional"],
                            causal=meta["task"]["causal"])
    state = {n.removeprefix("model/"): torch.from_numpy(np.asarray(trace.static(n)))
             for n in trace.static_names if n.startswith("model/")}
    model.load_state_dict(state)
    return model.eval()


def fresh_pass(model: TinyTransformer, tokens: np.ndarray) -> dict[str, torch.Tensor]:
    """An independent forward pass: Q, K, V, scores, weights and mix computed by hand from the
    model's own layers, block by block."""
    x = model.embed(torch.from_numpy(tokens)[None]) + model.positions[: len(tokens)]
    out: dict[str, list[torch.Tensor]] = {}
    with torch.no_grad():
        for block in model.blocks:
            att = block.attention
            h = block.norm1(x)
            heads, width = att.heads, att.head_width

            def split(t, heads=heads, width=width):
                return t.view(1, -1, heads, width).transpose(1, 2)

            q, k, v = split(att.query(h)), split(att.key(h)), split(att.value(h))
            scores = q @ k.transpose(-2, -1) / math.sqrt(width)
            if att.causal:
                mask = torch.ones(len(tokens), len(tokens), dtype=torch.bool).triu(1)
                scores = scores.masked_fill(mask, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            mix = weights @ v
            for name, value in (("x", h), ("q", q), ("k", k), ("v", v), ("scores", scores),
                                ("weights", weights), ("mix", mix)):
                out.setdefault(name, []).append(value[0])
            x = x + att.output(mix.transpose(1, 2).reshape(x.shape))
            x = x + block.mlp(block.norm2(x))
        logits = model.head(model.norm(x))[0]
    result = {name: torch.stack(values) for name, values in out.items()}
    result["logits"] = logits
    return result


@pytest.mark.parametrize("text", [SMALL, TEXT], ids=["reverse-2-layers", "text-causal"])
def test_recorded_attention_equals_a_fresh_pass_of_the_saved_model(write_spec, text):
    _, trace = trace_of(write_spec, text)
    expected = fresh_pass(saved_model(trace), trace.static("example/tokens"))
    for name, value in expected.items():
        recorded = trace.values(f"attention/{name}")[-1]
        np.testing.assert_allclose(recorded, value.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    weights = trace.values("attention/weights")
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)  # every row, snapshot


def test_snapshots_are_dense_early_and_training_is_reproducible(write_spec):
    _, first = trace_of(write_spec, SMALL)
    steps = first.channel("attention/weights").steps
    assert steps[0] == 0 and steps[-1] == 120
    assert np.sum(steps <= 12) >= 8  # the first tenth of training is well covered
    loaded = pipeline.load(write_spec(SMALL))
    again = pipeline.obtain_trace(loaded, loaded.spec, True, SilentProgress())
    for name in first.channel_names:
        np.testing.assert_array_equal(first.values(name), again.values(name), err_msg=name)


def mirrored_mass(trace) -> float:
    pattern = trace.meta["task"]["pattern"]
    weights = trace.values("attention/weights")[-1]  # (L, H, T, T)
    rows, cols = zip(*pattern, strict=True)
    return float(weights[..., list(rows), list(cols)].mean(axis=-1).max())


@pytest.mark.slow
@pytest.mark.parametrize("task", ["reverse", "copy"])
def test_default_training_learns_by_attending_where_the_task_needs(write_spec, task):
    """The issue's bar: >= 95% held-out sequences right, and one head putting > 0.6 of its
    attention on the mirrored position (reverse) or the copied digit (copy)."""
    _, trace = trace_of(write_spec, f"scene: attention\ntask: {{name: {task}}}\n")
    assert trace.values("metrics/val_seq_acc")[-1] >= 0.95
    assert mirrored_mass(trace) > 0.6


def small_story(write_spec, text: str = SMALL, **render) -> AttentionStory:
    spec, trace = trace_of(write_spec, text)
    video = VideoSettings(854, 480, 15, render.get("duration", 12.0))
    return AttentionStory(spec, trace, video, load_theme("dark"))


def labels(picture: d.Picture) -> list[str]:
    return [s.text for s in picture.shapes if isinstance(s, d.Label)]


def test_heatmap_cells_write_the_recorded_weights(write_spec):
    story = small_story(write_spec)
    heatmap = next(s for s in story.segments if s.view == "heatmap")
    picture = attention_picture(story, heatmap.last)
    written = [float(t) for t in labels(picture) if re.fullmatch(r"\d\.\d\d", t)]
    final = story.weights[-1][:, story.heads]  # the sweep ends on the last snapshot
    assert sorted(written) == sorted(round(float(w), 2) + 0.0 for w in final.ravel())


def test_qkv_walk_through_shows_the_recorded_scores_then_weights(write_spec):
    story = small_story(write_spec)
    qkv = next(s for s in story.segments if s.view == "qkv")
    layer, head = story.focus
    scores = story.scores[-1, layer, head]
    late = attention_picture(story, qkv.last)
    written = {t for t in labels(late) if re.fullmatch(r"−?\d+\.\d", t)}
    assert written == {f"{v:.1f}".replace("-", "−") for v in scores.ravel()}
    assert any("weights · V" in t for t in labels(late))
    first = attention_picture(story, qkv.first)
    assert not any("softmax" in t for t in labels(first))  # stages appear in order


def test_focus_walk_caption_quotes_the_recorded_weight(write_spec):
    story = small_story(write_spec)
    edges = next(s for s in story.segments if s.view == "edges")
    caption = " ".join(labels(attention_picture(story, edges.last)))
    found = re.search(r"Position (\d) .* reads position (\d) .*weight (\d\.\d\d) in head (\d)",
                      caption)
    assert found
    i, j, value, head = found.groups()
    layer = story.model["layers"] - 1
    assert story.weights[-1, layer, int(head) - 1, int(i), int(j)] == \
        pytest.approx(float(value), abs=0.006)


def test_segments_follow_the_views_and_only_the_first_sweeps_training():
    segments = plan_segments(["edges", "heatmap", "qkv"], True, 300)
    assert [s.view for s in segments] == ["positions", "edges", "heatmap", "qkv"]
    assert evolving_view(segments) == "edges"  # the first of edges and heatmap sweeps
    assert segments[0].first == 0 and segments[-1].last == 299
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(segments))


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as box:
        return [f.to_ndarray(format="rgb24") for f in box.decode(box.streams.video[0])]


@pytest.mark.parametrize("backend", ["matplotlib", "manim"])
def test_mp4_and_gif_decode_with_the_expected_frames(write_spec, tmp_path, backend):
    spec = write_spec(SMALL.replace("backend: matplotlib", f"backend: {backend}"))
    options = pipeline.RenderOptions(out_dir=tmp_path / "out", formats=("mp4", "gif"))
    mp4, gif = pipeline.render(spec, options, SilentProgress())
    frames = decode(mp4)
    assert len(frames) == 30 and frames[0].shape == (480, 854, 3)
    assert frames[-1].std() > 10  # a picture, not a blank frame
    assert Image.open(gif).n_frames >= 5


def test_a_recorded_trace_re_renders_without_training(write_spec, tmp_path):
    result = CliRunner().invoke(app, ["trace", str(write_spec(SMALL)), "--out",
                                      str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    replay = write_spec("scene: attention\ntrace: runs/scene.mlanim\n"
                        "render: {backend: matplotlib, quality: low, duration: 1, "
                        "formats: [png]}\n", "replay.yaml")
    (png,) = pipeline.render(replay, pipeline.RenderOptions(), SilentProgress())
    assert png.stat().st_size > 1000


BAD_INPUT = [
    ("show: {example: \"3 1 x 4 5\"}", "show.example", "not in the vocabulary"),
    ("show: {example: \"3 1 4 1 5 9 2\"}", "show.example", "trained on 5"),
    ("model: {d_model: 30, heads: 4}", "model", "does not divide"),
    ("task: {name: text, corpus: \"  \"}", "task.corpus", "empty"),
    ("task: {name: text, corpus: \"abc abc\"}", "task.corpus", "too short"),
    ("task: {name: text, corpus_path: missing.txt}", "corpus", "not found"),
    ("show: {heads: [0, 5]}", "show.heads", "lacks"),
    ("show: {focus: [3, 0]}", "show.focus", "layer"),
    ("train: {optimizer: {lr: -1}}", "train.optimizer.lr", "greater than 0"),
    ("show: {views: [heatmaps, qkv]}", "show.views", "did you mean 'heatmap'"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_INPUT,
                         ids=[b[2].replace(" ", "-") for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_located_line(write_spec, render_fails, line, key,
                                                 message):
    text = ("scene: attention\ntask: {name: reverse, length: 5}\n" + line + "\n"
            if not line.startswith("task") else "scene: attention\n" + line + "\n")
    error = render_fails(write_spec(text))
    assert message in error and key in error, error


def test_a_trace_recorded_for_another_scene_is_refused(write_spec, render_fails, tmp_path):
    result = CliRunner().invoke(app, ["trace", str(write_spec()), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output  # conftest's decision_boundary scene
    error = render_fails(write_spec("scene: attention\ntrace: r/scene.mlanim\n", "att.yaml"))
    assert "recorded for scene decision_boundary" in error and "att.yaml:2:" in error
