"""quickstart: `make demo` end to end on a set-up machine, training included (empty trace
cache). Target: under 60 s on a 2-core machine.

Run: .venv/bin/python benchmarks/quickstart.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine, stopwatch


def main() -> None:
    print_machine()
    env = dict(os.environ, MLANIM_CACHE_DIR=tempfile.mkdtemp())  # nothing cached: train too
    with stopwatch() as elapsed:
        done = subprocess.run(["make", "demo"], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"make demo failed:\n{done.stderr[-2000:]}")
    for line in done.stdout.splitlines():
        path = ROOT / line.strip()
        if path.suffix in (".mp4", ".gif") and path.exists():
            print(f"{line.strip():<28} {path.stat().st_size / 1e6:6.2f} MB")
    print(f"quickstart: {elapsed[0]:.1f} s (target 60 s)")


if __name__ == "__main__":
    main()
