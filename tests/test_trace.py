"""Traces round-trip through their file, and the cache skips training when it can."""

from __future__ import annotations

import numpy as np
import pytest

from mlanim import pipeline, train
from mlanim.errors import DataError
from mlanim.progress import SilentProgress
from mlanim.trace import TraceWriter, load_trace


def test_round_trip_keeps_values_steps_and_precision(tmp_path):
    writer = TraceWriter(meta={"note": "hi"})
    for step in range(3):
        writer.add("metrics/loss", 1.0 / (step + 1), step, step / 2)
        writer.add("grid/output", np.full((4, 2), step / 3), step, step / 2, "half")
    writer.static("data/x_train", np.arange(6.0).reshape(3, 2))
    path = writer.freeze().save(tmp_path / "run.mlanim")

    trace = load_trace(path)
    assert trace.meta["note"] == "hi"
    np.testing.assert_allclose(trace.values("metrics/loss"), [1, 0.5, 1 / 3], rtol=1e-7)
    assert trace.channel("grid/output").values.dtype == np.float16
    assert trace.channel("metrics/loss").values.dtype == np.float32
    np.testing.assert_array_equal(trace.channel("metrics/loss").steps, [0, 1, 2])
    np.testing.assert_array_equal(trace.static("data/x_train"), np.arange(6.0).reshape(3, 2))
    assert not list(tmp_path.glob(".*partial*"))


def test_not_a_trace_is_a_clear_error(tmp_path):
    bogus = tmp_path / "x.mlanim"
    bogus.write_text("hello")
    with pytest.raises(DataError, match="not an mlanim trace"):
        load_trace(bogus)


def test_cache_hit_skips_training_and_render_changes_keep_the_key(write_spec, monkeypatch):
    loaded = pipeline.load(write_spec())
    first = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(train, "record", no_training)
    restyled = pipeline.RenderOptions(quality="high", overrides={"theme": "paper"})
    again = pipeline.obtain_trace(loaded, restyled.apply(loaded.spec), False, SilentProgress())
    assert again.path == first.path
    with pytest.raises(AssertionError, match="trained again"):
        pipeline.obtain_trace(loaded, loaded.spec, True, SilentProgress())


def test_training_changes_change_the_key(write_spec):
    a = pipeline.load(write_spec())
    b = pipeline.load(write_spec(a.path.read_text().replace("lr: 0.05", "lr: 0.04"), "b.yaml"))
    ta = pipeline.obtain_trace(a, a.spec, False, SilentProgress())
    tb = pipeline.obtain_trace(b, b.spec, False, SilentProgress())
    assert ta.path != tb.path


def test_half_precision_only_where_values_fit():
    writer = TraceWriter()
    writer.add("grid/output", [1.5, -2.0], 0, 0, "half")
    writer.add("huge/output", [1e6, 2.0], 0, 0, "half")
    trace = writer.freeze()
    assert trace.channel("grid/output").values.dtype == np.float16
    assert trace.channel("huge/output").values.dtype == np.float32
    assert trace.values("huge/output")[0, 0] == 1e6
