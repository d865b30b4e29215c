"""The cache never deletes or replaces a user's file, and never stands in for other inputs:
only files it made (by name, in a folder it marked) are evicted or cleared; a chosen cache
folder that already holds other things is refused; two specs of one batch never write the
same file; a data file replaced with ``cp -p`` (same size and times) is hashed again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mlanim.cli import app
from mlanim.trace.cache import MARKER, MARKER_TEXT, cached_traces
from tests.conftest import SMALL_SCENE


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_cache_clear_and_eviction_spare_a_user_s_files(write_spec, tmp_path, monkeypatch):
    assert run("render", str(write_spec()), "-f", "png", "--out", "o", "-q").exit_code == 0
    cache = tmp_path / "cache"
    assert (cache / MARKER).is_file() and len(cached_traces()) == 1
    mine = cache / "my_run.mlanim"
    mine.write_bytes(cached_traces()[0].read_bytes())
    (cache / "notes.txt").write_text("mine")
    monkeypatch.setenv("MLANIM_CACHE_MB", "0.001")  # everything of the cache's must go
    other = write_spec(SMALL_SCENE.replace("seed: 3", "seed: 4"), "other.yaml")
    assert run("render", str(other), "-f", "png", "--out", "o", "-q").exit_code == 0
    assert mine.is_file() and (cache / "notes.txt").read_text() == "mine"
    result = run("cache", "clear")
    assert result.exit_code == 0, result.output
    assert mine.is_file() and (cache / "notes.txt").is_file() and not cached_traces()


def test_a_user_s_files_json_is_never_overwritten_by_the_index(write_spec, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / MARKER).write_text(MARKER_TEXT)
    (cache / "files.json").write_text('["my", "list"]')
    Path("d.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n"
                                                      for i in range(40)))
    spec = write_spec(SMALL_SCENE.replace("data: {name: moons, n_samples: 120, noise: 0.2}",
                                          "data: {name: csv, path: d.csv, target: label}"))
    assert run("render", str(spec), "-f", "png", "--out", "o", "-q").exit_code == 0
    assert (cache / "files.json").read_text() == '["my", "list"]'


def test_a_chosen_cache_folder_holding_other_files_is_refused(write_spec, tmp_path,
                                                              monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.mlanim").write_text("not a trace, and not the cache's")
    monkeypatch.setenv("MLANIM_CACHE_DIR", str(home))
    result = run("render", str(write_spec()), "-f", "png", "--out", "o", "-q")
    assert result.exit_code == 2
    assert "holds files mlanim did not make" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run("cache", "clear").exit_code == 2
    assert sorted(p.name for p in home.iterdir()) == ["thesis.mlanim"]
    assert not Path("o").exists()
    (home / MARKER).write_text("Signature: 8a477f597d28d172789f06886806bc55\n# pip's cache\n")
    other = run("render", str(write_spec()), "-f", "png", "--out", "o", "-q")
    assert other.exit_code == 2  # another tool's cache tag does not make the folder mlanim's


def test_two_specs_that_would_write_one_file_are_refused_before_rendering(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "scene.yaml").write_text(SMALL_SCENE)
    for jobs in ("1", "2"):
        result = run("render", "a/scene.yaml", "b/scene.yaml", "--out", "O", "-f", "png",
                     "-j", jobs)
        assert result.exit_code == 2, result.output
        assert "a/scene.yaml and b/scene.yaml would both write O/scene" in result.stderr
        assert not Path("O").exists()


def test_a_data_file_replaced_with_cp_p_is_not_taken_from_the_cache(write_spec, tmp_path):
    rows = [f"{(i * 7) % 10 / 10},{(i * 3) % 10 / 10}" for i in range(60)]
    first = "x,y,label\n" + "".join(f"{r},{i % 2}\n" for i, r in enumerate(rows))
    second = "x,y,label\n" + "".join(f"{r},{(i + 1) % 2}\n" for i, r in enumerate(rows))
    assert len(first) == len(second)
    for name, text in (("one.csv", first), ("two.csv", second)):
        (tmp_path / name).write_text(text)
        os.utime(tmp_path / name, (1_000_000, 1_000_000))
    shutil.copy2(tmp_path / "one.csv", tmp_path / "data.csv")
    spec = write_spec(SMALL_SCENE.replace("data: {name: moons, n_samples: 120, noise: 0.2}",
                                          "data: {name: csv, path: data.csv, target: label}"))
    assert run("render", str(spec), "-f", "png", "--out", "o").exit_code == 0
    shutil.copy2(tmp_path / "two.csv", tmp_path / "data.csv")  # cp -p: same size and times
    again = run("render", str(spec), "-f", "png", "--out", "o")
    assert again.exit_code == 0, again.output
    assert "using cached trace" not in again.stderr
    assert len(cached_traces()) == 2


EXAMPLES = Path(__file__).parent.parent / "scenes"


def _key(name: str, changes: dict | None = None) -> dict:
    """The recording key of an example spec, with ``changes`` set first (dotted keys)."""
    from mlanim import pipeline, scenes

    spec = pipeline.load(EXAMPLES / name).spec
    kind = scenes.get(spec.scene)
    data = spec.model_dump(mode="json")
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return kind.recording_key(kind.Spec.model_validate(data))


def test_every_kind_s_keyed_by_names_keys_its_spec_has():
    """A misspelt ``keyed_by`` entry would fail every render of that kind."""
    seen = set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        key = _key(path.name)
        seen.add(key["scene"])
        assert all(value is not None or name == "show.probe" for name, value in key.items())
    from mlanim import scenes

    assert seen == set(scenes.builtin_names())


def test_a_key_changes_with_what_changes_the_recording_and_only_that():
    base = _key("gradients_healthy.yaml")
    assert _key("gradients_healthy.yaml", {"flow.bins": 17}) != base
    assert _key("gradients_healthy.yaml", {"seed": 99}) != base
    assert _key("gradients_healthy.yaml", {"render.theme": "light"}) == base
    paths = _key("optimizers_saddle.yaml")
    assert "seed" not in paths  # an analytic surface draws no random numbers
    assert _key("optimizers_saddle.yaml", {"steps": 7}) != paths
