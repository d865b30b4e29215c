"""The package's shape holds: no import cycle (imports inside functions included), every scene
kind is a package of the same few modules, shared code names no kind, and reading a trace loads
no encoder."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from mlanim import scenes

ROOT = Path(__file__).resolve().parent.parent / "mlanim"
KIND_MODULES = {"__init__.py", "spec.py", "story.py", "picture.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The mlanim modules ``path`` names in any import statement, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return found & known


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: imports_of(path, set(files)) - {name} for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("kind", scenes.builtin_names())
def test_a_kind_is_a_package_of_the_same_modules(kind):
    files = {p.name for p in (ROOT / "scenes" / kind).glob("*.py")}
    assert files >= KIND_MODULES, f"{kind} lacks {sorted(KIND_MODULES - files)}"
    init = (ROOT / "scenes" / kind / "__init__.py").read_text()
    assert "KIND = " in init and len(init.splitlines()) < 140


def test_shared_code_names_no_kind():
    shared = [p for p in ROOT.rglob("*.py") if "scenes" not in p.relative_to(ROOT).parts[:1]]
    for path in shared:
        for kind in scenes.builtin_names():
            assert f"import {kind}" not in path.read_text() and \
                f"scenes.{kind}" not in path.read_text(), f"{path} names {kind}"


def test_reading_a_trace_loads_no_encoder_and_no_torch():
    code = ("import sys, mlanim.trace; "
            "print(sorted(m for m in sys.modules if m == 'av' or m == 'torch' "
            "or m.startswith('mlanim.encode')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
