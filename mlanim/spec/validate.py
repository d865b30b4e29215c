"""Validate plain YAML data against a scene's pydantic model, turning errors into located lines."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from mlanim.errors import SpecError, format_key_path
from mlanim.spec.sections import SceneSpec
from mlanim.spec.yaml_source import KeyPath, YamlSource


def validate(source: YamlSource, kinds: Mapping[str, type[SceneSpec]]) -> SceneSpec:
    """Check ``source`` against the model of its ``scene:`` kind and return the frozen spec."""
    data = source.data
    if not isinstance(data, dict):
        raise source.error("a scene spec must be a mapping of keys", (),
                           hint="start with a line like 'scene: decision_boundary'")
    if "scene" not in data:
        raise source.error("missing key 'scene'", (),
                           hint=f"add 'scene: KIND' with one of: {', '.join(sorted(kinds))}")
    kind = data["scene"]
    if not isinstance(kind, str) or kind not in kinds:
        near = _near(str(kind), kinds)
        hint = f"did you mean '{near}'?" if near else f"one of: {', '.join(sorted(kinds))}"
        raise source.error(f"unknown scene kind '{kind}'", ("scene",), hint=hint)
    try:
        return kinds[kind].model_validate(data)
    except ValidationError as err:
        raise _located(source, kinds[kind], err.errors()[0]) from None


def _located(source: YamlSource, model: type[BaseModel], error: Mapping[str, Any]) -> SpecError:
    """One pydantic error as a `SpecError` at the key's line, with a suggestion where one helps."""
    path = _data_path(source.data, error["loc"])
    where = format_key_path(path) or "the spec"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        parent = path[:-1]
        allowed = _field_names(model, parent)
        near = _near(str(path[-1]), allowed)
        section = format_key_path(parent) or "the top level"
        hint = f"did you mean '{near}'?" if near else f"known keys: {', '.join(sorted(allowed))}"
        return source.error(f"unknown key '{path[-1]}' in {section}", path, hint)
    if kind == "missing":
        return source.error(f"missing key '{format_key_path(error['loc'])}'", path)
    message = error["msg"].removeprefix("Value error, ")
    hint = None
    if kind == "literal_error" and isinstance(value, str):
        choices = error.get("ctx", {}).get("expected", "")
        options = [c.strip(" '") for c in choices.replace(" or ", ",").split(",") if c.strip()]
        near = _near(value, options)
        hint = f"did you mean '{near}'?" if near else None
    if kind.endswith("_validator") or kind == "value_error":
        return source.error(message, path, hint)
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return source.error(f"bad value for {where}: {message}{shown}", path, hint)


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Keep the parts of pydantic's ``loc`` that exist in the data (drops union member tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not path_has_union(part):
            path.append(part)  # a missing or forbidden key: name it, then stop
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def path_has_union(part: str) -> bool:
    """Pydantic names union members in ``loc`` like ``int`` or ``literal['full']``."""
    return part in {"int", "float", "str", "bool"} or part.startswith(("literal[", "function-"))


def _field_names(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The keys allowed at ``path`` inside ``model``."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        current = _model_in(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``list[Foo] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    containers = (typing.Union, types.UnionType, list, tuple, typing.Annotated)
    if typing.get_origin(annotation) in containers:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found:
                return found
    return None


def _near(word: str, options: typing.Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None
