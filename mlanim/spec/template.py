"""Commented spec templates (``mlanim new``) and the JSON Schema (``mlanim schema``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter

from mlanim.spec.sections import SceneSpec
from mlanim.spec.validate import _model_in

SKIP_IN_TEMPLATE = {"trace"}


def template(model: type[SceneSpec]) -> str:
    """A YAML spec with every key at its default and a comment saying what it does.

    Keys whose default is empty are shown commented out. The result validates as is.
    """
    kind = model.model_fields["scene"].default
    doc = (model.__doc__ or "").strip().splitlines()[0]
    lines = [f"# mlanim scene spec: {kind}. {doc}", f"scene: {kind}"]
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
    note = f"  # {field.description}" if field.description else ""
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
    """One schema accepting any registered kind, chosen by its ``scene`` key."""
    members = tuple(models.values())
    if len(members) == 1:
        schema = members[0].model_json_schema()
    else:
        union = Annotated[Union[members], Field(discriminator="scene")]  # noqa: UP007
        schema = TypeAdapter(union).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlanim scene spec"
    return schema
