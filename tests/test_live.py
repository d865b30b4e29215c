"""The live page: served to this machine only, refusing whatever is not its own page's
request, and growing in a browser while a user's loop trains."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import mlanim
from mlanim.live import LiveServer, build_page
from tests.conftest import fit_by_hand, moons


def _loop(rec, epochs: int, pause: float = 0.0) -> None:
    """The README's loop shape: steps, then an epoch mark (``pause`` seconds an epoch)."""
    torch.manual_seed(0)
    x, y = moons(128)
    for _ in range(epochs):
        fit_by_hand(rec.model, rec.optimizer, x, y, rec, 1, 32)
        time.sleep(pause)


def _watched(path: Path, **options):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    return mlanim.watch(model, every=4, optimizer=optimizer, path=path, **options)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server over a short recorded run."""
    path = tmp_path_factory.mktemp("live") / "run.mlanim"
    rec = _watched(path)
    _loop(rec, 2)
    rec.close()
    server = LiveServer(path, ["loss_curves"])
    yield server
    server.stop()


def _until(page, condition: str, timeout: float = 30.0) -> None:
    """Wait until the page's ``condition`` holds (polled from here: the page's policy forbids
    the string evaluation Playwright's own waiting uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({condition})"):
        assert time.monotonic() < deadline, f"never: {condition}"
        time.sleep(0.1)


def _get(server: LiveServer, target: str, host: str | None = None, method: str = "GET",
         timeout: float = 10):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    connection.putrequest(method, target, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    connection.endheaders()
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, dict(answer.getheaders()), body


def test_the_server_listens_on_loopback_only_with_a_long_random_token(served):
    assert served._http.server_address[0] == "127.0.0.1"
    assert len(served.token) >= 43 and served.token != LiveServer(served.path).token
    assert served.address.startswith(f"http://127.0.0.1:{served.port}/?token=")


@pytest.mark.parametrize(("target", "host", "method", "status"), [
    ("/", None, "GET", 403),                                    # no token
    ("/?token=wrong", None, "GET", 403),                        # a wrong token
    ("/?token={token}", "evil.example", "GET", 403),            # DNS rebinding
    ("/?token={token}", "evil.example:{port}", "GET", 403),
    ("/?token={token}", None, "POST", 405),
    ("/?token={token}", None, "PUT", 405),
    ("/../../etc/passwd?token={token}", None, "GET", 404),      # no file serving
    ("/run.mlanim?token={token}", None, "GET", 404),
    ("/data?kind=decision_boundary&token={token}", None, "GET", 404),  # a kind not served
])
def test_what_is_not_the_pages_own_request_is_refused(served, target, host, method, status):
    target = target.format(token=served.token)
    host = host.format(port=served.port) if host else None
    got, headers, _ = _get(served, target, host, method)
    assert got == status
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_its_own_requests_are_answered_with_a_policy_allowing_only_itself(served):
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}",
                 f"[::1]:{served.port}"):
        status, headers, body = _get(served, f"/?token={served.token}", host)
        assert status == 200 and b"/live.js?token=" in body
        assert "default-src 'none'; script-src 'self'" in headers["Content-Security-Policy"]
    # the first page starts its builder process: slow on a busy machine
    status, headers, body = _get(served, f"/data?kind=loss_curves&token={served.token}",
                                 timeout=90)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body.startswith(b'{"below"')


