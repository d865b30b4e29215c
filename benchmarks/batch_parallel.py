"""batch_parallel: four example specs rendered by one `mlanim render` call, one at a time
(`--jobs 1`) vs on two worker processes (`--jobs 2`) vs on a Dask cluster of this machine
(`--cluster local`: two single-threaded workers, started by the command and counted), training
included (an empty trace cache each time), MP4 at 720p. Targets on 2 cores: `--jobs 2` at most
0.65x the serial time; the cluster within 1.2x of `--jobs 2`.

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
CLUSTER_TARGET = 1.2
MODES = {"serial": ["--jobs", "1"], "jobs": ["--jobs", "2"], "cluster": ["--cluster", "local"]}


def seconds(mode: list[str]) -> float:
    """Wall time of rendering `EXAMPLES` with ``mode``'s options from an empty cache."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, MLANIM_CACHE_DIR=str(Path(folder) / "cache"))
        specs = [str(ROOT / "scenes" / f"{name}.yaml") for name in EXAMPLES]
        with stopwatch() as elapsed:
            done = subprocess.run([sys.executable, "-m", "mlanim", "render", *specs, "-q",
                                   "-f", "mp4", "--out", folder, *mode],
                                  env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"render failed: {done.stderr}")
    return elapsed[0]


def main() -> None:
    print_machine()
    runs: dict[str, list[float]] = {name: [] for name in MODES}
    for _ in range(2):  # interleaved, so machine noise hits every mode alike
        for name, mode in MODES.items():
            runs[name].append(seconds(mode))
    best = {name: min(values) for name, values in runs.items()}
    for name, values in runs.items():
        print(f"{name:8} {best[name]:6.1f} s  (runs: {', '.join(f'{v:.1f}' for v in values)})")
    print(f"batch_parallel: {best['jobs'] / best['serial']:.2f}x serial with --jobs 2 (target "
          f"<= {TARGET}x); --cluster local {best['cluster'] / best['jobs']:.2f}x --jobs 2 "
          f"(target <= {CLUSTER_TARGET}x)")


if __name__ == "__main__":
    main()
