"""Input from a stranger: files a spec names are keyed by content in the cache and must be
regular files within a cap; traces are checked whole (sizes, shapes, types, checksums) before
anything is decompressed; a damaged cache entry is recorded again, a damaged trace refused."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mlanim import pipeline
from mlanim.errors import UserError
from mlanim.progress import SilentProgress
from mlanim.trace import TraceWriter, load_trace

CSV_SPEC = """\
scene: decision_boundary
seed: 1
data: {name: csv, path: data.csv, target: y}
model: {hidden: [4]}
train: {epochs: 2, batch_size: 16}
show: {resolution: 20}
render: {quality: low, duration: 0.5, formats: [png]}
"""


def write_csv(folder: Path, seed: int) -> None:
    rows = np.random.default_rng(seed).normal(size=(40, 2))
    text = "a,b,y\n" + "".join(f"{a:.4f},{b:.4f},{int(a + b > 0)}\n" for a, b in rows)
    (folder / "data.csv").write_text(text)


def trace_of(spec: Path, progress=None):
    loaded = pipeline.load(spec)
    return pipeline.obtain_trace(loaded, loaded.spec, False, progress or SilentProgress())


def test_same_spec_text_with_other_data_is_another_trace(tmp_path):
    traces = []
    for name, seed in (("one", 0), ("two", 1)):
        folder = tmp_path / name
        folder.mkdir()
        write_csv(folder, seed)
        (folder / "scene.yaml").write_text(CSV_SPEC)
        traces.append(trace_of(folder / "scene.yaml"))
    assert traces[0].meta["spec_hash"] != traces[1].meta["spec_hash"]
    first, second = (t.static("data/x_train") for t in traces)
    assert not np.allclose(first, second)


def test_a_data_file_edited_in_place_is_recorded_again(tmp_path):
    write_csv(tmp_path, 0)
    (tmp_path / "scene.yaml").write_text(CSV_SPEC)
    before = trace_of(tmp_path / "scene.yaml").meta["spec_hash"]
    assert trace_of(tmp_path / "scene.yaml").meta["spec_hash"] == before  # unchanged: cached
    write_csv(tmp_path, 3)
    assert trace_of(tmp_path / "scene.yaml").meta["spec_hash"] != before


def corrupt_member(path: Path, member: str, change) -> None:
    """Rewrite ``member`` of the zip at ``path`` through ``change`` (bytes -> bytes), keeping
    the zip itself valid (so only the trace's own checksums can notice)."""
    with zipfile.ZipFile(path) as box:
        members = {name: box.read(name) for name in box.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as box:
        for name, data in members.items():
            box.writestr(name, data)


def nan_into(data: bytes) -> bytes:
    array = np.load(io.BytesIO(data), allow_pickle=False)
    array = array.astype(np.float64) if array.dtype.kind != "f" else array.copy()
    array.flat[0] = np.nan
    buffer = io.BytesIO()
    np.save(buffer, array.astype(np.load(io.BytesIO(data)).dtype))
    return buffer.getvalue()


def test_a_damaged_cache_entry_is_recorded_again_and_said_so(write_spec):
    spec = write_spec()
    trace = trace_of(spec)
    member = next(n for n in zipfile.ZipFile(trace.path).namelist() if n.endswith("steps.npy"))
    corrupt_member(trace.path, member, lambda data: data[:-8] + b"\x00" * 8)
    progress = SilentProgress()
    again = trace_of(spec, progress)
    assert any("damaged" in w and "recording it again" in w for w in progress.warnings)
    assert again.path == trace.path
    load_trace(again.path)  # the new entry is whole


def test_a_damaged_trace_of_the_user_s_is_refused_in_one_line(write_spec, render_fails,
                                                               tmp_path):
    trace = trace_of(write_spec())
    mine = tmp_path / "mine.mlanim"
    mine.write_bytes(trace.path.read_bytes())
    member = next(n for n in zipfile.ZipFile(mine).namelist() if n.startswith("static/"))
    corrupt_member(mine, member, nan_into)
    error = render_fails(write_spec(f"scene: decision_boundary\ntrace: {mine}\n", "r.yaml"))
    assert "does not match its checksum" in error and "r.yaml:2" in error


@pytest.mark.parametrize(("target", "what"), [
    ("/dev/zero", "a device or socket"), ("folder", "a folder"), ("fifo", "a pipe"),
    ("loop", "cannot read"),
])
def test_only_regular_files_are_read(write_spec, render_fails, tmp_path, target, what):
    if target == "folder":
        (tmp_path / "folder").mkdir()
    elif target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    elif target == "loop":
        os.symlink(tmp_path / "loop", tmp_path / "loop")
    spec = CSV_SPEC.replace("path: data.csv", f"path: {target}")
    error = render_fails(write_spec(spec))
    assert what in error and "(data.path)" in error and ":3:" in error


def test_a_file_over_the_cap_is_refused_before_it_is_read(write_spec, render_fails, tmp_path,
                                                           monkeypatch):
    write_csv(tmp_path, 0)
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "0.0005")
    error = render_fails(write_spec(CSV_SPEC))
    assert "over the" in error and "MLANIM_MAX_INPUT_MB" in error


def small_trace(tmp_path: Path, **statics: np.ndarray) -> Path:
    writer = TraceWriter(meta={"scene": "decision_boundary"})
    writer.add("metrics/loss", 1.0, 0, 0.0)
    for name, value in statics.items():
        writer.static(name, value)
    return writer.freeze().save(tmp_path / "t.mlanim")


def test_a_member_that_would_inflate_past_the_cap_is_not_decompressed(tmp_path, monkeypatch):
    path = small_trace(tmp_path, zeros=np.zeros(2_000_000, np.float32))  # 8 MB, deflates to KB
    assert path.stat().st_size < 100_000
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "4")
    with pytest.raises(Exception, match="once decompressed, over the 4 MB limit"):
        load_trace(path)