def test_two_hundred_connections_at_once_each_get_their_refusal(served):
    answers: list[int] = []

    def ask() -> None:
        answers.append(_get(served, "/?token=nope")[0])

    threads = [threading.Thread(target=ask) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [403] * 200
    assert _get(served, f"/data?kind=loss_curves&token={served.token}")[0] == 200


def test_a_stalled_page_does_not_stop_the_run(tmp_path):
    rec = _watched(tmp_path / "run.mlanim", live=["loss_curves"])
    _loop(rec, 1)
    stalled = []
    for _ in range(12):  # more than MAX_STREAMS event streams, none of them ever read
        client = socket.create_connection(("127.0.0.1", rec.live.port))
        client.sendall(f"GET /events?token={rec.live.token} HTTP/1.1\r\n"
                       f"Host: 127.0.0.1:{rec.live.port}\r\n\r\n".encode())
        stalled.append(client)
    _loop(rec, 6)
    run = rec.save()
    assert run.trace.meta["steps"] == 28
    for client in stalled:
        client.close()


@pytest.mark.slow
def test_the_readme_loop_with_live_grows_its_page_in_a_browser(tmp_path, browser, capsys):
    rec = _watched(tmp_path / "run.mlanim", live=["loss_curves", "gradient_flow"])
    _loop(rec, 1)
    address = capsys.readouterr().err.strip().splitlines()[-1].split(" at ")[-1]
    assert address == rec.live.address
    training = threading.Thread(target=_loop, args=(rec, 8, 0.6))
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(address)
    _until(page, "document.body.dataset.frames !== undefined")
    first = int(page.get_attribute("body", "data-frames"))
    training.start()
    _until(page, f"+document.body.dataset.frames > {first}", timeout=60)
    grown = page.evaluate("[+document.getElementById('slider').max, "
                          "+document.getElementById('slider').value]")
    assert grown[0] == grown[1] > 0  # the slider follows the newest snapshot
    page.evaluate("mlanimShow(0)")  # the viewer moves it: it stays where they put it
    training.join()
    rec.save()
    _until(page, "document.body.dataset.ended === 'true'")
    assert "ended" in page.inner_text("#status")
    assert page.evaluate("+document.getElementById('slider').value") == 0
    saved = json.loads(build_page(rec.path, "loss_curves", "dark"))  # the finished run's page
    assert page.evaluate("+document.body.dataset.frames") == len(saved["frames"]) > first
    page.close()
    assert not errors, errors


# -- mlanim render --live: a spec's own training ---------------------------------------------

LIVE_KINDS = ["decision_boundary", "gradient_flow", "embedding_evolution", "feature_space"]


@pytest.mark.parametrize("kind", LIVE_KINDS)
def test_a_spec_recorded_as_it_goes_leaves_the_run_it_returns(kind, write_spec):
    """What a built-in recording wrote as it went reads back as the trace it returned: every
    channel, static array and metadata key the pictures use."""
    from mlanim import pipeline
    from mlanim.inputs import SpecFiles
    from mlanim.progress import SilentProgress
    from mlanim.trace import load_trace
    from mlanim.trace.cache import cache_dir
    from mlanim.train.run_file import written_as_it_goes
    from tests.conftest import SMALL_KINDS

    loaded = pipeline.load(write_spec(SMALL_KINDS[kind]))
    _, make = pipeline.recording_of(loaded, loaded.spec,
                                    SpecFiles(loaded.resolve, cache_dir() / "files.json"))
    heard: list[int] = []
    path = Path("run.mlanim")
    with written_as_it_goes(path, heard.append) as wanted:
        trace = make(SilentProgress())
    assert wanted.taken is not None and heard == sorted(heard) and len(heard) > 2
    written = load_trace(path)
    assert written.meta["unfinished"]["steps"] == heard[-1] == trace.meta["steps"]
    assert written.channel_names == trace.channel_names
    for name in trace.channel_names:
        ours, theirs = written.channel(name), trace.channel(name)
        assert np.array_equal(ours.values, theirs.values), name
        assert np.array_equal(ours.steps, theirs.steps) and np.allclose(ours.epochs, theirs.epochs)
    assert written.static_names == trace.static_names
    for name in trace.static_names:
        assert np.array_equal(written.static(name), trace.static(name)), name
    for key, value in trace.meta.items():
        assert json.loads(json.dumps(written.meta.get(key))) == json.loads(json.dumps(value)), key


def test_a_kind_that_records_otherwise_is_refused_before_training(write_spec, tmp_path):
    from typer.testing import CliRunner

    from mlanim.cli import app
    from tests.conftest import SMALL_KINDS

    spec = write_spec(SMALL_KINDS["loss_curves"])
    result = CliRunner().invoke(app, ["render", str(spec), "--live", "--out", "out"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "loss_curves cannot be watched live" in result.output
    assert "decision_boundary" in result.output  # what can be
    assert not (tmp_path / "cache" / "runs").exists() and not Path("out").exists()


@pytest.mark.slow
def test_render_live_grows_the_specs_page_in_a_browser_then_renders(write_spec, browser):
    """The command a user types: the address on stderr, the page growing while the spec
    trains, then told the run ended, and the still written as without --live."""
    import subprocess
    import sys

    spec = write_spec(SMALL_SCENE_LONG)
    command = subprocess.Popen(
        [sys.executable, "-m", "mlanim", "render", str(spec), "--live", "-q", "--out", "out",
         "--at", "epoch=1"], stderr=subprocess.PIPE, text=True)
    line = command.stderr.readline()
    assert line.startswith("mlanim: watch the run at http://127.0.0.1:"), line
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(line.split(" at ")[-1].strip())
    # generous waits: a CI machine busy with other tests starts the page's builder slowly
    _until(page, "document.body.dataset.frames !== undefined", timeout=120)
    first = int(page.get_attribute("body", "data-frames"))
    _until(page, f"+document.body.dataset.frames > {first}", timeout=120)
    _until(page, "document.body.dataset.ended === 'true'", timeout=180)
    assert "ended" in page.inner_text("#status")
    rest = command.communicate(timeout=180)[1]
    assert command.returncode == 0, rest
    assert rest.strip() == "" and not errors, (rest, errors)
    assert Path("out/scene_at_epoch1.png").exists()
    assert not any((Path("cache") / "runs").glob("*.mlanim"))  # the saved trace is kept, not it
    page.close()


SMALL_SCENE_LONG = """\
scene: decision_boundary
seed: 3
data: {name: moons, n_samples: 200, noise: 0.2}
model: {hidden: [16, 16], activation: tanh}
train: {epochs: 600, batch_size: 8, record_every: 30, optimizer: {name: adam, lr: 0.01}}
show: {resolution: 40}
render: {quality: low, duration: 1.0}
"""


STRANGERS = ["bert", "residual_cnn", "lstm", "long_names_14", "relu_lr_50"]


@pytest.mark.parametrize("name", STRANGERS)
def test_a_strangers_run_still_training_draws_every_kind_it_offers(name, tmp_path):
    """Models nobody designed for mlanim (a tiny BERT, a residual CNN with BatchNorm, an LSTM,
    14 layers under long names, a run whose learning rate blows it up), read mid-run from
    the file they write as they go: each kind the live page offers builds without an
    error, up to the run's last whole snapshot."""
    from tests.strangers.models import trained

    path = tmp_path / f"{name}.mlanim"
    rec = trained(name, steps=35, every=10, path=path)  # read as a page reads it, mid-run
    from mlanim.live import LIVE_FRAMES, drawable

    kinds = drawable(path)
    assert {"loss_curves", "gradient_flow"} <= set(kinds), kinds
    for kind in kinds:
        page = json.loads(build_page(path, kind, "dark", LIVE_FRAMES))
        assert "error" not in page, (kind, page.get("error"))
        assert len(page["frames"]) >= (1 if name == "relu_lr_50" else 2), kind  # it blew up
    rec.close()


def test_a_page_holds_thirty_pictures_while_its_run_trains_and_all_once_it_ended(tmp_path):
    from mlanim.live import LIVE_FRAMES

    rec = _watched(tmp_path / "run.mlanim")
    _loop(rec, 40)  # a snapshot an epoch: 41 with the first
    rec.close()  # not saved: the file is as a run still training leaves it
    server = LiveServer(tmp_path / "run.mlanim", ["loss_curves"])
    try:
        training = json.loads(server.page("loss_curves"))
        server.end()
        ended = json.loads(server.page("loss_curves"))
    finally:
        server.stop()
    assert len(training["frames"]) == LIVE_FRAMES < len(ended["frames"])


def test_a_page_build_paints_no_frame_and_imports_no_painter(tmp_path):
    """The builder makes a page at every change of a run: it composes pictures for the page's
    painter and paints no raster frame (which cost a matplotlib figure, its import, and a
    fifth of a first build)."""
    import subprocess
    import sys

    rec = _watched(tmp_path / "run.mlanim")
    _loop(rec, 2)
    rec.close()
    probe = ("import sys; from pathlib import Path; from mlanim.live import build_page; "
             f"page = build_page(Path({str(tmp_path / 'run.mlanim')!r}), 'gradient_flow', "
             "'dark', 30); print(len(page), 'mlanim.draw.paint_mpl' in sys.modules, "
             "'matplotlib.pyplot' in sys.modules, 'mlanim.draw.paint_manim' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    size, *painters = done.stdout.split()
    assert int(size) > 10_000 and painters == ["False", "False", "False"]


def test_a_burst_of_snapshots_is_told_once_a_gap_with_the_newest_state(tmp_path):
    """A run that snapshots ten times a second does not make its pages repaint ten times a
    second: changes within `EVENT_GAP` are told once, with the newest steps; the end is told
    all the same."""
    from mlanim.live import EVENT_GAP

    rec = _watched(tmp_path / "run.mlanim")
    _loop(rec, 1)
    rec.close()
    server = LiveServer(tmp_path / "run.mlanim", ["loss_curves"])
    client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        client.sendall(f"GET /events?token={server.token} HTTP/1.1\r\n"
                       f"Host: 127.0.0.1:{server.port}\r\n\r\n".encode())
        started = time.monotonic()
        for steps in range(1, 41):  # 40 snapshots in about 0.4 s
            server.changed(steps)
            time.sleep(0.01)
        time.sleep(EVENT_GAP * 2)
        server.end()
        told = b""
        while b"event: end" not in told:
            told += client.recv(65536)
        took = time.monotonic() - started
    finally:
        client.close()
        server.stop()
    runs = [json.loads(line[len(b"data: "):]) for line in told.split(b"\n")
            if line.startswith(b"data: ")]
    assert 2 <= len(runs) <= 2 + took / EVENT_GAP
    assert len(runs) < 10  # of 42 changes, each told before
    assert runs[-2]["steps"] == 40 and runs[-1]["ended"]
