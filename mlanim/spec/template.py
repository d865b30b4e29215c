"""Commented spec templates (``mlanim new``) and the JSON Schema (``mlanim schema``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter

from mlanim.spec.sections import SceneSpec
from mlanim.spec.validate import _model_in

SKIP_IN_TEMPLATE = {"trace"}
SCHEMA_FILE = "mlanim.schema.json"


def _choices(annotation: Any) -> list[str]:
    """The values a ``Literal`` (or optional ``Literal``) annotation allows, as text."""
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    for arg in get_args(annotation):
        if get_origin(arg) is Literal:
            return [str(v) for v in get_args(arg)]
    return []


def template(model: type[SceneSpec]) -> str:
    """A YAML spec with every key at its default and a comment saying what it does.

    Keys whose default is empty are shown commented out. The result validates as is.
    """
    kind = model.model_fields["scene"].default
    doc = (model.__doc__ or "").strip().splitlines()[0]
    lines = [f"# yaml-language-server: $schema={SCHEMA_FILE}",
             f"# (editors complete and check keys with it: mlanim schema > {SCHEMA_FILE})",
             f"# mlanim scene spec: {kind}. {doc}", f"scene: {kind}"]
    last = ("render", "output")  # the scene's own sections first, presentation after
    order = [n for n in model.model_fields if n not in last] + list(last)
    for name in order:
        if name == "scene" or name in SKIP_IN_TEMPLATE:
            continue
        lines += _field_lines(name, model.model_fields[name], 0)
    return "\n".join(lines) + "\n"


_FIELD_DEFAULT = object()


def _field_lines(name: str, field: Any, depth: int, default: Any = _FIELD_DEFAULT) -> list[str]:
    """``name``'s template lines. ``default`` is the value the enclosing section's default
    gives it (a kind's ``data: DataSpec(name="digits")``), else the field's own default."""
    pad = "  " * depth
    nested = _model_in(field.annotation)
    if default is _FIELD_DEFAULT:
        default = field.get_default(call_default_factory=True)
    options = _choices(field.annotation)
    text = "; ".join(t for t in (field.description, options and " | ".join(options)) if t)
    note = f"  # {text}" if text else ""
    if nested is not None and isinstance(default, BaseModel):
        lines = [f"{pad}{name}:{note}"]
        for child, child_field in type(default).model_fields.items():
            lines += _field_lines(child, child_field, depth + 1, getattr(default, child))
        return lines
    if isinstance(default, list) and default and isinstance(default[0], BaseModel):
        items = [", ".join(f"{k}: {_yaml_value(v)}"
                           for k, v in item.model_dump(exclude_none=True).items())
                 for item in default]
        return [f"{pad}{name}:{note}", *(f"{pad}  - {{{item}}}" for item in items)]
    if default is None:
        return [f"{pad}# {name}:{note}"]
    return [f"{pad}{name}: {_yaml_value(default)}{note}"]


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if (not value or ":" in value or value[0] in "#[{") else value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    return str(value)


def json_schema(models: Mapping[str, type[SceneSpec]]) -> dict[str, Any]:
    """One JSON Schema (draft-07, what yaml-language-server reads) accepting any registered
    kind: ``scene`` is required and names the kind, whose own schema then applies."""
    members = tuple(models.values())
    union = TypeAdapter(Union[members])  # noqa: UP007 (a tuple of classes at run time)
    generated = union.json_schema(ref_template="#/definitions/{model}")
    refs = [choice["$ref"] for choice in generated.get("anyOf", [generated])]
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "mlanim scene spec",
        "type": "object",
        "required": ["scene"],
        "properties": {"scene": {"enum": list(models), "description": "the scene kind"}},
        "allOf": [{"if": {"properties": {"scene": {"const": name}}, "required": ["scene"]},
                   "then": {"$ref": ref}} for name, ref in zip(models, refs, strict=True)],
        "definitions": generated.get("$defs", {}),
    }
    return _draft7(schema)


def _draft7(node: Any) -> Any:
    """Rewrite 2020-12 keywords pydantic emits into their draft-07 forms (tuples:
    ``prefixItems`` -> ``items`` as a list)."""
    if isinstance(node, dict):
        node = {key: _draft7(value) for key, value in node.items()}
        if "prefixItems" in node:
            node["items"] = node.pop("prefixItems")
            node.setdefault("additionalItems", False)
        return node
    if isinstance(node, list):
        return [_draft7(value) for value in node]
    return node