def test_a_member_whose_header_lies_about_its_shape_is_refused(tmp_path):
    path = small_trace(tmp_path, x=np.arange(4.0))
    corrupt_member(path, "static/x.npy", lambda d: d.replace(b"(4,)", b"(9,)"))
    with pytest.raises(Exception, match=r"declares shape \[9\] but holds"):
        load_trace(path)


@pytest.mark.parametrize("value", [np.array(["a", "b"]), np.array([1 + 2j])])
def test_a_trace_holding_no_numbers_is_refused(tmp_path, value):
    path = small_trace(tmp_path, bad=np.zeros(2))
    buffer = io.BytesIO()
    np.save(buffer, value)
    corrupt_member(path, "static/bad.npy", lambda _: buffer.getvalue())
    with pytest.raises(Exception, match=r"not numbers|checksum"):
        load_trace(path)


def test_metadata_that_is_not_a_trace_s_is_refused(tmp_path):
    path = small_trace(tmp_path)
    corrupt_member(path, "meta.json", lambda _: json.dumps([1, 2]).encode())
    with pytest.raises(Exception, match="is not an mlanim trace file"):
        load_trace(path)
    (tmp_path / "dir.mlanim").mkdir()
    with pytest.raises(Exception, match="is not an mlanim trace file"):
        load_trace(tmp_path / "dir.mlanim")


NPZ_SPEC = CSV_SPEC.replace("{name: csv, path: data.csv, target: y}", "{name: npz, path: d.npz}")


def test_an_npz_that_would_inflate_past_the_cap_is_refused_unread(write_spec, render_fails,
                                                                   tmp_path, monkeypatch):
    np.savez_compressed(tmp_path / "d.npz", X=np.zeros((200_000, 4), np.float32),
                        y=np.zeros(200_000, np.int64))  # 4.8 MB of zeros in a few KB
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "1")
    error = render_fails(write_spec(NPZ_SPEC))
    assert "once decompressed, over the 1 MB limit" in error and ":3:" in error


