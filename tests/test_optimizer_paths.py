"""optimizer_paths: each path is exactly a plain torch.optim loop; surfaces have their minima
where they should; expressions are parsed safely; bad input exits 2."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from mlanim import pipeline
from mlanim.cli import app
from mlanim.draw.surface_view import clip_polyline
from mlanim.progress import SilentProgress
from mlanim.scenes.optimizer_paths.record import GRID
from mlanim.scenes.optimizer_paths.surfaces import SURFACES, ExpressionError, parse_expression

SPEC = """\
scene: optimizer_paths
surface: {function: rosenbrock}
start: [-1.5, 2.0]
steps: 60
optimizers:
  - {name: sgd, lr: 0.001}
  - {name: momentum, lr: 0.001, momentum: 0.9}
  - {name: adam, lr: 0.05, betas: [0.8, 0.99]}
  - {name: rmsprop, lr: 0.01}
  - {name: adagrad, lr: 0.3}
render: {quality: low, duration: 1, formats: [mp4]}
"""

TORCH = {"sgd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
         "adam": (torch.optim.Adam, {"betas": (0.8, 0.99)}), "rmsprop": (torch.optim.RMSprop, {}),
         "adagrad": (torch.optim.Adagrad, {})}


def trace_of(write_spec, text=SPEC):
    loaded = pipeline.load(write_spec(text))
    return pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())


def test_paths_equal_a_plain_torch_optim_loop(write_spec):
    trace = trace_of(write_spec)
    rosenbrock = SURFACES["rosenbrock"].fn
    for i, (name, lr) in enumerate([("sgd", 0.001), ("momentum", 0.001), ("adam", 0.05),
                                    ("rmsprop", 0.01), ("adagrad", 0.3)]):
        cls, extra = TORCH[name]
        point = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
        optimizer = cls([point], lr=lr, **extra)
        expected = [point.detach().clone()]
        for _ in range(60):
            optimizer.zero_grad()
            rosenbrock(point[0], point[1]).backward()
            optimizer.step()
            expected.append(point.detach().clone())
        np.testing.assert_allclose(trace.values(f"path/{i}"), torch.stack(expected).numpy(),
                                   rtol=1e-6, atol=1e-7)  # stored as float32


@pytest.mark.parametrize("name", [n for n in SURFACES if n != "saddle"])
def test_grid_minimum_is_at_a_known_minimum(name):
    surface = SURFACES[name]
    xs, ys = np.linspace(*surface.x_range, GRID), np.linspace(*surface.y_range, GRID)
    gx, gy = np.meshgrid(xs, ys)
    values = surface.fn(torch.from_numpy(gx), torch.from_numpy(gy)).numpy()
    row, col = np.unravel_index(np.argmin(values), values.shape)
    cell = max(xs[1] - xs[0], ys[1] - ys[0])
    distance = min(np.hypot(xs[col] - mx, ys[row] - my) for mx, my in surface.minima)
    assert distance <= 2 * cell


def test_expression_compiles_to_torch():
    fn = parse_expression("x**2 + 10*y**2 - cos(pi*x) + exp(-abs(y)) / 2")
    x, y = torch.tensor(0.3), torch.tensor(-0.7)
    expected = x**2 + 10 * y**2 - torch.cos(torch.pi * x) + torch.exp(-torch.abs(y)) / 2
    assert torch.isclose(fn(x, y), expected)


@pytest.mark.parametrize("text", ["__import__('os').system('ls')", "x.real", "open('f')",
                                  "[x for x in y]", "lambda: 1", "x if y else 1", "z + 1",
                                  "sin(x, y)", "x +"])
def test_expressions_outside_the_whitelist_are_refused(text):
    with pytest.raises(ExpressionError):
        parse_expression(text)


@pytest.mark.parametrize(("yaml", "message"), [
    ("surface: {expression: \"__import__('os')\"}", "not allowed"),
    ("surface: {function: rosenbrok}", "did you mean 'rosenbrock'"),
    ("start: [5, 5]", "outside the plotted range"),
    ("surface: {function: booth, x_range: [2, 2]}", "from low to high"),
    ("optimizers: [{name: adam, lr: 0.1, momentum: 0.9}]", "takes no argument 'momentum'"),
])
def test_bad_input_exits_2(write_spec, yaml, message):
    spec = write_spec(f"scene: optimizer_paths\n{yaml}\n")
    result = CliRunner().invoke(app, ["render", str(spec)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_divergence_stops_cleanly_and_still_renders(write_spec):
    text = """\
        scene: optimizer_paths
        surface: {function: quadratic}
        steps: 50
        optimizers: [{name: sgd, lr: 0.01}, {name: sgd, lr: 0.2, label: too fast}]
        render: {quality: low, duration: 1, formats: [mp4, png]}
        """
    trace = trace_of(write_spec, text)
    calm, wild = trace.meta["optimizers"]
    assert calm["diverged_at"] is None and wild["stop"] == "diverged"
    assert wild["diverged_at"] < 50
    files = pipeline.render(write_spec(text), pipeline.RenderOptions(out_dir=Path("o")),
                            SilentProgress())
    assert all(f.stat().st_size > 0 for f in files)


def test_render_decodes(write_spec):
    (mp4,) = pipeline.render(write_spec(), pipeline.RenderOptions(out_dir=Path("o")),
                             SilentProgress())
    with av.open(str(mp4)) as box:
        assert sum(1 for _ in box.decode(video=0)) == 15


def test_clip_polyline_cuts_at_the_box_edge():
    points = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 0.5], [0.5, 0.5]])
    pieces = clip_polyline(points, (-1.0, 1.0), (-1.0, 1.0))
    assert len(pieces) == 2
    np.testing.assert_allclose(pieces[0], [[0, 0], [1, 0]])
    np.testing.assert_allclose(pieces[1], [[1, 0.5], [0.5, 0.5]])


def _clipped_one_segment_at_a_time(points, lo=-1.0, hi=1.0):
    """Liang-Barsky segment by segment, a part ending where a segment is dropped or cut."""
    pieces, current = [], []
    for a, b in itertools.pairwise(points):
        t0, t1, delta, inside = 0.0, 1.0, b - a, True
        for p, q in ((-delta[0], a[0] - lo), (delta[0], hi - a[0]),
                     (-delta[1], a[1] - lo), (delta[1], hi - a[1])):
            if p == 0:
                inside &= not q < 0
                continue
            t0, t1 = (max(t0, q / p), t1) if p < 0 else (t0, min(t1, q / p))
        if not inside or t0 > t1:
            pieces, current = pieces + [current] * bool(current), []
            continue
        start, end = a + t0 * delta, a + t1 * delta
        if current and np.abs(current[-1] - start).max() > 1e-12:
            pieces, current = [*pieces, current], []
        current = (current or [start]) + [end]
    return [np.array(p) for p in pieces + [current] * bool(current)]


def test_clipping_every_segment_at_once_cuts_where_one_at_a_time_does():
    rng = np.random.default_rng(3)
    for trial in range(500):
        points = rng.normal(0, 1.5, (int(rng.integers(2, 25)), 2))
        if trial % 3 == 0:
            points[:, trial % 2] = [0.5, -1.0, 1.0][trial % 9 // 3]  # along or on an edge
        want = _clipped_one_segment_at_a_time(points)
        got = clip_polyline(points, (-1.0, 1.0), (-1.0, 1.0))
        assert len(got) == len(want)
        for mine, theirs in zip(got, want, strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_contours_are_vector_lines_with_a_colour_bar_and_one_scale(write_spec):
    from mlanim import scenes
    from mlanim.draw import display as d
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.numbers import format_number

    text = SPEC.replace("surface: {function: rosenbrock}",
                        "surface: {expression: '0.05*x**2 + 2*y**2', x_range: [-6, 6], "
                        "y_range: [-3, 3]}").replace("start: [-1.5, 2.0]", "start: [-5, 2]")
    loaded = pipeline.load(write_spec(text))
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    kind, theme = scenes.get("optimizer_paths"), load_theme("dark")
    video = VideoSettings.from_spec(loaded.spec.render)
    picture = kind.compose(kind.story(loaded.spec, trace, video, theme), video.count - 1)
    lines = [s for s in picture.background if isinstance(s, d.Polyline) and s.color == theme.grid]
    assert len(lines) >= 10  # contour lines, drawn as vectors
    (shading,) = [s for s in picture.background if isinstance(s, d.Image) and s.box[2] > 0.2]
    _, _, w, h = shading.box
    assert w * video.width / (h * video.height) == pytest.approx(2.0, rel=1e-6)  # 12 by 6
    values = trace.static("surface/values")
    texts = {s.text for s in picture.background if isinstance(s, d.Label)}
    assert {format_number(values.min()), format_number(values.max())} <= texts


def test_inspect_names_the_scene_and_the_race(write_spec):
    from typer.testing import CliRunner

    from mlanim.cli import app

    trace = trace_of(write_spec)
    result = CliRunner().invoke(app, ["inspect", str(trace.path)])
    assert result.exit_code == 0
    first, second = result.output.splitlines()[:2]
    assert first.startswith("scene optimizer_paths") and "any that draws" not in first
    assert second.startswith("SGD lr=0.001, Momentum lr=0.001 m=0.9, Adam")
    assert "steps from (-1.5, 2)" in second
