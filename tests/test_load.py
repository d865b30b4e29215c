"""`mlanim.load`: the `Run` of a spec (its trace recorded once, then from the cache) or of a
saved trace, rendered as its spec says or as a kind; mistakes named in one line."""

from __future__ import annotations

import pytest

import mlanim
from mlanim.errors import DataError, UsageError
from tests.conftest import SMALL_SCENE


def test_a_specs_run_is_recorded_once_and_renders_as_its_spec(write_spec, tmp_path):
    spec = write_spec(SMALL_SCENE)
    run = mlanim.load(spec)
    assert run.spec == spec and run.path.is_file()
    recorded = run.path.stat().st_ino  # a trace written anew replaces the file
    again = mlanim.load(spec)  # from the cache (its use marked on the file's time)
    assert again.path == run.path and run.path.stat().st_ino == recorded
    assert run.trace.meta["scene"] == "decision_boundary"
    (still,) = run.render(at="epoch=3", out=tmp_path / "out")
    assert still.suffix == ".png" and still.stat().st_size > 0


def test_a_saved_trace_loads_as_a_run_of_its_own(write_spec):
    run = mlanim.load(mlanim.load(write_spec(SMALL_SCENE)).path)
    assert run.spec is None and "grid/output" in run.trace
    with pytest.raises(UsageError, match="no spec to render by"):
        run.render()


def test_a_specs_run_draws_only_as_its_own_kind(write_spec):
    run = mlanim.load(write_spec(SMALL_SCENE))
    with pytest.raises(UsageError, match="draws only as decision_boundary") as refused:
        run.render("loss_curves")
    assert "mlanim new loss_curves" in refused.value.hint


@pytest.mark.parametrize("name, content", [("missing.yaml", None), ("junk.mlanim", "hello")])
def test_a_missing_or_junk_file_is_named(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError) as refused:
        mlanim.load(path)
    assert str(path.name) in str(refused.value) and "\n" not in str(refused.value)
