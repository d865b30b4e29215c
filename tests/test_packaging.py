"""The package as a pip user gets it: a wheel installed into a fresh virtual environment
without extras renders a matplotlib example it ships, and asks for the extra that the manim
backend and the umap projection need, before any training."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import wheel_install

pytestmark = pytest.mark.slow  # builds and installs a wheel


def test_a_wheel_without_extras_renders_with_matplotlib_and_names_missing_extras(tmp_path):
    check_the_wheel(wheel_install.fresh_venv(tmp_path), tmp_path)


def check_the_wheel(venv: Path, tmp_path: Path) -> None:
    """What a pip user of the bare wheel sees."""
    mlanim = str(venv / "bin" / "mlanim")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([mlanim, *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=600, env={"PATH": "/usr/bin:/bin",
                                                "MLANIM_CACHE_DIR": str(tmp_path / "cache")})

    assert run("examples", "--copy", "ex").returncode == 0
    done = run("render", "ex/quickstart.yaml", "--quality", "low", "-f", "png", "--out", "o",
               "-q")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "quickstart.png").stat().st_size > 1000
    manim = run("render", "ex/quickstart.yaml", "--backend", "manim", "-q")
    assert manim.returncode == 2 and "pip install 'mlanim[manim]'" in manim.stderr
    umap = run("render", "ex/embedding_digits.yaml", "-q")
    assert umap.returncode == 2 and "pip install 'mlanim[umap]'" in umap.stderr
    assert "training" not in umap.stderr
    dask = run("render", "ex/quickstart.yaml", "ex/spiral_light.yaml", "--cluster", "local", "-q")
    assert dask.returncode == 2 and "pip install 'mlanim[dask]'" in dask.stderr
