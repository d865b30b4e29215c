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

import av
import numpy as np
import psutil
import pytest

from mlanim.trace import load_trace

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


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as box:
        return [f.to_ndarray(format="rgb24") for f in box.decode(box.streams.video[0])]


def traces(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every cached trace's arrays, by the scene it draws."""
    found = {}
    for path in sorted(cache.glob("*.mlanim")):
        trace = load_trace(path)
        found[trace.meta["scene"]] = {n: trace.values(n) for n in trace.channel_names}
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
        results[mode] = ({n: frames(folder / "out" / f"{Path(n).stem}.mp4") for n in names},
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
    values = {}
    for mode, args in (("serial", []), ("cluster", ["--cluster", address])):
        folder = tmp_path / mode
        write_specs(folder, {"land.yaml": spec})
        done = render(folder, "land.yaml", *args, "-q", "--out", "out")
        assert done.exit_code == 0, done.output
        (path,) = (folder / "cache").glob("*.mlanim")
        values[mode] = load_trace(path).static("landscape/values")
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
