"""Read YAML into plain data while keeping the line and column of every key, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from mlanim.errors import SpecError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """Plain data read from a YAML file, plus where each key path sits in the file."""

    file: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: KeyPath) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the deepest known prefix of ``path``."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1) if path else (None, None)

    def error(self, message: str, path: KeyPath = (), hint: str | None = None) -> SpecError:
        """A `SpecError` located at ``path`` in this file."""
        line, column = self.position(path)
        return SpecError(message, self.file, line, column, path, hint)


def read_yaml(path: Path) -> YamlSource:
    """Parse ``path`` with a safe round-trip loader; bad YAML becomes a located `SpecError`."""
    name = str(path)
    if not path.exists():
        raise SpecError(f"spec file not found: {name}", hint="check the path")
    if path.is_dir():
        raise SpecError(f"{name} is a folder, not a spec file", hint="name a .yaml file")
    try:
        raw = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = (err.problem or err.context or "malformed YAML").strip()
        raise SpecError(f"malformed YAML: {problem}", name, line, col,
                        hint="check indentation, colons and quotes") from None
    except (YAMLError, UnicodeDecodeError) as err:
        raise SpecError(f"malformed YAML: {err}", name) from None
    positions: dict[KeyPath, tuple[int, int]] = {}
    return YamlSource(name, _plain(raw, (), positions), positions)


def _plain(node: Any, path: KeyPath, positions: dict[KeyPath, tuple[int, int]]) -> Any:
    """Turn ruamel's commented containers into dicts and lists, recording key positions."""
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            line, col = node.lc.key(key)
            positions[(*path, str(key))] = (line + 1, col + 1)
            out[str(key)] = _plain(value, (*path, str(key)), positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            positions[(*path, i)] = (line + 1, col + 1)
            items.append(_plain(value, (*path, i), positions))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
