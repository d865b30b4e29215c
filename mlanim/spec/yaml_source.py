"""Read YAML into plain data while keeping the line and column of every key, for error messages."""

from __future__ import annotations

import copy
import stat
from collections.abc import Sequence
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
    flags: dict[KeyPath, str] = field(default_factory=dict)  # keys set on the command line

    def locate(self, path: KeyPath) -> tuple[str, int | None, int | None]:
        """Where ``path`` was written: the ``--set`` flag that set it, or the file's line and
        column."""
        path = tuple(path)
        for prefix, flag in self.flags.items():
            made_by_flag = bool(path) and prefix[: len(path)] == path and \
                path not in self.positions  # a mapping the flag created
            if path[: len(prefix)] == prefix or made_by_flag:
                return flag, None, None
        return (self.file, *self.position(path))

    def position(self, path: KeyPath) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the deepest known prefix of ``path``."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1) if path else (None, None)

    def error(self, message: str, path: KeyPath = (), hint: str | None = None) -> SpecError:
        """A `SpecError` located at ``path`` in this file (or at the flag that set it)."""
        file, line, column = self.locate(path)
        return SpecError(message, file, line, column, path, hint)


def apply_sets(source: YamlSource, sets: Sequence[str], label: str = "--set {}") -> YamlSource:
    """``source`` with each ``KEY=VALUE`` of ``--set`` applied: KEY a dotted path into the spec
    (missing mappings are created), VALUE read as YAML (``3``, ``light``, ``[8, 8]``). Errors
    name the setting as ``label`` writes it (the Python API's keywords, say)."""
    if not sets:
        return source
    data = copy.deepcopy(source.data) if isinstance(source.data, dict) else {}
    flags = dict(source.flags)
    for item in sets:
        flag = label.format(item if len(item) <= 80 else item[:60] + "…")
        key, sep, text = item.partition("=")
        path = tuple(part for part in key.strip().split(".") if part)
        if not sep or not path:
            raise SpecError("--set needs KEY=VALUE, e.g. --set render.theme=light", flag)
        if _flow_depth(text) > MAX_DEPTH:
            raise SpecError(f"the value nests lists or mappings more than {MAX_DEPTH} deep",
                            flag, hint="a spec value needs a few levels")
        try:
            value = _plain(YAML(typ="rt").load(text) if text.strip() else "", (), {},
                           _Budget(flag))
        except (YAMLError, SpecError, ValueError) as err:
            raise SpecError(f"cannot read the value: {err}", flag) from None
        except RecursionError:
            raise SpecError("the value nests too deeply to read", flag) from None
        _set_at(data, path, value, flag)
        flags[path] = flag
    return YamlSource(source.file, data, source.positions, flags)


def _set_at(data: dict, path: tuple[str, ...], value: Any, flag: str) -> None:
    """Put ``value`` at ``path`` in ``data``: missing mappings are made; a number indexes an
    existing list (``render.formats.0=gif``), or appends to it when it is the list's length."""
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, list) and part.isdigit() and int(part) <= len(node):
            index = int(part)
            if index == len(node):
                node.append(value if last else {})
            elif last:
                node[index] = value
            elif not isinstance(node[index], dict | list):
                node[index] = {}
            node = node[index]
            continue
        if isinstance(node, list):
            raise SpecError(f"{'.'.join(path[:depth])} is a list of {len(node)}: index it with "
                            f"a number from 0 to {len(node)}", flag)
        if last:
            node[part] = value
        elif not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]


MAX_SPEC_BYTES = 256 * 1024
"""The largest spec file read (a spec is a page of text; a corpus belongs in a file)."""
MAX_VALUES = 100_000
"""The most values a spec may expand to: YAML aliases can make a few lines mean billions."""
MAX_DEPTH = 64
"""The deepest nesting of lists and mappings a spec may have."""


def read_yaml(path: Path) -> YamlSource:
    """Parse ``path`` with a safe round-trip loader; bad YAML becomes a located `SpecError`.

    The file is read as a stranger's: a regular file within `MAX_SPEC_BYTES`, nested at most
    `MAX_DEPTH` deep, expanding (through aliases) to at most `MAX_VALUES` values, no tags."""
    return read_yaml_text(_spec_text(path), str(path))