def test_an_npy_named_npz_is_refused(write_spec, render_fails, tmp_path):
    np.save(tmp_path / "d.npy", np.zeros((10, 2)))
    (tmp_path / "d.npy").rename(tmp_path / "d.npz")
    assert "is not an npz file" in render_fails(write_spec(NPZ_SPEC))


def test_a_gzip_idx_that_inflates_past_the_cap_is_refused(write_spec, render_fails, tmp_path,
                                                          monkeypatch):
    import gzip

    with gzip.open(tmp_path / "x.gz", "wb") as handle:
        handle.write(b"\0\0\x08\x03" + (100_000).to_bytes(4, "big") + (8).to_bytes(4, "big") * 2
                     + bytes(6_400_000))
    with gzip.open(tmp_path / "y.gz", "wb") as handle:
        handle.write(b"\0\0\x08\x01" + (100_000).to_bytes(4, "big") + bytes(100_000))
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "2")
    spec = CSV_SPEC.replace("{name: csv, path: data.csv, target: y}",
                            "{name: idx, path: x.gz, labels: y.gz}")
    assert "inflates past the 2 MB limit" in render_fails(write_spec(spec))


def validate(spec: Path):
    from typer.testing import CliRunner

    from mlanim.cli import app

    return CliRunner().invoke(app, ["validate", str(spec)])


def one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlanim: error: "), result.output
    return lines[0]


BILLION_LAUGHS = "\n".join(
    ["scene: decision_boundary", "a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, "
       f"*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, "
       f"*{chr(97 + k)}]" for k in range(8)])


@pytest.mark.parametrize(("text", "message"), [
    (BILLION_LAUGHS, "expands to more than 100,000 values"),
    ("scene: decision_boundary\ntitle: " + "[" * 10_000 + "]" * 10_000, "more than 64 deep"),
    ("scene: decision_boundary\nx: [" + "1," * 3_000_000 + "1]", "a spec may have at most"),
    ("scene: decision_boundary\ntitle: !!python/object/apply:os.system [ls]",
     "YAML tags such as !!python/object/apply:os.system are not allowed"),
    ("scene: decision_boundary\nrender: &r {quality: low}\ntrain: {<<: *r}",
     "quality"),
])
def test_hostile_yaml_is_refused_quickly_in_one_line(tmp_path, text, message):
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    assert message in one_line(validate(spec))


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_spec_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    spec = Path("/dev/zero")
    if kind == "fifo":
        spec = tmp_path / "s.yaml"
        os.mkfifo(spec)
    assert "not a regular file" in one_line(validate(spec))


def test_a_format_that_cannot_be_written_replaces_no_other(write_spec, tmp_path):
    from mlanim.errors import OutputError

    spec = write_spec(Path(write_spec()).read_text().replace("formats: [mp4]",
                                                             "formats: [mp4, gif]"))
    out = tmp_path / "o"
    out.mkdir()
    (out / "scene.mp4").write_bytes(b"an earlier render")
    (out / "scene.gif").mkdir()  # the gif target cannot be written
    with pytest.raises(OutputError, match="is a folder"):
        pipeline.render(spec, pipeline.RenderOptions(out_dir=out), SilentProgress())
    assert (out / "scene.mp4").read_bytes() == b"an earlier render"
    assert sorted(p.name for p in out.iterdir()) == ["scene.gif", "scene.mp4"]


