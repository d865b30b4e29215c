"""The scene spec: YAML in, a frozen validated pydantic model out, with located errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlanim.spec.sections import (
    DataSpec,
    ModelSpec,
    OptimizerSpec,
    RenderSpec,
    SceneSpec,
    TrainedSceneSpec,
    TrainSpec,
)
from mlanim.spec.validate import validate
from mlanim.spec.yaml_source import YamlSource, apply_sets, read_yaml

__all__ = [
    "DataSpec",
    "LoadedSpec",
    "ModelSpec",
    "OptimizerSpec",
    "RenderSpec",
    "SceneSpec",
    "TrainSpec",
    "TrainedSceneSpec",
    "YamlSource",
    "load_spec",
    "load_spec_data",
]


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with the file it came from (for relative paths and error positions)."""

    spec: SceneSpec
    source: YamlSource
    path: Path

    def resolve(self, relative: str) -> Path:
        """A path written in the spec: relative to the spec's folder, else to the working folder."""
        candidate = Path(relative).expanduser()
        if candidate.is_absolute():
            return candidate
        beside_spec = self.path.parent / candidate
        return beside_spec if beside_spec.exists() or not candidate.exists() else candidate


def load_spec(path: Path, kinds: Mapping[str, type[SceneSpec]],
              sets: Sequence[str] = (), label: str = "--set {}") -> LoadedSpec:
    """Read the spec at ``path``, apply ``--set KEY=VALUE`` overrides, and validate it
    against the registered scene kinds' models."""
    source = apply_sets(read_yaml(path), sets, label)
    return LoadedSpec(validate(source, kinds), source, path)


def load_spec_data(data: object, path: Path, name: str, kinds: Mapping[str, type[SceneSpec]],
                   sets: Sequence[str] = (), label: str = "--set {}") -> LoadedSpec:
    """A spec given as plain data (a dict), validated like a file; errors name ``name`` and
    the key path, and ``path`` stands for the file (its folder and stem)."""
    source = apply_sets(YamlSource(name, data), sets, label)
    return LoadedSpec(validate(source, kinds), source, path)
