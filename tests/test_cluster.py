"""--cluster: a real Dask scheduler and two single-threaded workers, each in its own folder,
render a batch to the same traces and frames as a serial run and --jobs 2; a worker killed
mid-task, a task that crashes once, one that always fails and Ctrl-C are survived or reported
as the spec's own error; nothing listens beyond 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from mlanim.trace import load_trace
from tests.conftest import video_frames

pytestmark = pytest.mark.slow  # starts a Dask scheduler and workers

distributed = pytest.importorskip("distributed")  # the dev extras install it: never skipped
cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

DASK = Path(sys.executable).with_name("dask")
SPECS = {
    "boundary.yaml": """\
        scene: decision_boundary
        seed: 3
        data: {name: moons, n_samples: 120}
        model: {hidden: [8]}
        train: {epochs: 3, batch_size: 16}
        show: {resolution: 30}
        render: {quality: low, duration: 1.0, formats: [mp4]}
        """,
    "seeds.yaml": """\
        scene: loss_curves
        seeds: 2
        data: {name: iris}
        model: {hidden: [6]}
        train: {epochs: 4}
        render: {quality: low, duration: 1.0, formats: [mp4]}
        """,
}
SLOW = """\
scene: decision_boundary
data: {name: moons, n_samples: 400}
model: {hidden: [32, 32]}
train: {epochs: 100, batch_size: 8}
render: {quality: low, duration: 1.0, formats: [mp4]}
"""


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers on 127.0.0.1, each worker in its own folder with its own
    trace cache; stopped by process group at the end."""
    root = tmp_path_factory.mktemp("dask")
    local = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    started = [subprocess.Popen(
        [str(DASK), "scheduler", "--port", "0", "--scheduler-file", str(root / "s.json"),
         *local], cwd=root, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)]
    _wait(lambda: (root / "s.json").exists(), 30, "the scheduler did not start")
    address = json.loads((root / "s.json").read_text())["address"]
    for name in ("w1", "w2"):
        folder = root / name
        folder.mkdir()
        started.append(subprocess.Popen(
            [str(DASK), "worker", address, "--nthreads", "1", "--local-directory",
             str(folder), *local], cwd=folder, start_new_session=True,
            env={**os.environ, "MLANIM_CACHE_DIR": str(folder / "cache")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    watcher = distributed.Client(address, timeout=20)
    _wait(lambda: len(watcher.scheduler_info()["workers"]) == 2, 40, "workers did not join")
    yield address, watcher, started
    from mlanim import cluster as mlanim_cluster

    mlanim_cluster.disconnect()  # the clients the in-process renders opened
    watcher.close()
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def render(monkeypatch):
    """``mlanim render ARGS`` in a folder (with its own trace cache), in this process."""
    from typer.testing import CliRunner

    from mlanim.cli import app

    def run(folder: Path, *args: str):
        monkeypatch.chdir(folder)
        monkeypatch.setenv("MLANIM_CACHE_DIR", str(folder / "cache"))
        monkeypatch.delenv("MLANIM_CLUSTER", raising=False)
        return CliRunner().invoke(app, ["render", *args])

    return run


def spawn(folder: Path, *args: str, **kwargs) -> subprocess.Popen:
    """``mlanim render ARGS`` as a process of its own, in ``folder``."""
    return subprocess.Popen([sys.executable, "-m", "mlanim", "render", *args], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MLANIM_CACHE_DIR": str(folder / "cache")},
                            **kwargs)


def write_specs(folder: Path, specs: dict[str, str]) -> list[str]:
    import textwrap

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in specs.items():
        (folder / name).write_text(textwrap.dedent(text))
    return list(specs)


def traces(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every cached trace's arrays, by the scene it draws."""
    found = {}
    for path in sorted(cache.glob("*.mlanim")):
        trace = load_trace(path)
        arrays = {n: trace.values(n) for n in trace.channel_names}
        found[trace.meta["scene"]] = (trace.static("landscape/values") if "landscape/values"
                                      in trace else arrays)
    return found


def test_a_batch_renders_alike_serially_on_two_processes_and_on_the_cluster(cluster, tmp_path,
                                                                          render):
    address, _, _ = cluster
    results = {}
    for mode, args in (("serial", ["-j", "1"]), ("jobs", ["-j", "2"]),
                       ("cluster", ["--cluster", address])):
        folder = tmp_path / mode
        names = write_specs(folder, SPECS)
        done = render(folder, *names, *args, "-q", "--out", "out")
        assert done.exit_code == 0, done.output
        assert done.stdout.split() == ["out/boundary.mp4", "out/seeds.mp4"]
        results[mode] = ({n: video_frames(folder / "out" / f"{Path(n).stem}.mp4") for n in names},
                         traces(folder / "cache"))
    serial_frames, serial_traces = results["serial"]
    assert set(serial_traces) == {"decision_boundary", "loss_curves"}
    for mode in ("jobs", "cluster"):
        other_frames, other_traces = results[mode]
        for name, video in serial_frames.items():
            assert len(video) == len(other_frames[name]) == 15
            assert all((a == b).all() for a, b in zip(video, other_frames[name], strict=True))
        assert other_traces.keys() == serial_traces.keys()  # the cluster's traces came back
        for scene, arrays in serial_traces.items():
            for name, values in arrays.items():
                np.testing.assert_array_equal(values, other_traces[scene][name], err_msg=name)


def test_a_rerun_reuses_what_finished_and_workers_report_progress(cluster, tmp_path, render):
    address, watcher, _ = cluster
    heard: list[str] = []
    watcher.subscribe_topic("mlanim-progress", lambda event: heard.append(str(event[1])))
    names = write_specs(tmp_path, SPECS)
    first = render(tmp_path, *names, "--cluster", address, "-q", "--out", "out")
    assert first.exit_code == 0, first.output
    watcher.unsubscribe_topic("mlanim-progress")
    assert any(line.startswith("boundary.yaml: drawing") for line in heard), heard
    written = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    watcher.run(_doom, "boundary.yaml")  # were it rendered again, it would fail
    again = render(tmp_path, *names, "--cluster", address, "-q", "--out", "out")
    watcher.run(_doom, "")
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()} == written


def test_one_video_is_drawn_in_frame_ranges_by_the_workers(cluster, tmp_path, render):
    address, watcher, _ = cluster
    spec = SPECS["boundary.yaml"].replace("duration: 1.0", "duration: 4.0")  # 60 frames
    videos = {}
    for mode, args in (("serial", []), ("cluster", ["--cluster", address])):
        folder = tmp_path / mode
        write_specs(folder, {"long.yaml": spec})
        done = render(folder, "long.yaml", *args, "-q", "--out", "out")
        assert done.exit_code == 0, done.output
        videos[mode] = video_frames(folder / "out" / "long.mp4")
    assert len(videos["serial"]) == len(videos["cluster"]) == 60
    assert all((a == b).all() for a, b in zip(videos["serial"], videos["cluster"], strict=True))
    assert any(watcher.run(_has_drawn_frames).values())


def _has_drawn_frames() -> bool:
    from mlanim import pipeline

    return bool(pipeline._remote_drawing)


def test_the_files_a_spec_names_travel_with_it(cluster, tmp_path, render):
    address, _, _ = cluster
    rng = np.random.default_rng(0)
    points = rng.normal(size=(80, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(a * b > 0)}" for a, b in points)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "quadrants.csv").write_text("x1,x2,label\n" + rows + "\n")
    csv_spec = SPECS["boundary.yaml"].replace(
        "data: {name: moons, n_samples: 120}",
        "data: {name: csv, path: data/quadrants.csv, target: label}")
    names = write_specs(tmp_path, {"csv.yaml": csv_spec, "boundary.yaml": SPECS["boundary.yaml"]})
    done = render(tmp_path, *names, "--cluster", address, "-q", "--out", "out")
    assert done.exit_code == 0, done.output
    assert done.stdout.split() == ["out/csv.mp4", "out/boundary.mp4"]
    (trace,) = [load_trace(p) for p in (tmp_path / "cache").glob("*.mlanim")
                if load_trace(p).meta["dataset"]["name"] == "csv"]
    assert trace.meta["dataset"]["n_train"] == 60  # the file's 80 rows, a quarter held out


def test_one_spec_sends_its_landscape_rows_to_the_cluster(cluster, tmp_path, render):
    address, watcher, _ = cluster
    spec = """\
        scene: loss_landscape
        data: {name: moons, n_samples: 160}
        model: {hidden: [6]}
        train: {epochs: 6, optimizer: {name: sgd, lr: 0.2}}
        landscape: {resolution: 31}
        render: {quality: low, duration: 1.0, formats: [png]}
        """
    values, runs = {}, {}
    for mode, args in (("serial", []), ("cluster", ["--cluster", address])):
        folder = tmp_path / mode
        write_specs(folder, {"land.yaml": spec, "seeds.yaml": SPECS["seeds.yaml"]})
        for name in ("land.yaml", "seeds.yaml"):  # one spec at a time: its parts are sent
            done = render(folder, name, *args, "-q", "--out", "out")
            assert done.exit_code == 0, done.output
        found = traces(folder / "cache")
        values[mode] = found["loss_landscape"]
        runs[mode] = found["loss_curves"]
    for name, array in runs["serial"].items():  # the seeds' runs, trained on the workers
        np.testing.assert_array_equal(array, runs["cluster"][name], err_msg=name)
    np.testing.assert_array_equal(values["serial"], values["cluster"])
    computed_there = watcher.run(_has_evaluated_a_plane)
    assert any(computed_there.values()), computed_there


def _has_evaluated_a_plane() -> bool:
    from mlanim.analysis import landscape

    return bool(landscape._chosen)  # a chunk size was measured: grid rows were evaluated


def test_a_worker_killed_mid_task_does_not_stop_the_batch(cluster, tmp_path):
    address, watcher, _ = cluster
    names = write_specs(tmp_path, {"slow.yaml": SLOW, **SPECS})
    command = spawn(tmp_path, *names, "--cluster", address, "-q", "--out", "out")

    def busy_worker() -> str | None:
        for worker, keys in watcher.processing().items():
            if any("mlanim-render" in str(k) for k in keys):
                return worker
        return None

    _wait(lambda: busy_worker() is not None, 60, "no render task started")
    time.sleep(0.5)  # inside the slow spec's training
    worker = busy_worker()
    pid = watcher.run(os.getpid, workers=[worker])[worker]
    os.kill(pid, signal.SIGKILL)
    out, err = command.communicate(timeout=180)
    assert command.returncode == 0, err
    assert out.split() == ["out/slow.mp4", "out/boundary.mp4", "out/seeds.mp4"]
    _wait(lambda: len(watcher.scheduler_info()["workers"]) == 2, 60, "the worker came back")


def _crash_once_per_worker() -> None:
    """Runs on each worker: the next render task there raises, the ones after succeed."""
    import mlanim.package

    original = mlanim.package.render_package

    def flaky(package):
        mlanim.package.render_package = original
        raise RuntimeError("a fault that passes")

    mlanim.package.render_package = flaky


def _doom(name: str) -> None:
    """Runs on each worker: rendering the spec called ``name`` always raises."""
    import mlanim.package

    original = getattr(mlanim.package, "_original", mlanim.package.render_package)
    mlanim.package._original = original

    def doomed(package):
        if package.name == name:
            raise RuntimeError("this spec breaks every worker")
        return original(package)

    mlanim.package.render_package = doomed


def test_a_task_that_crashes_once_is_retried(cluster, tmp_path, render):
    address, watcher, _ = cluster
    watcher.run(_crash_once_per_worker)
    names = write_specs(tmp_path, SPECS)
    done = render(tmp_path, *names, "--cluster", address, "-q", "--out", "out")
    assert done.exit_code == 0, done.output
    assert done.stdout.split() == ["out/boundary.mp4", "out/seeds.mp4"]


def test_a_task_that_always_fails_reports_its_spec_and_the_others_finish(cluster, tmp_path,
                                                                          render):
    address, watcher, _ = cluster
    watcher.run(_doom, "doomed.yaml")
    names = write_specs(tmp_path, {"doomed.yaml": SPECS["boundary.yaml"], **SPECS})
    done = render(tmp_path, *names, "--cluster", address, "-q", "--out", "out")
    watcher.run(_doom, "")  # no spec is doomed any more
    assert done.exit_code == 1
    assert done.stdout.split() == ["out/boundary.mp4", "out/seeds.mp4"]
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("mlanim: error:")]
    assert "doomed.yaml: internal fault on the cluster: RuntimeError: this spec breaks every " \
           "worker" in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "doomed.mp4").exists()


def test_ctrl_c_cancels_the_tasks_and_leaves_no_output(cluster, tmp_path):
    address, watcher, _ = cluster
    names = write_specs(tmp_path, {"slow.yaml": SLOW, "other.yaml": SLOW.replace(
        "epochs: 100", "epochs: 101")})
    command = spawn(tmp_path, *names, "--cluster", address, "-q", "--out", "out",
                    start_new_session=True,
                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait(lambda: any(watcher.processing().values()), 60, "no task started")
    os.killpg(command.pid, signal.SIGINT)
    _, err = command.communicate(timeout=60)
    assert command.returncode != 0
    assert "Traceback" not in err
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())
    _wait(lambda: not any(watcher.processing().values()), 30, "tasks were not cancelled")


def test_nothing_listens_beyond_localhost(cluster):
    _, _, started = cluster
    ours = set()
    for process in started:
        parent = psutil.Process(process.pid)
        ours.update(p.pid for p in [parent, *parent.children(recursive=True)])
    listening = [c for c in psutil.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in ours]
    assert listening, "the cluster listens somewhere"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, render):
    names = write_specs(tmp_path, SPECS)
    done = render(tmp_path, *names, "--cluster", "tcp://127.0.0.1:9", "-q")
    assert done.exit_code == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr


def test_files_with_any_name_travel_and_key_the_same_trace_everywhere(cluster, tmp_path,
                                                                      render):
    address, _, _ = cluster
    rows = "\n".join(f"{a / 10:.2f},{(a * 7) % 10 / 10:.2f},{a % 2}" for a in range(80))
    (tmp_path / "d #1.csv").write_text("x1,x2,label\n" + rows + "\n")
    (tmp_path / "x: y.csv").write_text("x1,x2,label\n,0.5,1\n" + rows + "\n")
    base = SPECS["boundary.yaml"]
    write_specs(tmp_path, {
        "hash.yaml": base.replace("data: {name: moons, n_samples: 120}",
                                  "data: {name: csv, path: 'd #1.csv', target: label}"),
        "colon.yaml": base.replace("data: {name: moons, n_samples: 120}",
                                   "data: {name: csv, path: 'x: y.csv', target: label}")})
    done = render(tmp_path, "hash.yaml", "colon.yaml", "--cluster", address, "-q", "--out",
                  "out")
    assert done.exit_code == 2, done.output
    assert done.stdout.split() == ["out/hash.mp4"]
    assert "x: y.csv:2: column 'x1' has a missing value" in done.stderr  # its own name
    assert "_files" not in done.stderr and "mlanim-task-" not in done.stderr
    here = {p.name for p in (tmp_path / "cache").glob("*.mlanim")}
    _, watcher, _ = cluster
    workers = set().union(*watcher.run(_cached_names).values())
    assert here and here <= workers  # one key for one spec's trace, wherever it is made


def _cached_names() -> list[str]:
    from mlanim.trace.cache import cached_traces

    return [path.name for path in cached_traces()]
