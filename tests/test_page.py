"""The html format: one self-contained page of a run, painted from the same pictures as the
video, its numbers as typed arrays, every text escaped; and, in headless Chromium, a page that
asks for nothing but itself, moves with its slider and shows no console error."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mlanim import pipeline, scenes
from mlanim.cli import app
from mlanim.draw import display as d
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.scenes.picture_scene import on_snapshots
from tests.conftest import SMALL_SCENE

pytest.importorskip("plotly")
PAGE_SCENE = SMALL_SCENE.replace("formats: [mp4]", "formats: [html]")


def payload(page: Path) -> dict:
    """The data block of a page, each frame's pooled items looked up."""
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="mlanim-data">(.*?)</script>',
                      text, re.S)
    assert found, "no data block"
    data = json.loads(found.group(1))
    pool = data.pop("pool")
    for key in ("below", "above", "notes", "boxes"):
        data[key] = [pool[i] for i in data[key]]
    for frame in data["frames"]:
        for key in ("data", "notes", "boxes"):
            frame[key] = [pool[i] for i in frame[key]]
    return data


def typed(value: dict) -> np.ndarray:
    """A typed array of the page back as numpy."""
    dtype = {"f4": np.float32, "i4": np.int32, "u1": np.uint8}[value["dtype"]]
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)


def render_page(spec: Path, out: Path) -> Path:
    result = CliRunner().invoke(app, ["render", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return next(out.glob("*.html"))


def test_a_page_holds_the_videos_pictures_as_typed_arrays(write_spec, tmp_path):
    spec = write_spec(PAGE_SCENE)
    page = render_page(spec, tmp_path / "out")
    data = payload(page)
    loaded = pipeline.load(spec)
    video = VideoSettings.from_spec(loaded.spec.render)
    kind = scenes.get(loaded.spec.scene)
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, pipeline.SilentProgress())
    story = kind.story(loaded.spec, trace, video, load_theme("dark"))
    shown = on_snapshots(story, loaded.spec.render.page.frames)  # a step a snapshot: 0 to 6
    assert len(data["frames"]) == len(shown) == 7 and data["labels"][-1] == "epoch 6 / 6"
    assert data["labels"][3] == "epoch 3 / 6"
    last = kind.compose(story, shown[-1])
    strokes = [s for s in last.shapes if isinstance(s, d.Line | d.Polyline)]
    expected = np.concatenate([[s.start[0], s.end[0]] if isinstance(s, d.Line)
                               else [p[0] for p in s.points] for s in strokes])
    drawn = np.concatenate([typed(t["x"]) for t in data["frames"][-1]["data"]
                            if t["type"] == "scatter" and t["mode"] == "lines"])
    assert np.allclose(drawn[np.isfinite(drawn)], expected, atol=1e-6)  # float32 on the page
    assert "http" not in data.get("layout", {}).get("images", "")


def test_every_text_from_a_spec_is_escaped(write_spec, tmp_path):
    rows = "\n".join(f"{i % 7},{i % 5},{'<script>alert(1)</script>' if i % 2 else 'b&b'}"
                     for i in range(60))
    (tmp_path / "evil.csv").write_text("a,b,label\n" + rows + "\n")
    spec = write_spec(PAGE_SCENE.replace(
        "data: {name: moons, n_samples: 120, noise: 0.2}",
        "data: {name: csv, path: evil.csv, target: label}").replace(
        'title: "Test moons"', 'title: "</script><script>alert(2)</script>"'))
    text = render_page(spec, tmp_path / "out").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "</script><script>alert(2)" not in text
    notes = [n["text"] for f in payload(next((tmp_path / "out").glob("*.html")))["frames"]
             for n in f["notes"]]
    background = payload(next((tmp_path / "out").glob("*.html")))["notes"]
    texts = notes + [n["text"] for n in background]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in texts)


def test_html_with_at_is_refused_in_one_line(write_spec, tmp_path):
    spec = write_spec(PAGE_SCENE)
    result = CliRunner().invoke(app, ["render", str(spec), "--at", "0.5", "--format", "html"])
    assert result.exit_code == 2 and "--at writes a still" in result.output


