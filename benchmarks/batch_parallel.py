"""batch_parallel: four example specs rendered by one `mlanim render` call, one at a time
(`--jobs 1`) vs on two worker processes (`--jobs 2`), training included (an empty trace cache
each time), MP4 at 720p. Target: `--jobs 2` at most 0.65x the serial time on 2 cores.

Run: .venv/bin/python benchmarks/batch_parallel.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine, stopwatch

EXAMPLES = ("quickstart", "curves_overfit", "gradients_healthy", "feature_space_circles")
TARGET = 0.65


def seconds(jobs: int) -> float:
    """Wall time of rendering `EXAMPLES` with ``--jobs jobs`` from an empty cache."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, MLANIM_CACHE_DIR=str(Path(folder) / "cache"))
        specs = [str(ROOT / "scenes" / f"{name}.yaml") for name in EXAMPLES]
        with stopwatch() as elapsed:
            done = subprocess.run([sys.executable, "-m", "mlanim", "render", *specs, "-q",
                                   "-f", "mp4", "--out", folder, "--jobs", str(jobs)],
                                  env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"render failed: {done.stderr}")
    return elapsed[0]


def main() -> None:
    print_machine()
    serial, parallel = [], []
    for _ in range(2):  # interleaved, so machine noise hits both alike
        serial.append(seconds(1))
        parallel.append(seconds(2))
    s, p = min(serial), min(parallel)
    print(f"{len(EXAMPLES)} specs, training included: --jobs 1 {s:.1f} s, --jobs 2 {p:.1f} s "
          f"(runs: {', '.join(f'{v:.1f}' for v in serial)} / "
          f"{', '.join(f'{v:.1f}' for v in parallel)})")
    print(f"batch_parallel: {p / s:.2f}x serial with --jobs 2 (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
