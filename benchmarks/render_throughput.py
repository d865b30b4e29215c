"""render_throughput: frames/s drawn and encoded at 720p for the quickstart scene, against
encoding those same frames alone (the floor). Target: at least half the floor's rate.

Run: .venv/bin/python benchmarks/render_throughput.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import against_encode_floor, print_machine, quickstart_trace


def main() -> None:
    print_machine()
    _, spec, trace = quickstart_trace(quality="medium", duration=10)
    against_encode_floor(spec, trace, "render_throughput", 0.5, serial=True)


if __name__ == "__main__":
    main()
