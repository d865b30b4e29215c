"""Specs mutated from every example and template (keys dropped, duplicated, misspelt or
retyped; values NaN, infinite, huge, negative, empty, unicode or control characters) are
either accepted or refused with a `UserError` (exit 2) by every stage before training: never
an internal fault. Hypothesis draws 1,000 of them a run."""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlanim import pipeline, scenes
from mlanim.errors import UserError
from mlanim.inputs import SpecFiles
from mlanim.spec.template import template

pytestmark = pytest.mark.slow  # draws a thousand mutated specs

EXAMPLES = sorted((Path(__file__).parent.parent / "scenes").glob("*.yaml"))


def _plain(node):
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _bases() -> list[dict]:
    texts = [path.read_text() for path in EXAMPLES]
    texts += [template(kind.Spec) for kind in scenes.kinds().values()]
    return [_plain(YAML(typ="safe").load(text)) for text in texts]


BASES = _bases()
ODD_VALUES = [math.nan, math.inf, -math.inf, 1e308, -1, 0, -0.5, 10**30, "", [], {}, None,
              True, "caf\u00e9 \u2192 \u6f22\u5b57", "\x1b[2J\x1b[31mred\r\n", "x" * 3000,
              [[[[1]]]], {"nested": {"deeper": 1}}, "../../etc/passwd", "/dev/zero", 3.5,
              "moons", "relu", [1, 2, 3], 1, 2, 7, 0.001, 0.9, 1000, 64, "low", [8, 2]]


def paths(node, prefix=()):
    """Every key path in a nested spec."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutate(spec: dict, path: tuple, how: str, value) -> dict:
    """``spec`` with the node at ``path`` dropped, replaced, misspelt or given a sibling."""
    import copy

    spec = copy.deepcopy(spec)
    if not path:
        return spec if how != "replace" else {"scene": spec.get("scene"), "x": value}
    parent = spec
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "drop" and isinstance(parent, dict):
        parent.pop(last)
    elif how == "misspell" and isinstance(parent, dict):
        parent[f"{last}s"] = parent.pop(last)
    elif how == "retype":
        parent[last] = [parent[last]] if not isinstance(parent[last], list) else "text"
    else:
        parent[last] = value
    return spec


def as_text(spec: dict, duplicate_line: int | None) -> str:
    """The spec as YAML (NaN and infinity as YAML writes them), optionally with one line
    written twice (a duplicated key)."""
    buffer = io.StringIO()
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    yaml.dump(spec, buffer)
    lines = buffer.getvalue().splitlines()
    if duplicate_line is not None and lines:
        k = duplicate_line % len(lines)
        lines.insert(k, lines[k])
    return "\n".join(lines) + "\n"


@st.composite
def mutated_specs(draw) -> str:
    spec = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(spec))))
        how = draw(st.sampled_from(["drop", "misspell", "retype", "replace", "replace"]))
        spec = mutate(spec, path, how, draw(st.sampled_from(ODD_VALUES)))
    return as_text(spec, draw(st.one_of(st.none(), st.integers(0, 200))))


def stages_before_training(spec_path: Path) -> None:
    """What a render does before it trains: read and validate the spec, resolve and check
    its files, build the recording's key (data loaded, kind's checks and plan)."""
    loaded = pipeline.load(spec_path)
    spec = pipeline.RenderOptions().apply(loaded.spec)
    kind = scenes.get(spec.scene)
    pipeline.output_targets(loaded, spec, None)
    if not getattr(spec, "trace", None):
        kind.recording(spec, SpecFiles(loaded.resolve))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=mutated_specs())
def test_mutated_specs_are_accepted_or_refused_never_a_fault(folder, text):
    spec = folder / "spec.yaml"
    spec.write_text(text)
    with contextlib.suppress(UserError):
        stages_before_training(spec)
