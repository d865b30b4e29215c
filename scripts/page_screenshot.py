"""Redraw the README's pictures of pages, opened in headless Chromium:

- docs/img/page_quickstart.png: the quickstart's page, its slider at two thirds of the run and
  the pointer resting on a point of the loss curve, so the hover label shows;
- docs/img/page_landscape.png: the loss landscape's page, its surface turned with the mouse
  and the pointer resting on it.

Run: .venv/bin/python scripts/page_screenshot.py   (needs mlanim[html], playwright, chromium)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from mlanim import pipeline

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
ON_CURVE = """() => { const gd = document.getElementById('plot');
  const trace = gd._fullData.find(t => t.customdata && t.mode === 'lines');
  const k = Math.floor(trace.x.length * 0.6), box = gd.getBoundingClientRect();
  return [box.left + gd._fullLayout.xaxis.l2p(trace.x[k]),
          box.top + gd._fullLayout.yaxis.l2p(trace.y[k])]; }"""
SCENE_CENTRE = """() => { const gd = document.getElementById('plot');
  const L = gd._fullLayout, d = L.scene.domain;
  const box = gd.querySelector('.main-svg').getBoundingClientRect();
  return [box.left + (d.x[0] + d.x[1]) / 2 * L.width,
          box.top + (1 - (d.y[0] + d.y[1]) / 2) * L.height]; }"""


def page_of(spec: str, folder: Path) -> Path:
    options = pipeline.RenderOptions(out_dir=folder, formats=("html",),
                                     overrides={"quality": "low"})
    (page_file,) = pipeline.render(ROOT / "scenes" / spec, options)
    return page_file


def opened(browser, page_file: Path) -> Page:
    page = browser.new_page(viewport={"width": 870, "height": 560})
    page.goto(page_file.as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame")
    page.evaluate("window.mlanimShow(Math.round(document.getElementById('slider')"
                  ".max * 2 / 3))")
    page.wait_for_timeout(400)
    return page


def quickstart(browser, folder: Path) -> Path:
    page = opened(browser, page_of("quickstart.yaml", folder))
    page.mouse.move(*page.evaluate(ON_CURVE))
    page.wait_for_timeout(400)
    target = ROOT / "docs" / "img" / "page_quickstart.png"
    page.screenshot(path=str(target))
    return target


def landscape(browser, folder: Path) -> Path:
    page = opened(browser, page_of("landscape_moons.yaml", folder))
    x, y = page.evaluate(SCENE_CENTRE)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 70, y + 12, steps=8)  # turn the surface
    page.mouse.up()
    page.wait_for_timeout(400)
    page.mouse.move(x - 30, y + 20)
    page.wait_for_timeout(600)
    target = ROOT / "docs" / "img" / "page_landscape.png"
    page.screenshot(path=str(target))
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for shot in (quickstart, landscape):
            print(shot(browser, Path(folder)))
        browser.close()


if __name__ == "__main__":
    main()
