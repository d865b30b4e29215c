"""The fresh virtual environment tests/test_packaging.py checks: the project's wheel
installed by pip into a new venv that holds only the pinned torch.

pip would spend a minute and a half unpacking torch's wheel; the test's own environment has
that very torch installed, so its files (and its record, which pip reads) are linked into
the new venv instead, and pip installs the wheel and everything else it needs as a user's
pip would."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = "2.13.0"


def fresh_venv(folder: Path) -> Path:
    """A new venv in ``folder`` with torch and the project's wheel (and its dependencies)."""
    wheels, venv = folder / "wheels", folder / "venv"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT),
                    "-w", str(wheels)], check=True, timeout=600)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], check=True, capture_output=True,
                               text=True).stdout.strip())
    link_torch(site)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", *map(str, wheels.glob("*.whl"))],
                   check=True, timeout=900)
    return venv


def link_torch(site: Path) -> None:
    """This environment's torch (its packages and dist-info) into ``site``, as hard links
    where the file system allows, else as copies."""
    torch = importlib.metadata.distribution("torch")
    assert torch.version.split("+")[0] == TORCH, torch.version
    here = Path(sysconfig.get_paths()["purelib"])
    tops = {str(path).split("/")[0] for path in torch.files or []} - {".."}
    for top in sorted(tops):
        source = here / top
        if source.is_dir():
            shutil.copytree(source, site / top, copy_function=_link)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