def read_yaml_text(text: str, name: str) -> YamlSource:
    """`read_yaml` of spec text given directly (a notebook cell), under the same limits;
    ``name`` is how errors call it."""
    if len(text.encode("utf-8", "replace")) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is over {MAX_SPEC_BYTES // 1024} KB", name,
                        hint="keep long texts in a file the spec names")
    if _flow_depth(text) > MAX_DEPTH:
        raise SpecError(f"the spec nests lists or mappings more than {MAX_DEPTH} deep", name,
                        hint="a scene spec needs a few levels")
    try:
        raw = YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = (err.problem or err.context or "malformed YAML").strip()
        raise SpecError(f"malformed YAML: {problem}", name, line, col,
                        hint="check indentation, colons and quotes") from None
    except RecursionError:
        raise SpecError("the spec nests too deeply to read", name) from None
    except (YAMLError, ValueError, TypeError) as err:
        raise SpecError(f"malformed YAML: {err}", name) from None
    positions: dict[KeyPath, tuple[int, int]] = {}
    budget = _Budget(name)
    return YamlSource(name, _without_anchor_holders(_plain(raw, (), positions, budget)),
                      positions)


def _without_anchor_holders(data: Any) -> Any:
    """The spec without its top-level ``x-...`` keys: where shared configs keep the blocks
    that ``<<: *name`` merges in (the Compose convention), not settings of their own."""
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if not key.startswith("x-")}


def _spec_text(path: Path) -> str:
    """The spec's text, read only from a regular file within the size cap."""
    name = str(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {name}", hint="check the path") from None
    except OSError as err:
        raise SpecError(f"cannot read {name}: {err.strerror}") from None
    if path.is_dir():
        raise SpecError(f"{name} is a folder, not a spec file", hint="name a .yaml file")
    if not stat.S_ISREG(status.st_mode):
        raise SpecError(f"{name} is not a regular file (a device or a pipe)",
                        hint="name a .yaml file")
    if status.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"{name} is {status.st_size:,} bytes; a spec may have at most "
                        f"{MAX_SPEC_BYTES:,}", hint="keep long texts in a file the spec names "
                        "(task.corpus_path)")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{name} is not UTF-8 text", hint="save it as UTF-8") from None
    except OSError as err:
        raise SpecError(f"cannot read {name}: {err.strerror}") from None


def _flow_depth(text: str) -> int:
    """The deepest nesting of flow brackets ([ and {), counted without parsing (an upper
    bound: brackets inside quotes count too)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


@dataclass
class _Budget:
    """Counts the values a spec expands to, so aliases cannot multiply it past a limit."""

    file: str
    used: int = 0

    def take(self, path: KeyPath) -> None:
        self.used += 1
        if self.used > MAX_VALUES:
            raise SpecError(f"the spec expands to more than {MAX_VALUES:,} values (YAML "
                            "aliases repeated inside each other?)", self.file,
                            hint="write the values out; a scene spec needs a few dozen")
        if len(path) > MAX_DEPTH:
            raise SpecError(f"the spec nests more than {MAX_DEPTH} levels deep", self.file)


def _plain(node: Any, path: KeyPath, positions: dict[KeyPath, tuple[int, int]],
           budget: _Budget) -> Any:
    """Turn ruamel's commented containers into dicts and lists, recording key positions;
    tags (``!!python/object``, ``!foo``) are refused."""
    budget.take(path)
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None:
        where = positions.get(path, (None, None))
        raise SpecError(f"YAML tags such as {tag.replace('tag:yaml.org,2002:', '!!')} are not "
                        "allowed in a spec", budget.file, *where, path,
                        "write plain values")
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            positions[(*path, str(key))] = _where(_key_mark(node, key), positions.get(path))
            out[str(key)] = _plain(value, (*path, str(key)), positions, budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            positions[(*path, i)] = _where(node.lc.item(i), positions.get(path))
            items.append(_plain(value, (*path, i), positions, budget))
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


def _key_mark(node: CommentedMap, key: Any) -> Any:
    """Where ruamel read ``key``; None for a key a merge (``<<: *base``) brought in, which
    has no place of its own in this mapping."""
    try:
        return node.lc.key(key)
    except KeyError:
        return None


def _where(mark: Any, parent: tuple[int, int] | None) -> tuple[int, int]:
    """A 1-based (line, column) from ruamel's 0-based mark, or the parent's when ruamel has
    none (items of a merged or tagged container)."""
    if isinstance(mark, (tuple, list)) and len(mark) >= 2:
        return mark[0] + 1, mark[1] + 1
    return parent or (1, 1)
