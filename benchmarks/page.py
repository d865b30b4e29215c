"""page: the html format's size and speed, measured in headless Chromium (Debian's, driven by
playwright), side by side for two pages:

1. the quickstart's page: at most 8 MB with plotly's script; first frame drawn within 3 s of
   opening; one slider step redrawn in under 100 ms (median, `performance.now()` in the page);
2. the 10,000-sample x 45-epoch embedding page (PCA, the digits MLP of embedding_umap): at
   most 20 MB, open within 5 s, a slider step under 250 ms, with `render.page.max_points`
   points shown (the page says how many of how many);
3. the loss landscape's page (contour and a 3-D surface the reader turns, WebGL in
   SwiftShader, Chromium's software renderer: a machine with a GPU draws it faster); no
   target of the issue's, measured beside the others.

Run: .venv/bin/python benchmarks/page.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine, write_spec

from mlanim import pipeline

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
STEPS = 15


def rendered(spec: Path, out: Path, **overrides: object) -> Path:
    """The spec's page (its trace from the cache or recorded now)."""
    options = pipeline.RenderOptions(out_dir=out, formats=("html",),
                                     overrides={"quality": "medium", **overrides})
    (page,) = pipeline.render(spec, options)
    return page


def measured(browser, page_file: Path) -> tuple[float, float, str]:
    """Seconds to the first frame drawn, the median ms of a slider step, and the label."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    start = time.perf_counter()
    page.goto(page_file.as_uri())
    page.wait_for_function("document.getElementById('plot').dataset.frame !== undefined")
    opened = time.perf_counter() - start
    steps = page.evaluate(f"""() => {{ const times = [];
        for (let k = 0; k < {STEPS}; k++) {{ const t = performance.now();
          window.mlanimShow(k); times.push(performance.now() - t); }}
        return times; }}""")
    label = page.inner_text("#moment")
    page.close()
    return opened, statistics.median(steps), label


def main() -> None:
    from playwright.sync_api import sync_playwright

    print_machine()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        cases = [("quickstart", rendered(ROOT / "scenes" / "quickstart.yaml", Path(folder)),
                  8, 3.0, 100),
                 ("embedding 10k x 45", rendered(write_spec(Path(folder), "method: pca"),
                                                 Path(folder), duration=10), 20, 5.0, 250),
                 ("loss landscape (3-D)", rendered(ROOT / "scenes" / "landscape_moons.yaml",
                                                   Path(folder)), None, None, None)]
        for name, page_file, mb, open_s, step_ms in cases:
            size = page_file.stat().st_size / 2**20
            opened, step, label = measured(browser, page_file)
            targets = ((f" (target <= {mb})", f" (target <= {open_s:g})",
                        f" (target < {step_ms})") if mb else ("", "", ""))
            print(f"page {name}: {size:.1f} MB{targets[0]}, first frame {opened:.2f} s"
                  f"{targets[1]}, slider step {step:.0f} ms{targets[2]}; last label: {label}")
        browser.close()


if __name__ == "__main__":
    main()