def test_leftovers_of_a_killed_run_are_removed_by_the_next(write_spec, tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    out = tmp_path / "o"
    out.mkdir()
    stale = out / f".scene.partial-{dead}.mp4"
    live = out / f".other.partial-{os.getpid() + 0}.mp4"
    stale.write_bytes(b"half a video")
    live.write_bytes(b"this process is alive")
    pipeline.render(write_spec(), pipeline.RenderOptions(out_dir=out), SilentProgress())
    assert not stale.exists() and live.exists()


def test_a_long_output_name_is_written(write_spec, tmp_path):
    name = "n" * 245
    spec = write_spec(Path(write_spec()).read_text() + f"output: {name}\n")
    files = pipeline.render(spec, pipeline.RenderOptions(), SilentProgress())
    assert files[0].name == f"{name}.mp4" and files[0].stat().st_size > 0


@pytest.mark.parametrize(("output", "message"), [
    ('"a\\0b"', "does not end with a file name"), (".", "does not end with a file name"),
    ("/tmp/x", "outside the working folder"), ("../elsewhere/x", "outside the working folder"),
    ("~/x", "outside the working folder"),
])
def test_output_stays_a_file_inside_the_working_folder(write_spec, render_fails, output,
                                                       message):
    spec = write_spec(Path(write_spec()).read_text() + f"output: {output}\n")
    error = render_fails(spec)
    assert message in error and ":9:" in error


TRAIN = ("train: {epochs: 2, batch_size: 32}\n"
         "render: {quality: low, duration: 0.5, formats: [png]}\n")


def write_files(folder: Path) -> None:
    """The bad data files the cases below name."""
    import gzip

    (folder / "latin.csv").write_bytes(b"a,b,y\n" + "\u00e9,1,0\n".encode("latin-1") * 20)
    (folder / "big.csv").write_text("a,b,y\n1," + "x" * 200_000 + ",0\n" + "1,2,1\n" * 20)
    np.savez(folder / "y2.npz", X=np.zeros((20, 2)), y=np.zeros((20, 3)))
    np.savez(folder / "zero_d.npz", X=np.float64(3), y=np.float64(1))
    np.savez(folder / "empty.npz", X=np.zeros((0, 2)), y=np.zeros(0))
    np.savez(folder / "strx.npz", X=np.array([["a", "b"]] * 20), y=np.zeros(20))
    header = b"\0\0\x08\x03" + (10).to_bytes(4, "big") + (4).to_bytes(4, "big") * 2
    (folder / "odd.idx").write_bytes(header + bytes(77))
    (folder / "lab.idx").write_bytes(b"\0\0\x08\x01" + (10).to_bytes(4, "big") + bytes(10))
    whole = gzip.compress(header + bytes(160))
    (folder / "trunc.gz").write_bytes(whole[: len(whole) // 2])


@pytest.mark.parametrize(("body", "message"), [
    ("train: {epochs: 2, optimizer: {name: adam, betas: [.nan, .nan]}}", "finite number"),
    ("train: {epochs: 2, optimizer: {name: adam, betas: [2, 3]}}", "less than 1"),
    ("train: {epochs: 2, optimizer: {name: adam, weight_decay: .inf}}", "finite number"),
    ("data: {name: spiral, n_samples: 10, classes: 20}", "fewer than 5 points"),
    ("data: {name: csv, path: latin.csv, target: y}", "is not UTF-8 text"),
    ("data: {name: csv, path: big.csv, target: y}", "field larger than field limit"),
    ("data: {name: npz, path: y2.npz}", "one label per sample"),
    ("data: {name: npz, path: zero_d.npz}", "not single values"),
    ("data: {name: npz, path: empty.npz}", "holds no samples"),
    ("data: {name: npz, path: strx.npz}", "not numbers"),
    ("data: {name: idx, path: odd.idx, labels: lab.idx}", "truncated"),
    ("data: {name: idx, path: trunc.gz, labels: lab.idx}", "not readable"),
    ("model: {hidden: [1000000, 1000000]}", "weights: training it needs about"),
    ("model: {hidden: [3000, 3000, 2]}\ntrain: {epochs: 100000}", "snapshots of this run"),
    ("\"\\e[2J\\e[31mevil\": 1", "unknown key '\\x1b[2J\\x1b[31mevil'"),
])
def test_bad_input_is_refused_in_one_located_line(write_spec, render_fails, tmp_path, body,
                                                  message):
    write_files(tmp_path)
    scene = "embedding_evolution" if "idx" in body else \
        "feature_space" if "snapshots" in message else "decision_boundary"
    error = render_fails(write_spec(f"scene: {scene}\n{body}\n" +
                                    ("" if "train:" in body else TRAIN)))
    line = 3 if "snapshots" in message else 2  # the train: line, below the model
    assert message in error and f":{line}:" in error


@pytest.mark.parametrize(("expression", "message"), [
    ("9**9**9", "not finite anywhere"), ("1/0 + x", "not finite anywhere"),
    ("x + " + "9" * 400, "is too large"), ("+".join(["x"] * 2000), "at most 2,000"),
])
def test_bad_expressions_are_refused(write_spec, render_fails, expression, message):
    spec = f"scene: optimizer_paths\nsurface: {{expression: '{expression}'}}\nsteps: 10\n"
    assert message in render_fails(write_spec(spec))


@pytest.mark.parametrize("spec", [
    "scene: optimizer_paths\nsurface: {expression: 'sqrt(x) + y**2'}\nsteps: 10\n"
    "render: {quality: low, duration: 0.5, formats: [png]}\n",
    "scene: decision_boundary\ntitle: '$\\\\frac{1}{$ costs $5 to $10'\n" + TRAIN,
])
def test_undefined_regions_and_dollar_signs_render(write_spec, tmp_path, spec):
    files = pipeline.render(write_spec(spec), pipeline.RenderOptions(out_dir=tmp_path / "o"),
                            SilentProgress())
    assert files[0].stat().st_size > 1000


def script(*args: str, cwd: Path):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "mlanim", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_every_spec_of_a_batch_is_tried_and_the_worst_exit_wins(write_spec, tmp_path):
    good = write_spec(name="good.yaml")
    bad = write_spec("scene: decision_boundary\ntrain: {epochs: 0}\n", "bad.yaml")
    done = script("render", str(good), str(bad), str(good), "-q", "-f", "png", "--out", "o",
                  cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == ["o/good.png", "o/good.png"]
    assert done.stderr.count("mlanim: error:") == 1 and "bad.yaml:2" in done.stderr
    checked = script("validate", str(bad), str(good), str(bad), cwd=tmp_path)
    assert checked.returncode == 2 and checked.stderr.count("bad.yaml:2") == 2
    assert "good.yaml: ok" in checked.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["render", "--bogus", "x.yaml"], "No such option: --bogus"),
    (["render"], "Missing argument 'specs'"),
    (["rendr"], "Did you mean 'render'"),
])
def test_usage_mistakes_are_one_line(tmp_path, args, message):
    done = script(*args, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and message in lines[0]
    assert lines[0].startswith("mlanim: error: ") and "--help" in lines[0]


def test_webm_and_mp4_are_the_same_bytes_every_time(write_spec, tmp_path):
    spec = write_spec(Path(write_spec()).read_text().replace("formats: [mp4]",
                                                             "formats: [webm, mp4]"))
    first = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "a"),
                            SilentProgress())
    again = pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "b"),
                            SilentProgress())
    for one, two in zip(first, again, strict=True):
        assert one.read_bytes() == two.read_bytes()


