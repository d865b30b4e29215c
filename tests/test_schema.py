"""The JSON Schema: draft-07 (what yaml-language-server reads), ``scene`` required, every example
and template valid under it, and the copy in schema/ in sync with the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from mlanim import scenes
from mlanim.spec.template import json_schema, template

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json_schema(scenes.spec_models())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def test_the_schema_in_the_repository_is_the_code_s():
    written = json.loads((ROOT / "schema" / "mlanim.schema.json").read_text())
    assert written == SCHEMA, "run: mlanim schema > schema/mlanim.schema.json"


def test_it_is_a_valid_draft_7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert "discriminator" not in json.dumps(SCHEMA) and "prefixItems" not in json.dumps(SCHEMA)


@pytest.mark.parametrize("text", [p.read_text() for p in sorted((ROOT / "scenes").glob("*.yaml"))]
                         + [template(kind.Spec) for kind in scenes.kinds().values()])
def test_every_example_and_template_is_valid(text):
    errors = list(VALIDATOR.iter_errors(YAML(typ="safe").load(text)))
    assert not errors, errors[0].message


@pytest.mark.parametrize(("spec", "message"), [
    ({"title": "x"}, "'scene' is a required property"),
    ({"scene": "decision_boundry"}, "is not one of"),
    ({"scene": "gradient_flow", "flow": {"bins": 1}}, "less than the minimum"),
    ({"scene": "decision_boundary", "train": {"optimizer": {"betas": [0.9, 2]}}},
     "is not valid under any of the given schemas"),
])
def test_mistakes_are_caught_by_the_schema(spec, message):
    errors = [e.message for e in VALIDATOR.iter_errors(spec)]
    assert any(message in e for e in errors), errors


def test_templates_start_with_the_modeline_and_list_choices():
    text = template(scenes.get("decision_boundary").Spec)
    assert text.splitlines()[0] == "# yaml-language-server: $schema=mlanim.schema.json"
    for choices in ("relu | tanh | sigmoid", "dark | light | paper", "16:9 | 4:3 | 1:1 | 9:16",
                    "auto | cross_entropy | mse", "auto | classification | regression"):
        assert choices in text
