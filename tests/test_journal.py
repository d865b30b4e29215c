"""A run written as it goes: readable after any crash, up to its last whole snapshot, and the
same trace as ``rec.save()`` writes once it finishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import mlanim
from mlanim.errors import DataError, UsageError
from mlanim.trace import load_trace
from mlanim.trace.journal import MAGIC, is_journal
from tests.conftest import moons


def _run(path: Path | None, epochs: int = 3, stop_after: int | None = None,
         save: bool = True) -> mlanim.recording.Watch:
    """A user's loop on moons with ``watch(path=...)``; stops (unsaved) after
    ``stop_after`` steps when given, else saves when ``save``."""
    torch.manual_seed(0)
    x, y = moons(96)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    rec = mlanim.watch(model, every=4, optimizer=optimizer, path=path)
    steps = 0
    for _ in range(epochs):
        for rows in torch.arange(len(x)).split(16):
            loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rec.step(loss, x=x[rows], y=y[rows])
            steps += 1
            if steps == stop_after:
                return rec
        rec.epoch()
    if save:
        rec.save()
    return rec


def _same(a, b) -> None:
    assert a.channel_names == b.channel_names
    for name in a.channel_names:
        one, two = a.channel(name), b.channel(name)
        np.testing.assert_array_equal(one.values, two.values, err_msg=name)
        np.testing.assert_array_equal(one.steps, two.steps, err_msg=name)
        np.testing.assert_array_equal(one.epochs, two.epochs, err_msg=name)
    assert a.static_names == b.static_names
    for name in a.static_names:
        np.testing.assert_array_equal(a.static(name), b.static(name), err_msg=name)


def test_a_run_is_readable_while_it_records_and_its_file_becomes_the_saved_trace(tmp_path):
    path = tmp_path / "runs" / "mine.mlanim"
    rec = _run(path, stop_after=13)
    assert is_journal(path)
    partial = load_trace(path)
    assert partial.meta["unfinished"]["steps"] == 12  # the last whole snapshot: step 12
    assert list(partial.channel("grid/output").steps) == [4, 6, 8, 12]  # 6: rec.epoch()
    assert len(partial.static("flow/norms")) == 12  # step summaries up to that snapshot
    rec.close()
    finished_path = tmp_path / "runs" / "whole.mlanim"
    _run(finished_path)
    assert not is_journal(finished_path)
    finished = load_trace(finished_path)
    assert "unfinished" not in finished.meta
    assert finished.meta["steps"] == 18 and finished.meta["unit"] == "epoch"


def test_the_file_read_before_save_holds_what_save_writes(tmp_path):
    path = tmp_path / "run.mlanim"
    rec = _run(path, epochs=3, save=False)
    from_file = load_trace(path)
    from_memory = rec._trace()
    _same(from_file, from_memory)
    meta = dict(from_file.meta)
    meta.pop("unfinished")
    assert json.dumps(meta, sort_keys=True, default=str) == \
        json.dumps(from_memory.meta, sort_keys=True, default=str)


def test_a_cut_or_damaged_record_is_never_read(tmp_path):
    path = tmp_path / "run.mlanim"
    _run(path, epochs=6, stop_after=30).close()
    whole = path.read_bytes()
    every = list(load_trace(path).channel("grid/output").steps)
    counts = []
    for end in range(len(whole) - 1, len(MAGIC), -max(1, len(whole) // 97)):
        path.write_bytes(whole[:end])
        try:
            trace = load_trace(path)
        except DataError as error:
            assert "holds no snapshot yet" in error.message
            counts.append(0)
            continue
        snapshots = trace.channel("grid/output").steps
        assert list(snapshots) == every[: len(snapshots)]
        counts.append(len(snapshots))
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == len(every) - 1 and counts[-1] == 0  # the last record was cut
    damaged = bytearray(whole)
    damaged[len(whole) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert len(load_trace(path).channel("grid/output").steps) < len(every)


def test_a_run_that_did_not_finish_renders_and_says_so(tmp_path, capsys):
    path = tmp_path / "run.mlanim"
    _run(path, epochs=6, stop_after=30).close()
    written = mlanim.load(path).render("loss_curves", out=tmp_path / "out", at="step=24")
    assert [p.suffix for p in written] == [".png"]
    assert "did not finish" in capsys.readouterr().err


def test_watch_never_replaces_a_file_that_is_not_a_run(tmp_path):
    notes = tmp_path / "notes.mlanim"
    notes.write_text("my notes")
    with pytest.raises(UsageError, match="not an mlanim run"):
        mlanim.watch(nn.Linear(2, 2), path=notes)
    assert notes.read_text() == "my notes"


def test_without_a_path_the_run_goes_to_the_cache_and_save_needs_one(tmp_path, capsys):
    rec = _run(None, stop_after=5)
    assert str(rec.path).startswith(str(tmp_path / "cache" / "runs"))
    assert f"recording to {rec.path}" in capsys.readouterr().err
    with pytest.raises(UsageError, match="needs a path"):
        rec.save()
    rec.save(tmp_path / "kept.mlanim")
    assert not rec.path.exists() and load_trace(tmp_path / "kept.mlanim").meta["steps"] == 5


KILLED_AT_RANDOM = """
import os, random, signal, sys, time
import torch
from torch import nn
import mlanim


