"""A spec either validates, or fails with one line naming the file, line, key and fix."""

from __future__ import annotations

import json

import pytest

from mlanim import pipeline, scenes
from mlanim.errors import SpecError
from mlanim.spec.template import json_schema, template


def error_of(write_spec, text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        pipeline.load(write_spec(text))
    return caught.value


def test_a_small_spec_validates_with_defaults(write_spec):
    spec = pipeline.load(write_spec("scene: decision_boundary\n")).spec
    assert spec.data.name == "moons"
    assert spec.train.total_epochs == 60
    assert spec.render.formats == ["mp4", "gif"]


def test_typo_names_file_line_column_and_suggests_the_key(write_spec):
    err = error_of(write_spec, """\
        scene: decision_boundary
        train:
          epochs: 5
          optimiser: {name: adam}
        """)
    assert (err.line, err.column) == (4, 3)
    assert str(err).startswith(f"{err.file}:4:3: unknown key 'optimiser' in train")
    assert "did you mean 'optimizer'?" in str(err)


def test_unknown_scene_kind_suggests_the_near_one(write_spec):
    err = error_of(write_spec, "scene: decision_boundry\n")
    assert "unknown scene kind 'decision_boundry'" in str(err)
    assert "did you mean 'decision_boundary'" in str(err)
    assert err.line == 1


def test_missing_scene_key(write_spec):
    assert "missing key 'scene'" in str(error_of(write_spec, "title: hello\n"))


def test_malformed_yaml_is_located(write_spec):
    err = error_of(write_spec, "scene: decision_boundary\ntrain: {epochs: 5\n")
    assert "malformed YAML" in str(err)
    assert err.line is not None


@pytest.mark.parametrize(("yaml", "line", "fragment"), [
    ("train:\n  optimizer: {name: sgd, lr: -0.1}\n", 3, "greater than 0"),
    ("train:\n  epochs: 0\n", 3, "train.epochs"),
    ("train:\n  batch_size: -4\n", 3, "train.batch_size"),
    ("data:\n  name: moons\n  test_fraction: 1.5\n", 4, "data.test_fraction"),
    ("render:\n  quality: ultra\n", 3, "render.quality"),
])
def test_out_of_range_values_are_located(write_spec, yaml, line, fragment):
    err = error_of(write_spec, "scene: decision_boundary\n" + yaml)
    assert err.line == line
    assert fragment in str(err)


def test_wrong_literal_suggests_the_close_value(write_spec):
    err = error_of(write_spec, "scene: decision_boundary\ntrain:\n  optimizer: {name: adma}\n")
    assert "did you mean 'adam'?" in str(err)


def test_csv_without_path_is_explained(write_spec):
    err = error_of(write_spec, "scene: decision_boundary\ndata: {name: csv, target: y}\n")
    assert "needs data.path" in str(err)


def test_epochs_and_steps_together_are_refused(write_spec):
    err = error_of(write_spec, "scene: decision_boundary\ntrain: {epochs: 3, steps: 10}\n")
    assert "not both" in str(err)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="spec file not found"):
        pipeline.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("kind", list(scenes.kinds()))
def test_every_template_validates_to_the_kinds_own_defaults(write_spec, kind):
    """`mlanim new KIND` shows every key at the value the kind really uses by default (a kind
    may override a shared section's defaults, e.g. embedding_evolution trains on digits)."""
    model = scenes.get(kind).Spec
    text = template(model)
    assert text.startswith("# yaml-language-server: $schema=") and "# mlanim scene spec" in text
    parsed = pipeline.load(write_spec(text)).spec
    assert parsed == model(scene=kind)


def test_schema_is_json_and_names_every_kind():
    schema = json.dumps(json_schema(scenes.spec_models()))
    for kind in scenes.kinds():
        assert kind in schema


def test_yaml_merge_keys_from_x_blocks_are_read(write_spec):
    from typer.testing import CliRunner

    from mlanim.cli import app

    text = """\
x-train: &train {epochs: 3, batch_size: 16}
scene: decision_boundary
data: {name: moons, n_samples: 100}
train:
  <<: *train
  optimizer: {name: adam, lr: 0.01}
"""
    ok = CliRunner().invoke(app, ["validate", str(write_spec(text))])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["validate", str(write_spec(text.replace("3,", "-3,"),
                                                                "bad.yaml"))])
    assert bad.exit_code == 2 and "bad.yaml:4:1: bad value for train.epochs" in bad.stderr
