"""Watching a run while it trains: its page, served to this machine only, growing as it does.

`LiveServer` serves the run at a path (a run being written as it goes, or a finished trace) on
the loopback address, on a free port, from a daemon thread of the standard library's
``http.server``. Every request must carry the random token of the address it printed and a
``Host`` of this machine; it answers GET on a few fixed routes and nothing else. The page is
the same page ``--format html`` writes (the same painter, the same glue), fetched as data and
grown in place: server-sent events say when the run's file changed, and the page follows the
newest snapshot unless the viewer moved the slider.

Training never waits for a browser: the recorder only appends to its file; this server notices
(it is told, or it polls the file) and drops a client that stops reading. Pages are built in a
process of their own at a lower priority (`PageBuilder`), never in the training process: a
build holds the interpreter for a second or so, which a thread there would take from training.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mlanim.errors import UsageError, UserError

POLL_SECONDS = 0.25
"""How often the run's file is looked at for changes (a recorder in this process also says
so at once)."""
MAX_STREAMS = 8
"""Pages kept up to date at once; more are refused with 503 until one closes."""
CLIENT_TIMEOUT = 10.0
"""Seconds a client may stall a write before it is dropped."""
EVENT_GAP = 0.5
"""Seconds an event stream waits after telling a change: the changes within it are told once,
with the newest state. A run snapshotting ten times a second told each one, and each cost its
page a repaint (6-9 ms of a browser's CPU, taken from training on a machine it fills)."""
KEEP_ALIVE = 15.0
"""Seconds between comments on an idle event stream (a vanished client is noticed then)."""
ENDED_GRACE = 30.0
"""Seconds the server keeps answering after the run ended (pages fetch its last state; the
process may end sooner: the server's threads do not keep it alive)."""

LIVE_FRAMES = 30
"""Pictures a page holds while its run trains (spread over the run, the newest included):
each build redraws them all, so fewer cost less beside training. Once the run ends, the page
holds as many as a written page (``render.page.frames``)."""

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                               "connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
                               "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the address carries the token
    "Cache-Control": "no-store",
}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class LiveServer:
    """Serves the run at ``path`` as a live page of ``kinds`` (default: every kind the run
    can draw); `address` is the one URL that opens it."""

    def __init__(self, path: Path, kinds: Sequence[str] | None = None,
                 theme: str = "dark") -> None:
        self.path, self.theme = Path(path), theme
        self.token = secrets.token_urlsafe(32)
        self.version = 0  # bumped whenever the run's file changes
        self.ended = False
        self._steps: int | None = None  # as the recorder said, when it is in this process
        self._status: dict[str, Any] = {}
        self._kinds = list(kinds) if kinds else None
        self._changed = threading.Condition()
        self._streams = threading.BoundedSemaphore(MAX_STREAMS)
        self._open = 0  # event streams open now
        self._told_end = 0  # pages sent the end event
        self._answered_after_end = 0  # their page data sent after it
        self._build = threading.Lock()
        self._pages: dict[str, tuple[tuple[int, int, int], bytes]] = {}
        self._stamp = self._file_stamp()
        self._builder: PageBuilder | None = None  # started when a page is first asked for
        self._http = _Http(("127.0.0.1", 0), _Handler)
        self._http.live = self
        self.port = int(self._http.server_address[1])
        for target in (self._http.serve_forever, self._poll):
            threading.Thread(target=target, daemon=True, name="mlanim-live").start()

    @property
    def address(self) -> str:
        """The page's address, token included: only whoever has it can open the page."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def kinds(self) -> list[str]:
        """The kinds the page offers: those asked for, else each kind that can draw the run."""
        if self._kinds is None:
            self._kinds = drawable(self.path)
        return self._kinds

    def changed(self, steps: int | None = None) -> None:
        """Say that the run's file has grown (a recorder in this process calls this, with
        the steps recorded so far)."""
        with self._changed:
            self._stamp = self._file_stamp()
            self._steps = steps
            self.version += 1
            self._changed.notify_all()

    def moved(self, path: Path) -> None:
        """The run is now at ``path`` (saved as a finished trace): pages read it there."""
        with self._changed:
            self.path = Path(path)
        self.changed(self._steps)

    def end(self) -> None:
        """The run has ended: pages are told, and the server stops a little later."""
        with self._changed:
            self.ended = True
            self.version += 1
            self._changed.notify_all()
        timer = threading.Timer(ENDED_GRACE, self.stop)
        timer.daemon = True
        timer.start()

    def settle(self, timeout: float = ENDED_GRACE) -> None:
        """After `end`, wait (at most ``timeout`` seconds) until every open page was told
        and fetched the run's last state, so that a process ending right after its run
        leaves its pages whole."""
        with self._changed:
            self._changed.wait_for(lambda: self._open == 0 and
                                   self._answered_after_end >= self._told_end, timeout)

    def _count(self, what: str) -> None:
        with self._changed:
            setattr(self, what, getattr(self, what) + 1)
            self._changed.notify_all()

    def stop(self) -> None:
        """Stop serving now."""
        self._http.shutdown()
        self._http.server_close()
        if self._builder is not None:
            self._builder.close()

    def page(self, kind: str) -> bytes:
        """The page data of ``kind`` for the run as it is now (JSON), built once a change."""
        with self._build:
            frames = None if self.ended else LIVE_FRAMES  # an ended run's page holds them all
            stamp = (*self._file_stamp(), frames or 0)
            cached = self._pages.get(kind)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            if self._builder is None:
                self._builder = PageBuilder()
            payload = self._builder.build(self.path, kind, self.theme, frames).encode()
            self._pages[kind] = (stamp, payload)
            return payload

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version is past ``seen`` (or ``timeout``); return the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def status(self) -> dict[str, Any]:
        """What the page's status line says: snapshots so far, and whether the run ended
        (worked out once a version, however many pages ask)."""
        version = self.version
        if self._status.get("version") != version:
            self._status = {"version": version, **self._progress()}
        return self._status

    def _progress(self) -> dict[str, Any]:
        """The steps recorded (as the recorder said, else read from the file) and whether
        the run ended."""
        from mlanim.trace import load_trace

        if self._steps is not None:
            return {"steps": self._steps, "ended": self.ended}
        try:
            trace = load_trace(self.path)
        except UserError:
            return {"steps": 0, "ended": self.ended}
        return {"steps": int(trace.meta.get("steps") or 0),
                "ended": self.ended or "unfinished" not in trace.meta}

    def _poll(self) -> None:
        """Notice a file another process writes (or that this one wrote without saying:
        its steps are then read from the file)."""
        while not self.ended:
            time.sleep(POLL_SECONDS)
            if self._file_stamp() != self._stamp:
                self.changed()

    def _file_stamp(self) -> tuple[int, int]:
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0)
        return (info.st_size, info.st_mtime_ns)


def drawable(path: Path) -> list[str]:
    """The kinds that can draw the run at ``path`` (as it is now)."""
    from mlanim import scenes
    from mlanim.api import drawable_kinds
    from mlanim.trace import load_trace

    trace = load_trace(path)
    found = []
    for kind in drawable_kinds():
        with contextlib.suppress(UserError):
            scenes.get(kind).check_trace(trace)
            found.append(kind)
    return found


def build_page(path: Path, kind: str, theme: str, frames: int | None = None) -> str:
    """The data of ``kind``'s page for the run at ``path``: what ``--format html`` writes
    (holding at most ``frames`` pictures, when given)."""
    from mlanim import scenes
    from mlanim.api import Run
    from mlanim.draw.paint_html import page_payload
    from mlanim.progress import SilentProgress

    page = {"page": {"frames": frames}} if frames else {}
    settings = scenes.get(kind).live_settings() if kind in scenes.kinds() else {}
    with tempfile.TemporaryDirectory(prefix="mlanim-live-") as folder:
        written = Run(path).render(kind, out=folder, formats=["html"], theme=theme,
                                   progress=SilentProgress(), **page, **settings)
        return page_payload(Path(written[0]).read_text(encoding="utf-8"))


BUILDER_NICENESS = 10
"""How much lower the page builder's priority is than training's: on a machine whose cores
training keeps busy, the builder gets about a tenth of one."""


class PageBuilder:
    """A process that builds pages (``python -m mlanim.live``), started once and fed one
    request at a time: a JSON line in, a JSON line out."""

    def __init__(self) -> None:
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mlanim.live"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            preexec_fn=_lower_priority if hasattr(os, "nice") else None)  # before its imports
        self._lock = threading.Lock()

    def build(self, path: Path, kind: str, theme: str, frames: int | None = None) -> str:
        """The page data of ``kind`` (JSON text), or ``{"error": ...}`` saying why not."""
        request = json.dumps({"path": str(path), "kind": kind, "theme": theme,
                              "frames": frames})
        with self._lock:
            try:
                self._process.stdin.write(request.encode() + b"\n")
                self._process.stdin.flush()
                answer = self._process.stdout.readline()
            except (OSError, ValueError):
                answer = b""
        if not answer:
            return json.dumps({"error": "the page builder stopped; restart the run's page"})
        return answer.decode().rstrip("\n")

    def close(self) -> None:
        """Stop the builder (it also stops when this process ends: its input closes)."""
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        with contextlib.suppress(OSError):
            self._process.terminate()


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(BUILDER_NICENESS)


def _build_forever() -> None:
    """The builder's loop: a request a line on stdin, its page data a line on stdout."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = build_page(Path(request["path"]), request["kind"], request["theme"],
                                request.get("frames"))
        except UserError as error:
            answer = json.dumps({"error": error.message})
        except Exception as error:  # a fault here must not stop the page: it is reported
            answer = json.dumps({"error": f"the page could not be built ({error})"})
        sys.stdout.write(answer.replace("\n", " ") + "\n")
        sys.stdout.flush()


