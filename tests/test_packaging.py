"""The package as a pip user gets it: a wheel installed into a fresh virtual environment
without extras renders a matplotlib example it ships, and asks for the extra that the manim
backend and the umap projection need, before any training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_without_extras_renders_with_matplotlib_and_names_missing_extras(tmp_path):
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT),
                    "-w", str(wheels)], check=True, timeout=600)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    subprocess.run([*pip, "torch==2.13.0"], check=True, timeout=900)
    subprocess.run([*pip, *map(str, wheels.glob("*.whl"))], check=True, timeout=900)
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
