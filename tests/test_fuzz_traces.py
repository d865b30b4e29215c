"""Traces and ``--set`` values from strangers, mutated at random: a trace whose metadata or
members were changed (values retyped, nested, huge, negative; members cut, swapped, renamed)
and any ``--set KEY=VALUE`` either loads and draws, or is refused with a `UserError`: never an
internal fault. The bombs (a layer declared 300,000,000 wide, a shape whose byte size wraps
64 bits, a trace of 30,000 members) are refused under an address-space cap."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlanim import pipeline, scenes
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import UserError
from mlanim.progress import SilentProgress
from mlanim.trace.format import load_trace
from tests.conftest import SMALL_SCENE
from tests.test_hostile import capped_script

pytestmark = pytest.mark.slow  # draws hundreds of mutated traces

ODD = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                st.lists(st.integers(-5, 10**9), max_size=4),
                st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A small decision-boundary trace, recorded once for the module."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "scene.yaml").write_text(SMALL_SCENE)
    loaded = pipeline.load(folder / "scene.yaml")
    import os

    os.environ.setdefault("MLANIM_CACHE_DIR", str(folder / "cache"))
    trace = pipeline.obtain_trace(loaded, loaded.spec, False, SilentProgress())
    return Path(trace.path)


def rewritten(source: Path, target: Path, meta_change=None, member_change=None) -> Path:
    """``source`` copied with its metadata and members changed."""
    with zipfile.ZipFile(source) as box, zipfile.ZipFile(target, "w") as out:
        members = [(info.filename, box.read(info)) for info in box.infolist()]
        if member_change is not None:
            members = member_change(members)
        for name, data in members:
            if name == "meta.json" and meta_change is not None:
                data = json.dumps(meta_change(json.loads(data)), default=str).encode()
            out.writestr(name, data)
    return target


def set_at(meta: dict, path: list, value) -> dict:
    node = meta
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return meta


def meta_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from meta_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield (*prefix, index)
            yield from meta_paths(value, (*prefix, index))


def draws_or_refuses(path: Path) -> None:
    """Load the trace and draw its first and last frames as a render of a given trace does
    (its faults are the file's: `pipeline.blamed_on_trace`); a `UserError` is a fine answer."""
    with contextlib.suppress(UserError):
        trace = load_trace(path)
        kind = scenes.get("decision_boundary")
        spec = pipeline.load_data({"scene": "decision_boundary", "trace": str(path),
                                   "render": {"quality": "low", "duration": 0.3}}).spec
        with pipeline.blamed_on_trace(trace, given=True):
            kind.check_trace(trace)
            video = VideoSettings.from_spec(spec.render)
            story = kind.story(spec, trace, video, load_theme("dark"))
            for frame in (0, video.count - 1):
                kind.compose(story, frame)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_trace_metadata_is_drawn_or_refused(recorded, tmp_path, data):
    meta = json.loads(zipfile.ZipFile(recorded).read("meta.json"))
    path = data.draw(st.sampled_from(sorted(meta_paths(meta), key=str)))
    value = data.draw(ODD)
    target = rewritten(recorded, tmp_path / "m.mlanim", lambda m: set_at(m, list(path), value))
    draws_or_refuses(target)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(["drop", "truncate", "swap", "garbage", "empty", "rename"]),
       pick=st.integers(0, 10_000))
def test_mutated_trace_members_are_drawn_or_refused(recorded, tmp_path, how, pick):
    def change(members):
        names = [n for n, _ in members if n != "meta.json"]
        name = names[pick % len(names)]
        other = names[(pick // 7) % len(names)]
        data = dict(members)
        if how == "drop":
            data.pop(name)
        elif how == "truncate":
            data[name] = data[name][: len(data[name]) // 2]
        elif how == "swap":
            data[name], data[other] = data[other], data[name]
        elif how == "garbage":
            data[name] = bytes(range(256)) * 3
        elif how == "empty":
            data[name] = b""
        else:
            data[name + "x"] = data.pop(name)
        return list(data.items())

    draws_or_refuses(rewritten(recorded, tmp_path / "m.mlanim", member_change=change))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["title", "seed", "render.formats.0", "render.formats.5",
                            "render.duration", "model.hidden", "model.hidden.0", "train.x",
                            "data", "render.theme.x", "a.b.c.d", "show.resolution"]),
       value=st.one_of(st.text(max_size=30), st.sampled_from(
           ["[", "{a: [1, {b: 2}]}", "!!python/object:os.system ls", "*alias", "&a [*a]",
            "1e400", "-1", ".nan", "[" * 80 + "]" * 80, "gif", "[8, 8]", "null", "''"])))
def test_any_set_value_is_accepted_or_refused(write_spec, key, value):
    spec = write_spec()
    with contextlib.suppress(UserError):
        pipeline.load(spec, (f"{key}={value}",))


def bomb_spec(folder: Path, trace: Path) -> None:
    (folder / "s.yaml").write_text(f"scene: decision_boundary\ntrace: {trace.name}\n"
                                   "render: {formats: [png], quality: low, duration: 1}\n")


@pytest.mark.slow
def test_a_declared_bomb_is_refused_under_an_address_space_cap(recorded, tmp_path):
    wide = rewritten(recorded, tmp_path / "wide.mlanim",
                     lambda m: set_at(m, ["model", "widths"], [2, 300_000_000, 2]))
    bomb_spec(tmp_path, wide)
    done = capped_script(["render", "s.yaml", "--out", "o"], tmp_path)
    assert done.returncode == 2 and "not a size from 0 to 1,000,000" in done.stderr

    def wrapped(members):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (2**62, 2**62, 4)})
        return [(n, header.getvalue() if n.endswith("grid/x.npy") else d) for n, d in members]

    bomb_spec(tmp_path, rewritten(recorded, tmp_path / "wrap.mlanim", member_change=wrapped))
    done = capped_script(["render", "s.yaml", "--out", "o"], tmp_path)
    assert done.returncode == 2 and "declares shape" in done.stderr

    def many(members):
        return members + [(f"junk/{k}", b"") for k in range(30_000)]

    bomb_spec(tmp_path, rewritten(recorded, tmp_path / "many.mlanim", member_change=many))
    done = capped_script(["render", "s.yaml", "--out", "o"], tmp_path)
    assert done.returncode == 2 and "more than a trace has" in done.stderr