def test_an_unwritable_output_is_found_before_training(write_spec, render_fails, tmp_path):
    spec = write_spec()
    from typer.testing import CliRunner

    from mlanim.cli import app

    result = CliRunner().invoke(app, ["render", str(spec), "--out", "/proc/mlanim"])
    assert result.exit_code == 2 and "is not writable" in result.output
    assert "training" not in result.output  # refused before any training began


def test_an_unwritable_cache_names_the_cache_setting(write_spec, tmp_path, monkeypatch):
    monkeypatch.setenv("MLANIM_CACHE_DIR", "/proc/mlanim-cache")
    from mlanim.errors import OutputError

    with pytest.raises(OutputError, match="MLANIM_CACHE_DIR"):
        trace_of(write_spec())


def test_inspect_refuses_a_damaged_trace_in_one_line(tmp_path):
    path = small_trace(tmp_path, x=np.arange(3.0))
    corrupt_member(path, "static/x.npy", nan_into)
    done = script("inspect", str(path), cwd=tmp_path)
    assert done.returncode == 2 and "does not match its checksum" in done.stderr
    assert "Traceback" not in done.stderr


def capped_script(args: list[str], cwd: Path, gigabytes: float = 6, **env: str):
    """``mlanim ARGS`` in a process whose address space is capped: an input that tried to
    allocate what it describes would die of MemoryError (an internal fault, exit 1)."""
    import resource
    import subprocess
    import sys

    cap = int(gigabytes * 2**30)
    return subprocess.run([sys.executable, "-m", "mlanim", *args], cwd=cwd, timeout=300,
                          capture_output=True, text=True, env={**os.environ, **env},
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)))


