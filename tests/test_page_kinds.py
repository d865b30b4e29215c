"""Every kind's page, used in headless Chromium as a reader would: it asks for nothing but
itself and logs no error; moved to a step (in each of its views), the figure draws that
step's data; a point it can hover shows its recorded numbers; a 3-D view draws and turns.
And what a page shows at snapshot k is the trace's snapshot k, not a blend of two."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pytest

from mlanim import pipeline, scenes
from mlanim.draw.hover_text import written
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import SilentProgress
from tests.conftest import SMALL_KINDS
from tests.test_page import payload, typed

pytest.importorskip("plotly")
FEATURE_SPACE_3D = """
    scene: feature_space
    data: {name: wine}
    model: {hidden: [8, 3]}
    train: {epochs: 5}
    """
CASES = [*sorted(SMALL_KINDS), "feature_space_3d"]
GL_TYPES = {"surface", "scatter3d", "mesh3d"}


@pytest.fixture(scope="module")
def cases(small_traces, tmp_path_factory) -> dict:
    """The small traces of every kind, and one of a 3-unit feature space."""
    folder = tmp_path_factory.mktemp("pages")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANIM_CACHE_DIR", str(folder / "cache"))
        path = folder / "feature_space_3d.yaml"
        path.write_text(FEATURE_SPACE_3D)
        loaded = pipeline.load(path)
        extra = (loaded.spec, pipeline.obtain_trace(loaded, loaded.spec, False,
                                                    SilentProgress()))
    return {**small_traces, "feature_space_3d": extra}


def write_page(case: str, cases: dict, folder: Path) -> tuple[Path, object, object]:
    """The page of a case's trace (low quality, 6 s), with its spec and trace."""
    spec, trace = cases[case]
    kind = scenes.get(spec.scene)
    render = spec.render.model_copy(update={"quality": "low", "duration": 6.0})
    spec = spec.model_copy(update={"render": render})
    video, theme = VideoSettings.from_spec(spec.render), load_theme("dark")
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    path = folder / f"{case}.html"
    kind.page(spec, trace, video, theme, path, derived)
    return path, spec, trace


def open_page(browser, path: Path, width: int = 1100, height: int = 760):
    """The page opened in a new tab, with the requests it makes and the errors it logs."""
    page = browser.new_page(viewport={"width": width, "height": height})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame !== undefined")
    return page, requests, errors


DRAWN = """() => document.getElementById('plot')._fullData.map(t => ({
    type: t.type, x: t.x === undefined ? null : Array.from(t.x, Number)}))"""


def expected_traces(data: dict, k: int) -> list[dict]:
    """The traces the page's data says step ``k`` draws, in drawing order."""
    return [*data["below"], *data["frames"][k]["data"], *data["above"]]


def assert_draws_step(page, data: dict, k: int) -> None:
    """The live figure's traces are step ``k``'s, number for number (float32 on the page)."""
    page.evaluate(f"window.mlanimShow({k}).then(() => true)")  # drawn
    assert page.evaluate("+document.getElementById('plot').dataset.frame") == k
    assert page.inner_text("#moment") == data["labels"][k]
    drawn, expected = page.evaluate(DRAWN), expected_traces(data, k)
    assert [t["type"] for t in drawn] == [t["type"] for t in expected]
    for shown, trace in zip(drawn, expected, strict=True):
        if isinstance(trace.get("x"), dict):
            want = typed(trace["x"]).astype(np.float64)
            got = np.array([np.nan if v is None else v for v in shown["x"]], np.float64)
            assert np.allclose(got, want, equal_nan=True), trace["type"]


def hover_texts(trace: dict) -> list[str]:
    """The texts a trace shows on hover: its own, or its template read with its numbers
    (as the browser formats them, `hover_text.fixed`)."""
    if trace.get("text"):
        return list(trace["text"])
    if "customdata" not in trace:
        return []
    numbers = typed(trace["customdata"]).reshape(-1, *map(int, trace["customdata"]
                                                            .get("shape", "0,1")
                                                            .split(",")[1:]))
    template = trace["hovertemplate"].removesuffix("<extra></extra>")
    return [written(template, row) for row in numbers]