class _Http(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # connections waiting to be accepted (the default is 5)
    live: LiveServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request is no one's error: nothing on stderr."""


class _Handler(BaseHTTPRequestHandler):
    """GET on the fixed routes, with the token and a loopback ``Host``; nothing else."""

    server: _Http
    timeout = CLIENT_TIMEOUT
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        live = self.server.live
        if not self._host_allowed(live.port):
            return self._refuse(HTTPStatus.FORBIDDEN, "this server answers its own address only")
        token = query.get("token", [""])[0]
        if not hmac.compare_digest(token.encode(), live.token.encode()):
            return self._refuse(HTTPStatus.FORBIDDEN, "the address's token is missing or wrong")
        route = ROUTES.get(url.path)
        if route is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")
        route(self, live, query)

    def do_POST(self) -> None:
        self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, "this server answers GET only")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a training loop's terminal is not the server's log."""

    def _host_allowed(self, port: int) -> bool:
        """The ``Host`` names this machine with the server's port: a page elsewhere that
        rebinds its own name to 127.0.0.1 still sends its own name, and is refused."""
        return self.headers.get("Host", "") in {f"{name}:{port}" for name in LOOPBACK_NAMES}

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        self._send(status, why.encode(), "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self._headers(kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _headers(self, kind: str) -> None:
        self.send_header("Content-Type", kind)
        for name, value in HEADERS.items():
            self.send_header(name, value)

    # -- the routes ------------------------------------------------------------------------

    def _shell(self, live: LiveServer, query: dict) -> None:
        """The page: markup and style, its scripts fetched from this server."""
        from mlanim.draw.paint_html import page_document
        from mlanim.draw.theme import load_theme
        from mlanim.draw.video import VideoSettings

        kinds = live.kinds()
        kind = query.get("kind", [kinds[0] if kinds else ""])[0]
        if kind not in kinds:
            return self._refuse(HTTPStatus.NOT_FOUND, "the run draws no such kind")
        token = f"?token={live.token}"
        head = ('<link rel="icon" href="data:,">'  # no favicon request (it would carry no token)
                f'<script src="/plotly.js{token}"></script><script src="/page.js{token}"></script>')
        about = json.dumps({"kinds": kinds, "kind": kind}).replace("</", "<\\/")
        top = '<div id="kinds" role="tablist"><span id="status">waiting for the run</span></div>'
        tail = (f'<script type="application/json" id="mlanim-live">{about}</script>'
                f'<script src="/live.js{token}"></script>')
        page = page_document(f"{kind} (live)", load_theme(live.theme),
                             VideoSettings(1280, 720, 30, 1.0), head, tail, top)
        self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")

    def _script(self, body: str) -> None:
        self._send(HTTPStatus.OK, body.encode(), "text/javascript; charset=utf-8")

    def _plotly(self, live: LiveServer, query: dict) -> None:
        from plotly.offline import get_plotlyjs

        self._script(get_plotlyjs())

    def _page_js(self, live: LiveServer, query: dict) -> None:
        from mlanim.draw.paint_html import GLUE

        self._script(GLUE)

    def _live_js(self, live: LiveServer, query: dict) -> None:
        self._script(LIVE_GLUE)

    def _data(self, live: LiveServer, query: dict) -> None:
        kind = query.get("kind", [""])[0]
        if kind not in live.kinds():
            return self._refuse(HTTPStatus.NOT_FOUND, "the run draws no such kind")
        ended = live.ended
        self._send(HTTPStatus.OK, live.page(kind), "application/json")
        if ended:
            live._count("_answered_after_end")

    def _events(self, live: LiveServer, query: dict) -> None:
        """Server-sent events: ``run`` when the run's file changes, ``end`` when it ends."""
        if not live._streams.acquire(blocking=False):
            return self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "too many pages are open")
        live._count("_open")
        try:
            self.send_response(HTTPStatus.OK)
            self._headers("text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seen = -1
            while True:
                version = live.wait(seen, KEEP_ALIVE)
                if version == seen:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                    continue
                seen, status = version, live.status()
                event = "end" if status["ended"] else "run"
                self.wfile.write(f"event: {event}\ndata: {json.dumps(status)}\n\n".encode())
                self.wfile.flush()
                if event == "end":
                    live._count("_told_end")
                    return
                time.sleep(EVENT_GAP)  # what changes meanwhile is told once, as it is then
        except OSError:  # the page closed, or stalled past CLIENT_TIMEOUT: let it go
            return
        finally:
            live._streams.release()
            with live._changed:
                live._open -= 1
                live._changed.notify_all()


ROUTES = {"/": _Handler._shell, "/plotly.js": _Handler._plotly, "/page.js": _Handler._page_js,
          "/live.js": _Handler._live_js, "/data": _Handler._data, "/events": _Handler._events}
"""The server's only routes."""


LIVE_GLUE = """
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const about = JSON.parse(document.getElementById("mlanim-live").textContent);
  const status = document.getElementById("status");
  const tabs = document.getElementById("kinds");
  let update = null, loading = false, again = false, started = 0, timer = null, gap = 1000;
  let loads = 0;
  let ended = false;
  about.kinds.forEach(function (kind) {  // each kind is its own page: a link, not a script
    const button = document.createElement("button");
    button.textContent = kind;
    button.setAttribute("role", "tab");
    button.setAttribute("aria-selected", String(kind === about.kind));
    button.addEventListener("click", function () {
      location.search = "?token=" + encodeURIComponent(token) + "&kind=" +
        encodeURIComponent(kind); });
    tabs.insertBefore(button, status);
  });
  // One fetch at a time, the newest state each time, and a gap after each of at least a
  // second and of four times what the last took (its page was built then, beside training),
  // at most four seconds: the builder works about a fifth of the time, and a page is never
  // more than a few seconds behind its run.
  function load(now) {
    if (loading) { again = true; return; }
    const wait = now || ended ? 0 : started + gap - Date.now();
    if (wait > 0) { if (!timer) { timer = setTimeout(function () { timer = null; load(); },
                                                     wait); } return; }
    loading = true;
    started = Date.now();
    fetch("/data?kind=" + encodeURIComponent(about.kind) + "&token=" + encodeURIComponent(token))
      .then(function (answer) { return answer.json(); })
      .then(function (data) {
        if (data.error) {  // a run's first snapshot may not draw yet (no step recorded)
          status.textContent = (ended ? "" : "waiting for more of the run: ") + data.error;
          return; }
        if (update) { update(data); } else { update = window.mlanimPage(data); }
        document.body.dataset.frames = String(data.frames.length);
        if (ended && !again) { document.body.dataset.ended = "true"; }
      })
      .catch(function () { status.textContent = "the run's server is gone"; })
      .finally(function () {
        loading = false;
        loads += 1;  // the first also started the builder: its time says nothing of a build's
        gap = loads === 1 ? 1000 : Math.min(4000, Math.max(1000, 4 * (Date.now() - started)));
        if (again) { again = false; load(); }
      });
  }
  const events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.addEventListener("run", function (event) {
    const info = JSON.parse(event.data);
    status.textContent = "live: step " + info.steps;
    load();
  });
  events.addEventListener("end", function (event) {
    const info = JSON.parse(event.data);
    status.textContent = "the run ended at step " + info.steps + "; this page keeps it";
    ended = true;
    events.close();
    load(true);
  });
})();
"""


def serve(path: Path, kinds: Sequence[str] | None = None, theme: str = "dark") -> LiveServer:
    """Start serving the run at ``path`` and print its address (one line, on stderr)."""
    if not Path(path).exists():
        raise UsageError(f"no run at {path}", hint="name a .mlanim file being recorded")
    server = LiveServer(Path(path), kinds, theme)
    print(f"mlanim: watch the run at {server.address}", file=sys.stderr)
    return server


SETTLE_SECONDS = 15.0
"""How long ``render --live`` waits, once its run is saved, for open pages to fetch its last
state (a build takes a second or two) before it goes on to render."""


class LiveRecording:
    """A spec's own training served live (``mlanim render --live``): the recording writes
    itself as it goes (`mlanim.train.run_file`) to a run in the cache folder's ``runs/``,
    served from its first snapshot on; once saved, pages read the finished trace."""

    def __init__(self, scene: str, theme: str) -> None:
        from mlanim.trace.cache import cache_dir

        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = cache_dir() / "runs" / f"render-{scene}-{stamp}-{os.getpid()}.mlanim"
        self.scene, self.theme = scene, theme
        self.server: LiveServer | None = None

    def heard(self, steps: int) -> None:
        """A snapshot was appended: serve the run from the first, and tell its pages."""
        if self.server is None:
            self.server = serve(self.path, [self.scene], self.theme)
        self.server.changed(steps)

    def finished(self, saved: Path) -> None:
        """The run was saved at ``saved``: pages read it there, are told it ended, and the
        file written as it went is removed."""
        if self.server is not None:
            self.server.moved(saved)
            self.server.end()
            self.server.settle(SETTLE_SECONDS)
        self.path.unlink(missing_ok=True)

    def stopped(self) -> None:
        """Training stopped early (an error, Ctrl-C): pages are told; the file is kept,
        readable as a run that did not finish."""
        if self.server is not None:
            self.server.end()


@contextlib.contextmanager
def recording_live(spec: Any) -> Iterator[LiveRecording]:
    """Inside the block, the recording of ``spec`` (a scene spec) is written as it goes and
    served live, on the spec's theme."""
    from mlanim.train.run_file import written_as_it_goes

    session = LiveRecording(spec.scene, spec.render.theme)
    try:
        with written_as_it_goes(session.path, session.heard):
            yield session
    except BaseException:
        session.stopped()
        raise


if __name__ == "__main__":
    _build_forever()