def zip_bomb(path: Path, megabytes: int) -> None:
    """An npz whose one member inflates to ``megabytes`` of zeros (a few hundred kB zipped)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as box, \
            box.open("X.npy", "w", force_zip64=True) as member:
        block = bytes(2**20)
        for _ in range(megabytes):
            member.write(block)


@pytest.mark.slow
@pytest.mark.parametrize(("text", "message"), [
    (BILLION_LAUGHS, "expands to more than"),
    ("scene: decision_boundary\nmodel: {hidden: [1000000, 1000000]}\n", "weights"),
    ("scene: decision_boundary\nx: [" + "1," * 3_000_000 + "1]\n", "at most"),
    ("scene: decision_boundary\ndata: {name: npz, path: bomb.npz}\n", "once decompressed"),
])
def test_exhausting_inputs_are_refused_under_a_memory_cap(tmp_path, text, message):
    if "bomb" in text:
        zip_bomb(tmp_path / "bomb.npz", 128)
    (tmp_path / "s.yaml").write_text(text)
    done = capped_script(["render", "s.yaml", "--out", "o"], tmp_path, MLANIM_MAX_INPUT_MB="64")
    assert done.returncode == 2 and message in done.stderr, done.stderr[-500:]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "phase"), [("SIGINT", "training"), ("SIGTERM", "encoding"),
                                             ("SIGKILL", "encoding")])
def test_a_killed_render_leaves_nothing_the_next_render_keeps(write_spec, tmp_path, name,
                                                               phase):
    import signal
    import subprocess
    import sys
    import time

    text = Path(write_spec()).read_text()
    text = text.replace("epochs: 6", "epochs: 20000") if phase == "training" else \
        text.replace("duration: 1.0", "duration: 60")
    spec = write_spec(text, "long.yaml")
    out = tmp_path / "o"
    # a suite started in the background inherits an ignored SIGINT: give the render the
    # default disposition a terminal's foreground command has
    run = subprocess.Popen([sys.executable, "-m", "mlanim", "render", str(spec), "--out",
                            str(out), "-q"], stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    if phase == "training":
        time.sleep(6)  # imports done, training under way
    else:
        while time.time() < deadline and not (out.exists() and any(out.iterdir())):
            time.sleep(0.2)
    run.send_signal(getattr(signal, name))
    run.communicate(timeout=60)
    final = out / "long.mp4"
    assert not final.exists()
    leftovers = list(out.iterdir()) if out.exists() else []
    assert name == "SIGKILL" or not leftovers
    quick = write_spec(Path(write_spec()).read_text(), "quick.yaml")
    pipeline.render(quick, pipeline.RenderOptions(out_dir=out), SilentProgress())
    assert sorted(p.name for p in out.iterdir()) == ["quick.mp4"]  # the dead run's files gone


def test_no_library_warning_reaches_stderr(write_spec, tmp_path):
    spec = write_spec("scene: optimizer_paths\nsurface: {expression: 'x**2 + y**2', "
                      "x_range: [-1e300, 1e300]}\nrender: {formats: [png]}\n")
    done = script("render", str(spec), "-q", "--out", "o", cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr  # numpy overflowed inside
    assert lines[0].startswith("mlanim: error: ")


def test_warnings_of_mlanim_s_own_are_one_line_and_others_are_dropped(capsys):
    import warnings

    import numpy as np

    from mlanim.quiet import quieted

    with quieted():
        with np.errstate(over="warn"):
            np.float32(1e38) * np.float32(10)  # numpy's RuntimeWarning: dropped
        from mlanim import quiet
        warnings.warn_explicit("a plugin was skipped", UserWarning, quiet.__file__, 1)
    assert capsys.readouterr().err == "mlanim: warning: a plugin was skipped\n"


def plugin_folder(folder: Path, module: str, body: str) -> None:
    """A folder that registers the scene plugin ``evil`` through a ``*.dist-info`` of its own,
    as a downloaded project might."""
    (folder / f"{module}.py").write_text(body)
    info = folder / "evil_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[mlanim.scenes]\nevil = {module}:KIND\n")


def test_a_plugin_registered_in_the_working_folder_is_not_imported(tmp_path, write_spec):
    plugin_folder(tmp_path, "evil_plugin", "import pathlib\npathlib.Path('PWNED').touch()\n"
                                           "KIND = None\n")
    done = script("validate", str(write_spec()), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "PWNED").exists()
    assert "did not load the scene plugin 'evil'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("body", "said"), [
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("KIND = 'not a kind'\n", "it is a str, not a SceneKind"),
])
def test_a_broken_installed_plugin_is_skipped_and_the_rest_work(tmp_path, write_spec, body,
                                                               said):
    site = tmp_path / "site"
    site.mkdir()
    plugin_folder(site, "broken_plugin", body)
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(site)}  # installed: outside the working folder
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "mlanim", "validate", str(write_spec())],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert said in done.stderr and "skipped the scene plugin 'evil'" in done.stderr
    assert done.stderr.startswith("mlanim: warning: ")


@pytest.mark.parametrize(("cell", "said"), [
    ("".join(" " * i + "a:\n" for i in range(700)) + " " * 700 + "b: 1\n", "nests"),
    ("a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "100,000 values"),
    ("title: " + "x" * 300_000 + "\n", "over 256 KB"),
])
def test_a_notebook_cell_is_read_as_a_spec_file_is(cell, said, capsys):
    from mlanim.notebook import mlanim_cell

    assert mlanim_cell("", cell) is None
    err = capsys.readouterr().err
    assert err.startswith("mlanim: error: the cell") and said in err, err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("spec", "said"), [
    ({"scene": "decision_boundary", "title": object()}, "title is of type object"),
    ({"scene": "decision_boundary", "title": "x" * 300_000}, "is too long"),
])
def test_a_dict_spec_is_read_as_a_spec_file_is(spec, said):
    import mlanim

    with pytest.raises(mlanim.UserError, match=said):
        mlanim.render(spec)


def test_a_dict_spec_that_contains_itself_is_refused():
    import mlanim

    spec = {"scene": "decision_boundary", "data": {"name": "moons"}}
    spec["data"]["again"] = spec
    with pytest.raises(mlanim.UserError, match="contains itself"):
        mlanim.render(spec)


@pytest.mark.parametrize("variable", ["MLANIM_CACHE_MB", "MLANIM_MAX_INPUT_MB"])
@pytest.mark.parametrize("value", ["inf", "nan", "-5", "lots"])
def test_a_size_variable_that_is_not_a_size_is_refused(write_spec, monkeypatch, variable,
                                                       value):
    from typer.testing import CliRunner

    from mlanim.cli import app

    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["render", str(write_spec()), "-q", "-f", "png"])
    assert result.exit_code == 2, result.output
    assert f"{variable}='{value}' is not a size in MB" in result.stderr


def test_set_indexes_a_list_and_names_itself_when_wrong(write_spec):
    from mlanim import pipeline

    loaded = pipeline.load(write_spec(), ("render.formats.0=gif",))
    assert loaded.spec.render.formats[0] == "gif"
    with pytest.raises(UserError, match=r"--set render.formats.x=gif: render.formats is a list"):
        pipeline.load(write_spec(), ("render.formats.x=gif",))
    with pytest.raises(UserError) as refused:
        pipeline.load(write_spec(), ("render.formats.0=bogus",))
    assert "render.formats" in str(refused.value)


def test_inspect_prints_a_one_relu_run_and_escapes_a_stranger_s_names(tmp_path):
    import torch
    from torch import nn
    from typer.testing import CliRunner

    import mlanim
    from mlanim.cli import app

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model.add_module("\x1b[2Jevil", nn.Identity())
    optimizer = torch.optim.SGD(model.parameters(), 0.1)
    rec = mlanim.watch(model, every=2, optimizer=optimizer)
    for _ in range(4):
        x = torch.randn(8, 2)
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rec.step(loss, x=x)
    rec.save(tmp_path / "run.mlanim")
    result = CliRunner().invoke(app, ["inspect", str(tmp_path / "run.mlanim")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output


def test_gradient_flow_of_a_run_with_no_weight_layer_says_so(tmp_path):
    import torch
    from torch import nn

    import mlanim

    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    rec = mlanim.watch(Doubler(), every=2)
    rec.step(torch.tensor(0.5), x=torch.randn(4, 2), y=torch.randint(0, 2, (4,)))
    run = rec.save(tmp_path / "run.mlanim")
    with pytest.raises(UserError, match="gradient_flow draws the gradients of linear"):
        run.render("gradient_flow", out=tmp_path / "o", formats=["png"], quality="low")


def test_cache_list_survives_an_entry_whose_metadata_is_a_list(write_spec, tmp_path):
    from typer.testing import CliRunner

    from mlanim.cli import app
    from mlanim.trace.cache import cached_traces

    assert CliRunner().invoke(app, ["render", str(write_spec()), "-q", "-f", "png",
                                    "--out", "o"]).exit_code == 0
    (entry,) = cached_traces()
    with zipfile.ZipFile(entry, "w") as box:
        box.writestr("meta.json", "[1]")
    listed = CliRunner().invoke(app, ["cache", "list"])
    assert listed.exit_code == 0 and "damaged" in listed.output


def test_a_gif_over_its_cap_is_said_in_its_own_digits(write_spec, tmp_path):
    from mlanim import pipeline
    from mlanim.progress import SilentProgress

    spec = write_spec(Path(write_spec()).read_text().replace("formats: [mp4]", "formats: [gif]")
                      .replace("render: {", "render: {gif: {max_mb: 0.0001}, "))
    progress = SilentProgress()
    pipeline.render(spec, pipeline.RenderOptions(out_dir=tmp_path / "o"), progress)
    (said,) = [w for w in progress.warnings if w.startswith("the GIF is")]
    assert "0.0 MB" not in said and "over max_mb 0.0001" in said


@pytest.mark.slow
def test_a_manim_paper_figure_prints_no_library_logging(write_spec, tmp_path):
    done = script("render", str(write_spec()), "--paper", "--backend", "manim", "-f", "png",
                  "--out", "o", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "INFO" not in done.stderr and "fontTools" not in done.stderr
    assert all(line.startswith(("paper figure:", "mlanim:")) or not line.strip()
               for line in done.stderr.splitlines()), done.stderr


def test_a_set_value_of_3000_nested_brackets_is_one_line(write_spec):
    from typer.testing import CliRunner

    from mlanim.cli import app

    value = "[" * 3000 + "]" * 3000
    result = CliRunner().invoke(app, ["validate", str(write_spec()), "--set", f"title={value}"])
    assert result.exit_code == 2 and "nests lists or mappings more than 64 deep" in result.stderr
    assert len(result.stderr) < 400  # the flag is shortened in the message