def record(path, seed):
    torch.manual_seed(seed)
    x = torch.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = mlanim.watch(model, every=3, optimizer=optimizer, path=path)
    for epoch in range(12):
        for rows in torch.arange(64).split(16):
            loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rec.step(loss, x=x[rows], y=y[rows])
        rec.epoch()
    rec.save()


def has_a_record(path):
    # whether the first record is all there (13 bytes of magic, 44 of its head)
    try:
        with open(path, "rb") as handle:
            head = handle.read(13 + 44)
            return len(head) == 57 and \
                os.fstat(handle.fileno()).st_size >= 57 + int.from_bytes(head[17:25], "little")
    except OSError:
        return False


folder, runs = sys.argv[1], int(sys.argv[2])
record(os.path.join(folder, "warm.mlanim"), 0)  # torch imports its optimizers' parts lazily
started = time.monotonic()
record(os.path.join(folder, "warm.mlanim"), 0)
whole = time.monotonic() - started
rng = random.Random(7)
for k in range(runs):
    child = os.fork()
    if child == 0:
        record(os.path.join(folder, f"run{k}.mlanim"), k)
        os._exit(0)
    if k % 2:  # every other run is let reach its first snapshot, however loaded the machine
        path = os.path.join(folder, f"run{k}.mlanim")
        while not has_a_record(path):
            time.sleep(0.001)
    time.sleep(rng.uniform(0.0, 1.1 * whole))  # a few finish and save
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
"""


@pytest.mark.slow
def test_a_recording_killed_at_random_points_leaves_a_readable_run(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", KILLED_AT_RANDOM, str(tmp_path), "50"], check=True,
                   env=env, timeout=600)
    read, empty = [], 0
    for k in range(50):
        if not (tmp_path / f"run{k}.mlanim").exists():  # killed before its first snapshot
            empty += 1
            continue
        try:
            trace = load_trace(tmp_path / f"run{k}.mlanim")
        except DataError as error:
            assert "holds no snapshot yet" in error.message, error.message
            empty += 1
            continue
        steps = trace.channel("grid/output").steps
        assert len(trace.static("flow/norms")) >= steps[-1]
        read.append((len(steps), k))
    assert {k for _, k in read} >= set(range(1, 50, 2)), empty
    read.sort()
    for _, k in (read[0], read[len(read) // 2], read[-1]):
        out = mlanim.load(tmp_path / f"run{k}.mlanim").render(
            "gradient_flow", out=tmp_path / f"out{k}", formats=["png"])
        assert [p.suffix for p in out] == [".png"]


def test_a_run_over_the_input_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "run.mlanim"
    _run(path, epochs=6, stop_after=30).close()
    assert load_trace(path).meta["unfinished"]
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "0.05")  # the run holds more than 50 KB
    with pytest.raises(DataError, match=r"holds over 0\.05 MB of recording"):
        load_trace(path)


def test_a_record_whose_header_lies_about_its_arrays_is_refused(tmp_path):
    import hashlib

    from mlanim.trace.journal import RECORD

    header = json.dumps({"arrays": [{"role": "static", "name": "x", "dtype": "<f4",
                                     "shape": [10**6]}], "state": {}}).encode()
    payload = len(header).to_bytes(4, "little") + header + b"\0" * 16
    path = tmp_path / "run.mlanim"
    path.write_bytes(MAGIC + RECORD + len(payload).to_bytes(8, "little")
                     + hashlib.sha256(payload).digest() + payload)
    with pytest.raises(DataError, match="a record of this run is malformed"):
        load_trace(path)


def test_save_never_replaces_a_file_that_is_not_a_run(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    rec = _run(tmp_path / "run.mlanim", epochs=1, save=False)
    with pytest.raises(UsageError, match="not an mlanim run"):
        rec.save(notes)
    assert notes.read_text() == "my notes"
    assert load_trace(rec.save(tmp_path / "kept.mlanim").path).meta["steps"] == 6


def test_a_run_whose_metadata_claims_a_huge_layer_is_refused(tmp_path):
    from mlanim.trace.journal import JournalWriter, Record

    path = tmp_path / "run.mlanim"
    writer = JournalWriter(path)
    writer.append(Record(state={"meta": {"model": {"widths": [2, 10**9, 2]}}}))
    writer.close()
    with pytest.raises(DataError, match=r"declares model\.widths\.1 = 1000000000"):
        load_trace(path)


def test_a_page_of_an_unfinished_run_is_drawn_from_it_and_workers_get_a_copy_as_read(
        tmp_path, monkeypatch):
    """A live page is built at every change of a run: drawn from the file as read, not from
    a copy saved into the cache each time (a save took half a build). Worker processes, which
    read a file, get the run kept as it was read."""
    from mlanim.pipeline import shared_path

    monkeypatch.setenv("MLANIM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "run.mlanim"
    _run(path, epochs=3, stop_after=13).close()
    page = mlanim.load(path).render("gradient_flow", out=tmp_path / "page", formats=["html"])
    assert page[0].stat().st_size > 10_000
    assert not (tmp_path / "cache" / "unfinished").exists()
    read = load_trace(path)
    held = shared_path(read)
    assert held is not None and held != path and held.parent.name == "unfinished"
    kept = load_trace(held)
    assert "unfinished" not in kept.meta or kept.meta["unfinished"] == read.meta["unfinished"]
    _same(kept, read)
    finished = tmp_path / "whole.mlanim"
    _run(finished)
    assert shared_path(load_trace(finished)) == finished


@pytest.mark.slow
def test_worker_processes_draw_an_unfinished_run_as_this_process_does(tmp_path, monkeypatch):
    """The frames as painted, before the (lossy) encoder: a decoded video hides where two
    paintings differ, and the encoder spreads a one-pixel difference over a frame."""
    from mlanim.encode.video import AvWriter

    monkeypatch.setenv("MLANIM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "run.mlanim"
    _run(path, epochs=3, stop_after=13).close()
    painted: list[np.ndarray] = []
    write = AvWriter.write
    monkeypatch.setattr(AvWriter, "write",
                        lambda self, frame: (painted.append(frame.copy()), write(self, frame)))
    videos = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("MLANIM_WORKERS", workers)
        painted.clear()
        mlanim.load(path).render("gradient_flow", out=tmp_path / workers, formats=["mp4"],
                                 quality="low", duration=5)
        videos[workers] = list(painted)
    assert len(videos["1"]) == len(videos["2"]) >= 60
    differing = [k for k, (one, two) in enumerate(zip(videos["1"], videos["2"], strict=True))
                 if not np.array_equal(one, two)]
    assert not differing, _where_frames_differ(videos["1"], videos["2"], differing)
    assert (tmp_path / "cache" / "unfinished").is_dir()  # the workers read the kept copy


def _where_frames_differ(one: list[np.ndarray], two: list[np.ndarray],
                         differing: list[int]) -> str:
    first = differing[0]
    rows, columns = np.nonzero((one[first] != two[first]).any(axis=-1))
    most = np.abs(one[first].astype(int) - two[first]).max()
    return (f"{len(differing)} frames differ, first {differing[:5]}; frame {first}: "
            f"{rows.size} pixels in rows {rows.min()}-{rows.max()}, columns "
            f"{columns.min()}-{columns.max()}, by at most {most}")


def _fresh(path: Path):
    """The run at ``path`` read as a new process would: from its start."""
    from mlanim.trace import journal

    journal._READINGS.clear()
    return load_trace(path)


def _decoded(monkeypatch) -> list[int]:
    """A count of the records decoded from now on."""
    from mlanim.trace import journal

    count = [0]
    original = journal.decode_record

    def counted(path, payload):
        count[0] += 1
        return original(path, payload)

    monkeypatch.setattr(journal, "decode_record", counted)
    return count


def test_a_growing_run_read_again_reads_only_its_new_records(tmp_path, monkeypatch):
    """A live page reads its run at every change: the records read before are not read
    again, and what comes out is what a reading from the start gives."""
    short, long, path = tmp_path / "short.mlanim", tmp_path / "long.mlanim", tmp_path / "r"
    _run(short, epochs=6, stop_after=13).close()
    _run(long, epochs=6, stop_after=33).close()
    assert long.read_bytes().startswith(short.read_bytes())  # the same run, further on
    path.write_bytes(short.read_bytes())
    first = load_trace(path)
    decoded = _decoded(monkeypatch)
    with path.open("ab") as grown:  # appended, as the recorder does
        grown.write(long.read_bytes()[len(short.read_bytes()):])
    again = load_trace(path)
    everything = _fresh(path)
    assert decoded[0] == everything.meta["unfinished"]["records"] * 2 - \
        first.meta["unfinished"]["records"]  # the new records, then all of them afresh
    _same(again, everything)
    assert again.meta == everything.meta and again.digest == everything.digest


@pytest.mark.parametrize("change", ["rewritten", "damaged in place", "cut"])
def test_a_run_file_changed_otherwise_is_read_from_its_start(tmp_path, change):
    path, long = tmp_path / "run.mlanim", tmp_path / "long.mlanim"
    _run(path, epochs=6, stop_after=25).close()
    _run(long, epochs=6, stop_after=33).close()
    read = load_trace(path)
    whole = bytearray(path.read_bytes())
    if change == "rewritten":  # another run at the path: the record read last differs
        whole = bytearray(long.read_bytes())
        whole[_record_starts(path.read_bytes())[-1] + 20] ^= 0xFF  # its checksum
    elif change == "damaged in place":  # same size, a byte of an early record flipped
        whole[len(MAGIC) + 100] ^= 0xFF
    else:
        whole = whole[: len(whole) // 2]
    with path.open("r+b") as same_file:  # the same file (inode), as an editor would leave it
        same_file.write(bytes(whole))
        same_file.truncate(len(whole))
    if change == "damaged in place":
        os.utime(path, ns=(1, 1))  # a write within the second may not move the time
    after = load_trace(path) if change != "damaged in place" else None
    if change == "damaged in place":
        with pytest.raises(DataError):
            load_trace(path)  # its first record is damaged: nothing whole to read
        return
    fresh = _fresh(path)
    _same(after, fresh)
    assert after.meta["unfinished"] == fresh.meta["unfinished"] != read.meta["unfinished"]


def _record_starts(whole: bytes) -> list[int]:
    """Where each record of a run's bytes starts."""
    from mlanim.trace.journal import HEAD

    starts, at = [], len(MAGIC)
    while at + HEAD <= len(whole):
        starts.append(at)
        at += HEAD + int.from_bytes(whole[at + 4: at + 12], "little")
    return starts


class Killed(BaseException):
    """Stands for a SIGKILL at one point of a recording's start."""


def test_a_run_killed_while_its_file_is_created_leaves_nothing_under_its_name(tmp_path,
                                                                             monkeypatch):
    """A run's file appears under its name with its first bytes whole: created empty there,
    a run killed before they were written left a file that read as no mlanim run at all
    (CI's random kills hit it once in a few hundred)."""
    from mlanim.trace import journal

    def killed(*_: object) -> None:
        raise Killed

    monkeypatch.setattr(journal.os, "replace", killed)
    path = tmp_path / "run.mlanim"
    with pytest.raises(Killed):
        journal.JournalWriter(path)
    assert not path.exists()
    left = list(tmp_path.iterdir())
    assert [p.name.startswith(".") for p in left] == [True]  # hidden
    assert left[0].read_bytes() == MAGIC
    monkeypatch.undo()
    dead = left[0].with_name(left[0].name.replace(str(os.getpid()), str(_a_dead_pid())))
    left[0].rename(dead)
    writer = journal.JournalWriter(path)
    assert path.read_bytes() == MAGIC and is_journal(path)
    assert not dead.exists()  # a dead run's leftover is removed by the next run in its folder
    writer.close()


def _a_dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)