HOVER = """async ([curve, point]) => { const gd = document.getElementById('plot');
    for (let tries = 0; tries < 10; tries++) {  // a step may still be laying out
      Plotly.Fx.unhover(gd);
      Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: point}]);
      const shown = Array.from(document.querySelectorAll('.hovertext'))
        .map(e => e.textContent);
      if (shown.length) { return shown; }
      await new Promise(done => setTimeout(done, 100));
    }
    return []; }"""


def assert_hover_shows_its_text(page, data: dict, k: int) -> bool:
    """Hovering a point of step ``k`` shows its text: one point of a trace carrying texts,
    and one of a trace carrying a template and numbers, where the step has them; False when
    it has neither."""
    checked = set()
    for curve, trace in enumerate(expected_traces(data, k)):
        texts, form = hover_texts(trace), "customdata" in trace
        if not texts or trace["type"] in GL_TYPES or form in checked:
            continue
        if trace["type"] == "heatmap":  # plotly 7 hovers a heatmap's cells only by mouse
            shown, want = hovered_cell(page, curve, trace, texts)
        else:
            point, want = len(texts) // 2, texts[len(texts) // 2]
            shown = page.evaluate(HOVER, [curve, point])
        seen = page.evaluate("c => { const t = document.getElementById('plot')._fullData[c];"
                             " return [t.type, t.visible, t.hoverinfo, t.uid]; }", curve)
        assert shown and html.unescape(want) in shown[0], (shown, want, seen, curve)
        checked.add(form)
    return bool(checked)


def hovered_cell(page, curve: int, trace: dict, texts: list) -> tuple[list[str], str]:
    """The label shown with the mouse resting on a heatmap's middle cell, and the text the
    page holds for the cell plotly says it hovered."""
    row, col = len(texts) // 2, len(texts[0]) // 2
    at = page.evaluate("""([x, y]) => { const gd = document.getElementById('plot');
        const L = gd._fullLayout, r = gd.querySelector('.main-svg').getBoundingClientRect();
        const s = r.width / L.width;
        return [r.left + (L.xaxis._offset + L.xaxis.l2p(x)) * s,
                r.top + (L.yaxis._offset + L.yaxis.l2p(y)) * s]; }""",
                       [trace["x0"] + col * trace["dx"], trace["y0"] + row * trace["dy"]])
    page.mouse.move(*at)
    page.wait_for_timeout(300)
    shown = page.evaluate("Array.from(document.querySelectorAll('.hovertext'))"
                          ".map(e => e.textContent)")
    hovered = page.evaluate("() => (document.getElementById('plot')._hoverdata || [])"
                            ".map(d => [d.curveNumber, d.pointNumber])")
    assert hovered and hovered[0][0] == curve, hovered
    r, c = hovered[0][1]
    return shown, texts[r][c]


def assert_turns(page) -> None:
    """The first 3-D scene draws (its pixels vary) and a drag turns its camera."""
    centre = page.evaluate("""() => { const gd = document.getElementById('plot');
        const L = gd._fullLayout, d = L.scene.domain;
        const r = gd.querySelector('.main-svg').getBoundingClientRect();
        const s = r.width / L.width;  // the page scales the figure to the window
        return [r.left + (d.x[0] + d.x[1]) / 2 * L.width * s,
                r.top + (1 - (d.y[0] + d.y[1]) / 2) * L.height * s]; }""")
    from io import BytesIO

    from PIL import Image

    shot = page.screenshot(clip={"x": centre[0] - 60, "y": centre[1] - 60, "width": 120,
                                 "height": 120})
    assert np.asarray(Image.open(BytesIO(shot)).convert("L"), float).std() > 5  # not blank
    eye = ("() => Object.values(document.getElementById('plot')"
           "._fullLayout.scene._scene.getCamera().eye)")
    page.wait_for_timeout(500)  # a scene still drawing a step puts its camera back
    before = page.evaluate(eye)
    page.mouse.move(*centre)
    page.mouse.down()
    page.mouse.move(centre[0] + 60, centre[1] + 10, steps=5)
    page.mouse.up()
    assert not np.allclose(page.evaluate(eye), before)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_every_kinds_page_is_used_in_a_browser(case, cases, browser, tmp_path):
    path, _, _ = write_page(case, cases, tmp_path)
    data = payload(path)
    page, requests, errors = open_page(browser, path)
    views = data["views"] or [{"name": None, "start": 0, "end": len(data["frames"]) - 1}]
    hovered = False
    for view in views:
        if view["name"]:
            page.evaluate("name => window.mlanimView(name)", view["name"])
        k = (view["start"] + view["end"]) // 2
        assert_draws_step(page, data, k)
        hovered = assert_hover_shows_its_text(page, data, k) or hovered
    gl = any(t["type"] in GL_TYPES for t in expected_traces(data, views[-1]["end"]))
    if gl:
        assert_turns(page)
    assert hovered or gl, "nothing on the page can be hovered"
    page.keyboard.press("ArrowLeft")
    assert [url for url in requests if url != path.resolve().as_uri()] == []
    assert errors == []
    page.close()