def test_html_without_plotly_names_the_extra(write_spec, tmp_path, monkeypatch):
    import mlanim.extras

    monkeypatch.setattr(mlanim.extras, "installed", lambda module: module != "plotly")
    result = CliRunner().invoke(app, ["render", str(write_spec(PAGE_SCENE)), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2 and "mlanim[html]" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- in a real browser (conftest's `browser`) --------------------------------------------


@pytest.mark.slow
def test_the_page_moves_with_its_slider_and_asks_for_nothing(write_spec, tmp_path, browser):
    page_file = render_page(write_spec(PAGE_SCENE), tmp_path / "out").resolve()
    data = payload(page_file)
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda dialog: errors.append("a dialog opened: " + dialog.message))
    page.goto(page_file.as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame !== undefined")
    k = 2
    page.evaluate(f"window.mlanimShow({k})")
    assert page.inner_text("#moment") == data["labels"][k]
    assert page.inner_text("#caption") == data["captions"][k]
    drawn = page.evaluate("""() => document.getElementById('plot')._fullData
        .filter(t => t.mode === 'lines').map(t => Array.from(t.x).length)""")
    expected = [len(typed(t["x"])) for t in data["below"] + data["frames"][k]["data"]
                + data["above"] if t.get("mode") == "lines"]
    assert drawn == expected
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.getElementById('plot').dataset.frame") == str(k + 1)
    assert [url for url in requests if url != page_file.as_uri()] == []
    assert errors == []


def test_a_page_shows_inline_in_a_notebook_in_a_sandboxed_frame(write_spec, tmp_path):
    from mlanim.api import Rendered

    page = render_page(write_spec(PAGE_SCENE), tmp_path / "out")
    shown = Rendered([page])._repr_html_()
    assert shown.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in shown
    assert "<script>" not in shown  # the page is escaped inside the attribute


def test_past_max_points_a_page_samples_each_class_evenly_and_says_so():
    from mlanim.draw.paint_html import HtmlPainter

    video = VideoSettings(640, 360, 15, 1.0, True, None)
    painter = HtmlPainter(video, load_theme("dark"), max_points=100)
    colors = np.repeat([[1.0, 0, 0], [0, 0, 1.0]], [300, 100], axis=0)
    scatter = d.Scatter(np.random.default_rng(0).random((400, 2)), 2.0, colors,
                        hover=tuple(f"row {i}" for i in range(400)))
    (disc,) = painter._scatter(scatter)  # one template: the discs show their own texts
    shown = sorted(int(row) for row in disc["customdata"][:, 0])
    assert disc["hovertemplate"].startswith("row %{customdata[0]")
    assert 90 <= len(shown) <= 110 and painter.sampled == (len(shown), 400)
    red = sum(1 for i in shown if i < 300)
    assert red / len(shown) == pytest.approx(0.75, abs=0.05)  # each class keeps its share


@pytest.mark.slow
def test_on_a_phone_the_page_fits_and_hover_shows_a_rows_numbers(write_spec, tmp_path,
                                                                  browser):
    page_file = render_page(write_spec(PAGE_SCENE), tmp_path / "out").resolve()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(page_file.as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame !== undefined")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    x, y, row = page.evaluate("""() => {
        const dots = Array.from(document.querySelectorAll('#plot path.point'))
          .filter(e => e.closest('.trace').__data__[0].trace.customdata);
        const dot = dots[Math.floor(dots.length / 2)], box = dot.getBoundingClientRect();
        const trace = dot.closest('.trace').__data__[0].trace;
        return [box.left + box.width / 2, box.top + box.height / 2,
                trace.customdata[dot.__data__.i][0]];
    }""")
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    shown = page.evaluate("Array.from(document.querySelectorAll('.hovertext'))"
                          ".map(e => e.textContent)")
    assert shown and shown[0].startswith((f"training row {row:.0f} ", f"held-out row {row:.0f} "))
    assert "predicted class" in shown[0]


@pytest.mark.slow
def test_a_kind_told_in_views_has_a_tab_each_with_its_own_slider(write_spec, tmp_path,
                                                                   browser):
    spec = write_spec("scene: tree_growth\ndata: {name: moons, n_samples: 150}\n"
                      "model: {max_depth: 3}\nrender: {quality: low, duration: 4, "
                      "formats: [html]}\n")
    page_file = render_page(spec, tmp_path / "out").resolve()
    views = payload(page_file)["views"]
    assert [v["name"] for v in views] == ["split", "grow", "path", "depth"]
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.goto(page_file.as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame !== undefined")
    page.click("#views button:text-is('grow')")
    grow = views[1]
    assert page.evaluate("[+document.getElementById('slider').min, "
                         "+document.getElementById('slider').max]") == [grow["start"],
                                                                        grow["end"]]
    assert page.inner_text("#moment") == "depth 3 / 3"
    page.keyboard.press("ArrowRight")  # the last of the view: the slider stays in it
    assert page.evaluate("+document.getElementById('plot').dataset.frame") == grow["end"]


def test_an_image_with_cell_texts_gets_a_hover_layer_over_it():
    from mlanim.draw.paint_html import HtmlPainter

    video = VideoSettings(640, 360, 15, 1.0, True, None)
    texts = np.array([["a → a: 0.900", "a → b: 0.100"], ["b → a: 0.300", "b → b: 0.700"]])
    image = d.Image((0.1, 0.2, 0.4, 0.4), np.zeros((2, 2, 3)), hover=texts)
    traces, _, _ = HtmlPainter(video, load_theme("dark")).parts([image])
    assert [t["type"] for t in traces] == ["image", "heatmap"]
    cells = traces[1]
    assert cells["text"] == [["b → a: 0.300", "b → b: 0.700"], ["a → a: 0.900", "a → b: 0.100"]]
    assert cells["opacity"] == 0 and cells["x0"] == pytest.approx(0.2)  # a cell's centre
