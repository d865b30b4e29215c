"""Redraw the README's picture of a page (docs/img/page_quickstart.png): the quickstart's page
opened in headless Chromium, its slider at two thirds of the run and the pointer resting on a
point of the loss curve, so the hover label shows.

Run: .venv/bin/python scripts/page_screenshot.py   (needs mlanim[html], playwright, chromium)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from mlanim import pipeline

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
POINTER = """() => { const gd = document.getElementById('plot');
  const trace = gd._fullData.find(t => t.text && t.mode === 'lines');
  const k = Math.floor(trace.x.length * 0.6), box = gd.getBoundingClientRect();
  return [box.left + gd._fullLayout.xaxis.l2p(trace.x[k]),
          box.top + gd._fullLayout.yaxis.l2p(trace.y[k])]; }"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = pipeline.RenderOptions(out_dir=Path(folder), formats=("html",),
                                         overrides={"quality": "low"})
        (page_file,) = pipeline.render(ROOT / "scenes" / "quickstart.yaml", options)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 870, "height": 560})
            page.goto(page_file.as_uri())
            page.wait_for_function("document.getElementById('plot').dataset.frame")
            page.evaluate("window.mlanimShow(Math.round(document.getElementById('slider')"
                          ".max * 2 / 3))")
            x, y = page.evaluate(POINTER)
            page.mouse.move(x, y)
            page.wait_for_timeout(400)
            target = ROOT / "docs" / "img" / "page_quickstart.png"
            page.screenshot(path=str(target))
            browser.close()
    print(target)


if __name__ == "__main__":
    main()
