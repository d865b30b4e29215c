"""Many specs on worker processes (`--jobs`): the same files as one at a time, reported in the
specs' order, each failure on its own line, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SMALL_SCENE

pytestmark = pytest.mark.slow  # renders batches on worker processes


def mlanim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlanim", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def three_specs(write_spec) -> list[str]:
    return [str(write_spec(SMALL_SCENE.replace("seed: 3", f"seed: {seed}"), f"s{seed}.yaml"))
            for seed in (1, 2, 3)]


def test_two_workers_write_what_one_process_writes_in_the_same_order(write_spec, tmp_path):
    specs = three_specs(write_spec)
    serial = mlanim("render", *specs, "-q", "-f", "mp4,png", "--out", "one", "--jobs", "1",
                    cwd=tmp_path)
    parallel = mlanim("render", *specs, "-q", "-f", "mp4,png", "--out", "two", "--jobs", "2",
                      cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 0, parallel.stderr
    assert parallel.stdout.splitlines() == [f"two/s{k}.{ext}" for k in (1, 2, 3)
                                            for ext in ("mp4", "png")]
    assert serial.stdout.replace("one/", "two/") == parallel.stdout
    for name in (f"s{k}.{ext}" for k in (1, 2, 3) for ext in ("mp4", "png")):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_failing_spec_reports_its_own_line_and_the_others_finish(write_spec, tmp_path):
    good = three_specs(write_spec)
    bad = str(write_spec("scene: decision_boundary\ntrain: {epochs: 0}\n", "bad.yaml"))
    done = mlanim("render", good[0], bad, good[1], "-q", "-f", "png", "--out", "o", "-j", "2",
                  cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == ["o/s1.png", "o/s2.png"]
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("mlanim: error: ")
    assert "bad.yaml:2" in errors[0]
    assert "Traceback" not in done.stderr


def test_ctrl_c_stops_every_worker_and_leaves_no_output(write_spec, tmp_path):
    slow = SMALL_SCENE.replace("epochs: 6", "epochs: 20000")
    specs = [str(write_spec(slow.replace("seed: 3", f"seed: {k}"), f"slow{k}.yaml"))
             for k in (1, 2)]
    started = subprocess.Popen([sys.executable, "-m", "mlanim", "render", *specs, "-q",
                                "--out", "o", "-j", "2"], cwd=tmp_path, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # as a terminal's foreground command, even when this suite runs
                               # in the background (where SIGINT is ignored and inherited)
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(8)  # both workers are training by now
    os.killpg(started.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, stderr = started.communicate(timeout=60)
    assert started.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())
    assert not _group_alive(started.pid), "a worker outlived the interrupted render"


def _group_alive(group: int, seconds: float = 10.0) -> bool:
    """Whether any process of ``group`` is still there after ``seconds`` (multiprocessing's
    resource tracker lingers a moment as a zombie after its parent exits)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.2)
    return True
