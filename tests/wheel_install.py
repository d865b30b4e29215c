"""The fresh virtual environment tests/test_packaging.py checks: the project's wheel and the
pinned torch installed into it by pip. Installing takes a minute and a half, mostly one core
unpacking torch, so when that test is selected conftest starts it at collection, beside the
other tests (which leave the second core idle most of the time); the test waits for it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = "torch==2.13.0"


class WheelInstall:
    """pip building the wheel and installing it with torch into ``folder/venv``, running."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mlanim-wheel-"))
        self.venv = self.folder / "venv"
        self.log = self.folder / "install.log"
        wheels, python = self.folder / "wheels", self.venv / "bin" / "python"
        pip = f"{python} -m pip install --quiet --disable-pip-version-check"
        script = (f"set -e; {sys.executable} -m pip wheel --quiet --no-deps {ROOT} -w {wheels}; "
                  f"{sys.executable} -m venv {self.venv}; {pip} '{TORCH}'; "
                  f"{pip} {wheels}/*.whl")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(["bash", "-c", script], stdout=log,
                                            stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 1800) -> Path:
        """The venv, once installed; an AssertionError with pip's output if that failed."""
        code = self.process.wait(timeout=timeout)
        assert code == 0, self.log.read_text()[-3000:]
        return self.venv


started: WheelInstall | None = None


def start() -> WheelInstall:
    """The install, started once."""
    global started
    if started is None:
        started = WheelInstall()
    return started
