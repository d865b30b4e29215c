"""The command line: paths on stdout, one-line errors with exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlanim.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_render_prints_each_path_written(write_spec, tmp_path):
    result = run("render", str(write_spec()), "--format", "mp4,png", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["o/scene.mp4", "o/scene.png"]
    assert Path("o/scene.png").stat().st_size > 0


def test_output_name_comes_from_the_spec(write_spec):
    spec = write_spec(Path(write_spec()).read_text() + "output: renders/moons\n")
    result = run("render", str(spec), "-f", "png", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "renders/moons.png"


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith("mlanim: error: ")
    return lines[0]


def test_bad_spec_exits_2_with_one_line(write_spec):
    spec = write_spec("scene: decision_boundary\ntrain: {epochs: 5, batchsize: 8}\n")
    line = one_error_line(run("render", str(spec)))
    assert f"{spec}:2:" in line and "did you mean 'batch_size'?" in line
    assert not Path("outputs").exists()


def test_nan_loss_names_the_epoch_and_suggests_a_smaller_lr(write_spec):
    spec = write_spec("""\
        scene: decision_boundary
        data: {name: moons, n_samples: 100, standardize: false}
        model: {hidden: [64, 64], activation: relu}
        train: {epochs: 5, optimizer: {name: sgd, lr: 100}}
        """)
    line = one_error_line(run("render", str(spec), "-q"))
    assert "the loss became" in line and "epoch" in line and "smaller learning rate" in line
    assert f"{spec}:4:" in line
    assert not Path("outputs").exists()


def test_diverged_run_still_renders_when_asked(write_spec):
    spec = write_spec("""\
        scene: decision_boundary
        data: {name: moons, n_samples: 100, standardize: false}
        model: {hidden: [64, 64], activation: relu}
        train: {epochs: 5, optimizer: {name: sgd, lr: 100}, on_divergence: stop}
        render: {formats: [png], quality: low}
        """)
    result = run("render", str(spec), "-q")
    assert result.exit_code == 0, result.output


def test_missing_csv_exits_2(write_spec):
    spec = write_spec("scene: decision_boundary\ndata: {name: csv, path: no.csv, target: y}\n")
    line = one_error_line(run("render", str(spec)))
    assert "data file not found" in line and f"{spec}:2:" in line


def test_more_than_two_features_suggests_picking_two(write_spec):
    line = one_error_line(run("render", str(write_spec("scene: decision_boundary\n"
                                                       "data: {name: iris}\n"))))
    assert "data.features" in line


def test_unwritable_output_folder_exits_2(write_spec, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = one_error_line(run("render", str(write_spec()), "--out", str(blocker / "sub")))
    assert "output folder" in line


def test_unknown_format_and_backend(write_spec):
    assert "unknown format 'mov'" in one_error_line(run("render", str(write_spec()), "-f", "mov"))
    assert "unknown backend" in one_error_line(run("render", str(write_spec()),
                                                   "--backend", "blender"))


def test_validate_scenes_new_schema(write_spec):
    assert run("validate", str(write_spec())).stdout.strip().endswith("ok (decision_boundary)")
    assert "decision_boundary" in run("scenes").stdout
    template = run("new", "decision_boundary").stdout
    assert run("validate", str(write_spec(template, "t.yaml"))).exit_code == 0
    assert '"$schema"' in run("schema").stdout
    assert "unknown scene kind" in one_error_line(run("new", "sankey"))


def test_trace_then_inspect_then_render_from_the_trace(write_spec, tmp_path):
    result = run("trace", str(write_spec()), "--out", "runs", "-q")
    assert result.exit_code == 0, result.output
    trace_file = result.stdout.strip()
    assert trace_file == "runs/scene.mlanim"
    listing = run("inspect", trace_file).stdout
    assert "metrics/val_loss" in listing and "grid/output" in listing
    from_trace = write_spec(f"scene: decision_boundary\ntrace: {tmp_path / trace_file}\n"
                            "render: {formats: [png], quality: low}\n", "replay.yaml")
    assert run("render", str(from_trace), "-q").exit_code == 0


def test_installed_script_exit_codes(write_spec):
    spec = write_spec("scene: nope\n")
    done = subprocess.run([sys.executable, "-m", "mlanim", "render", str(spec)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["render", "--help"]])
def test_help(args):
    assert run(*args).exit_code == 0


def test_a_reader_closing_the_pipe_is_not_a_fault(monkeypatch):
    """`mlanim inspect run | head`: when the reader goes away, stop quietly (exit 141, as
    Unix tools do), not with "internal fault"."""
    import typer

    def closed_pipe(*_args, **_kwargs):
        raise BrokenPipeError

    monkeypatch.setattr(typer, "echo", closed_pipe)
    result = CliRunner().invoke(app, ["scenes"])
    assert result.exit_code == 141
    assert "fault" not in result.output


def test_version():
    from mlanim import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"mlanim {__version__}"


def test_manim_quality_shorthands_and_render_flags(write_spec):
    from PIL import Image

    result = run("render", str(write_spec()), "-ql", "--aspect", "1:1", "--theme", "light",
                 "--duration", "0.5", "--fps", "4", "-f", "png,mp4", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    assert Image.open("o/scene.png").size == (480, 480)
    import av

    with av.open("o/scene.mp4") as box:
        assert box.streams.video[0].frames == 2  # 0.5 s at 4 fps
    light = Image.open("o/scene.png").convert("RGB").getpixel((2, 2))
    assert sum(light) > 600  # the light theme's white page


@pytest.mark.parametrize(("args", "message"), [
    (["--theme", "neon"], "bad value for --theme"),
    (["--duration", "-1"], "bad value for --duration"),
    (["-ql", "-qh"], "give one quality"),
])
def test_bad_render_flags_are_one_line(write_spec, args, message):
    line = one_error_line(run("render", str(write_spec()), *args))
    assert message in line


def test_did_you_mean_a_scene_kind():
    line = one_error_line(run("new", "decision_boundry"))
    assert "did you mean 'decision_boundary'?" in line


def test_cache_list_and_clear(write_spec):
    assert run("render", str(write_spec()), "-f", "png", "--out", "o", "-q").exit_code == 0
    listed = run("cache", "list")
    assert listed.exit_code == 0 and "decision_boundary" in listed.stdout
    assert "1 trace," in listed.stderr
    cleared = run("cache", "clear")
    assert cleared.exit_code == 0 and "removed 1 cached file," in cleared.stderr
    assert "0 traces" in run("cache", "list").stderr


def test_a_broken_plugin_is_skipped_with_a_warning(monkeypatch):
    from importlib.metadata import EntryPoint

    from mlanim import scenes

    broken = EntryPoint("broken_kind", "no_such_module:KIND", "mlanim.scenes")
    monkeypatch.setattr(scenes, "entry_points", lambda group: [broken])
    scenes.kinds.cache_clear()
    try:
        with pytest.warns(UserWarning, match="skipped the scene plugin 'broken_kind'"):
            found = scenes.kinds()
        assert "decision_boundary" in found and "broken_kind" not in found
    finally:
        scenes.kinds.cache_clear()


def test_set_changes_any_key_for_one_run(write_spec):
    result = run("render", str(write_spec()), "--set", "render.duration=0.5",
                 "--set", "model.hidden=[3, 3]", "--set", "title=Set from the shell",
                 "-f", "png", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    from mlanim import pipeline

    loaded = pipeline.load(Path(write_spec()), ("model.hidden=[3, 3]", "render.fps=5"))
    assert loaded.spec.model.hidden == [3, 3] and loaded.spec.render.fps == 5


@pytest.mark.parametrize(("flag", "message"), [
    ("train.epochs=abc", "--set train.epochs=abc: bad value for train.epochs"),
    ("trian.epochs=3", "--set trian.epochs=3: unknown key 'trian'"),
    ("train.optimizer.lr=-1", "--set train.optimizer.lr=-1: bad value"),
    ("epochs", "--set needs KEY=VALUE"),
])
def test_a_bad_set_names_the_flag(write_spec, flag, message):
    line = one_error_line(run("render", str(write_spec()), "--set", flag))
    assert message in line


def test_the_cache_keeps_under_its_cap_dropping_the_least_recently_used(write_spec,
                                                                       monkeypatch):
    import os

    from mlanim.trace.cache import cached_traces

    specs = [write_spec(Path(write_spec()).read_text().replace("seed: 3", f"seed: {k}"),
                        f"s{k}.yaml") for k in range(3)]
    assert run("render", str(specs[0]), "-f", "png", "--out", "o", "-q").exit_code == 0
    (first,) = cached_traces()
    monkeypatch.setenv("MLANIM_CACHE_MB", str(first.stat().st_size * 2.5 / 2**20))
    assert run("render", str(specs[1]), "-f", "png", "--out", "o", "-q").exit_code == 0
    os.utime(first, (0, 0))  # the first is now the least recently used
    assert run("render", str(specs[2]), "-f", "png", "--out", "o", "-q").exit_code == 0
    kept = cached_traces()
    assert len(kept) == 2 and first not in kept


def test_the_default_cache_is_the_user_s_cache_folder(monkeypatch, tmp_path):
    from mlanim.trace.cache import cache_dir

    monkeypatch.delenv("MLANIM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "mlanim"


def test_examples_are_listed_printed_and_copied(tmp_path):
    names = sorted(p.stem for p in (Path(__file__).parent.parent / "scenes").glob("*.yaml"))
    listed = run("examples")
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == names
    shown = run("examples", "quickstart")
    assert shown.exit_code == 0 and "scene: decision_boundary" in shown.stdout
    copied = run("examples", "--copy", "mine")
    assert copied.exit_code == 0 and sorted(p.stem for p in Path("mine").glob("*.yaml")) == names
    assert "did you mean 'quickstart'?" in one_error_line(run("examples", "quickstrt"))


@pytest.mark.parametrize(("words", "cword", "expected"), [
    ("mlanim render x.yaml --backend ", 4, ["manim", "matplotlib"]),
    ("mlanim render x.yaml --quality ", 4, ["low", "medium", "high", "4k"]),
    ("mlanim new gradi", 2, ["gradient_flow"]),
])
def test_shell_completion_offers_the_choices(words, cword, expected):
    import os

    env = dict(os.environ, _MLANIM_COMPLETE="complete_bash", COMP_WORDS=words,
               COMP_CWORD=str(cword))
    script = str(Path(sys.executable).with_name("mlanim"))  # completion keys on the script name
    done = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == expected


def test_a_manim_render_leaves_nothing_in_the_working_folder(write_spec, tmp_path):
    spec = write_spec(Path(write_spec()).read_text().replace("duration: 1.0", "duration: 0.3"))
    before = {p.name for p in tmp_path.iterdir()}
    result = run("render", str(spec), "--backend", "manim", "-f", "png", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} - before <= {"o", "cache"}  # no media/