# -- what a step shows is the trace's snapshot --------------------------------------------
def traces_of(data: dict, k: int, kind: str) -> list[dict]:
    return [t for t in expected_traces(data, k) if t["type"] == kind]


def test_a_step_of_the_3d_feature_space_is_the_recorded_snapshot(cases, tmp_path):
    path, _, trace = write_page("feature_space_3d", cases, tmp_path)
    data = payload(path)
    channel = trace.channel(next(n for n in trace.channels_with_prefix("hidden/")))
    training = len(trace.static("data/y_train"))
    assert len(data["frames"]) == len(channel.epochs)  # a step a snapshot
    for k in (1, len(channel.epochs) - 2):
        assert data["labels"][k] == f"epoch {channel.epochs[k]:g} / {channel.epochs[-1]:g}"
        cloud = traces_of(data, k, "scatter3d")[0]  # the training rows
        drawn = np.column_stack([typed(cloud[axis]) for axis in "xyz"])
        assert np.array_equal(drawn, np.asarray(channel.values[k][:training], np.float32))


def test_a_step_of_the_landscape_puts_the_path_at_the_recorded_point(cases, tmp_path):
    path, _, trace = write_page("loss_landscape", cases, tmp_path)
    data = payload(path)
    recorded = trace.static("landscape/path")
    values = trace.static("landscape/values")
    k = len(recorded) // 2
    head = traces_of(data, k, "scatter3d")[-1]  # the disc at the path's end
    assert head["mode"] == "markers"
    assert np.allclose([typed(head["x"])[0], typed(head["y"])[0]], recorded[k], atol=1e-6)
    surface = traces_of(data, k, "surface")[0]  # hover reads the recorded loss grid
    assert np.array_equal(typed(surface["customdata"]).reshape(values.shape),
                          values.astype(np.float32))
    assert "loss %{customdata:.4g}" in surface["hovertemplate"]


def test_a_step_of_the_loss_curves_ends_on_the_recorded_epoch(cases, tmp_path):
    from mlanim.scenes.loss_curves.story import train_loss_channel

    path, _, trace = write_page("loss_curves", cases, tmp_path)
    data = payload(path)
    loss = trace.channel(train_loss_channel(trace))
    k = len(loss.epochs) // 2
    ends = [float(hover_texts(t)[-1].rsplit(" at ", 1)[1]) for t in expected_traces(data, k)
            if t.get("mode") == "lines" and hover_texts(t)]
    assert ends and max(ends) == pytest.approx(float(loss.epochs[k]))
    assert data["labels"][k].split(" / ")[0].endswith(f" {loss.epochs[k]:g}")


def test_a_row_hovered_on_the_boundary_page_says_its_recorded_prediction(cases, tmp_path):
    path, _, trace = write_page("decision_boundary", cases, tmp_path)
    data = payload(path)
    probs = np.asarray(trace.values("outputs/probabilities"), np.float64)  # (S, rows, K)
    names = trace.meta["dataset"]["class_names"]
    k = len(probs) // 2
    texts = {text.split(" · ")[0]: text for t in expected_traces(data, k)
             for text in hover_texts(t) if "predicted" in text}
    for row in (0, len(texts) // 3):
        guess = int(probs[k, row].argmax())
        assert texts[f"training row {row}"].endswith(
            f"predicted {names[guess]} ({probs[k, row, guess]:.2f})")
