"""watch_overhead: a user's own loop with ``mlanim.watch(model, every=50)`` against the same loop
bare. Target: at most 1.10x; with ``live=True`` and the live page open in headless Chromium,
at most 1.15x.

The loop: the small CNN of examples/record_your_own.py on scikit-learn's 1,797 digits, a
DataLoader of batches of 32 (shuffled with a seeded generator), Adam, 6 epochs (342 steps).
Recorded: every step, the loss and each layer's gradient norm and |gradient| histogram; every
50 steps and at each epoch's end, a snapshot of 256 probe rows (class probabilities, the
embedding layer, dead ReLU units), appended to the run's file as it goes. Live: the page of
``gradient_flow`` open from the first snapshot on, rebuilt by the server at each snapshot it
is told of (the page asks as soon as the run changes). Beside it, the floor of any live page:
the bare loop with a page open that only shows one picture and replaces it once a second.

Run: .venv/bin/python benchmarks/watch_overhead.py
"""

from __future__ import annotations

import io
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import numpy as np
import torch
from _common import interleaved_medians, print_machine, stopwatch
from PIL import Image
from record_your_own import DigitsCNN
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import mlanim

EPOCHS = 6
REPEATS = 5
LIVE_EPOCHS = 40
"""A live page watches runs of minutes: its fixed costs (a builder process starting, the
browser loading plotly) are measured over 2,280 steps (about 6 s here), not 342."""


def loader() -> DataLoader:
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    return DataLoader(TensorDataset(x, torch.tensor(digits.target)), batch_size=32,
                      shuffle=True, generator=torch.Generator().manual_seed(0))


def train(data: DataLoader, watched: bool, browser=None, epochs: int = EPOCHS,
          floor: str | None = None) -> float:
    """Seconds for the whole loop (recorder included, saving not); with ``browser``, live
    with its page open, or (``floor``, a page's address) bare with that page open."""
    torch.manual_seed(0)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    live = ["gradient_flow"] if browser is not None and floor is None else False
    rec = mlanim.watch(model, every=50, optimizer=optimizer, live=live) if watched else None
    page = None
    with stopwatch() as elapsed:
        for _ in range(epochs):
            for xb, yb in data:
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if rec is not None:
                    rec.step(loss, x=xb, y=yb)
                address = rec.live.address if rec is not None and rec.live else floor
                if browser is not None and page is None and address:
                    page = browser.new_page()
                    page.goto(address, wait_until="commit")
            if rec is not None:
                rec.epoch()
    if rec is not None:
        rec.close()
    if page is not None:
        page.close()
    return elapsed[0]


FLOOR_PAGE = b"""<!doctype html><meta charset="utf-8">
<body style="margin:0;background:#0d1117"><img id="p" src="/0.png" alt="">
<script>let k = 0; setInterval(() => { k = (k + 1) % 4;
document.getElementById("p").src = "/" + k + ".png"; }, 1000);</script>"""


def floor_server() -> ThreadingHTTPServer:
    """Serves the least a live page could be: one 854x480 picture, replaced once a second
    (four pictures in turn). Whatever a live page shows, its browser does at least this."""
    pictures = []
    for k in range(4):
        pixels = np.full((480, 854, 3), 13, np.uint8)
        pixels[80:400, 60 + 40 * k:460 + 40 * k] = (88, 166, 255)
        encoded = io.BytesIO()
        Image.fromarray(pixels).save(encoded, "PNG")
        pictures.append(encoded.getvalue())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.strip("/").removesuffix(".png")
            body, kind = ((FLOOR_PAGE, "text/html") if not name else
                          (pictures[int(name)], "image/png") if name.isdigit() and
                          int(name) < len(pictures) else (b"", "text/plain"))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    print_machine()
    data = loader()
    b, w = interleaved_medians(lambda: train(data, False), lambda: train(data, True), REPEATS)
    print(f"{EPOCHS * len(data)} steps of a {sum(p.numel() for p in DigitsCNN().parameters()):,}"
          "-weight CNN, batches of 32")
    print(f"bare loop       {b * 1000:8.1f} ms (median of {REPEATS})")
    print(f"mlanim.watch    {w * 1000:8.1f} ms")
    print(f"watch_overhead: {w / b:.2f}x (target 1.10x)")
    chromium = shutil.which("chromium")
    if chromium is None:
        print("live: skipped (no chromium; make browser installs it)")
        return
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import CHROMIUM_ARGS

    server = floor_server()
    floor = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        b, live = interleaved_medians(lambda: train(data, False, epochs=LIVE_EPOCHS),
                                      lambda: train(data, True, browser, LIVE_EPOCHS), 3)
        fb, least = interleaved_medians(
            lambda: train(data, False, epochs=LIVE_EPOCHS),
            lambda: train(data, False, browser, LIVE_EPOCHS, floor=floor), 3)
        browser.close()
    server.shutdown()
    print(f"{LIVE_EPOCHS * len(data)} steps:")
    print(f"bare loop       {b * 1000:8.1f} ms (median of 3)")
    print(f"watch live=True {live * 1000:8.1f} ms, the page open")
    print(f"watch_overhead live: {live / b:.2f}x (target 1.15x)")
    print(f"bare loop       {fb * 1000:8.1f} ms, beside a page of one picture replaced each "
          f"second: {least * 1000:.1f} ms")
    print(f"live page floor: {least / fb:.2f}x (what any live page costs here, at least)")


if __name__ == "__main__":
    main()
