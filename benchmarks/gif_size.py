"""gif_size: every example's 10 s GIF at its default settings (720 px, at most 15 fps, 128
colours), drawn with matplotlib (manim draws the same picture, several times slower; pass
--own-backend to use each example's). Target: each at most 5 MB, the size blogs and READMEs
accept.

Run: .venv/bin/python benchmarks/gif_size.py   (traces are cached, so a second run only draws)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine

from mlanim import pipeline
from mlanim.progress import SilentProgress

TARGET_MB = 5.0


def main() -> None:
    print_machine()
    sizes = {}
    with tempfile.TemporaryDirectory() as out:
        for spec in sorted((ROOT / "scenes").glob("*.yaml")):
            backend = None if "--own-backend" in sys.argv else "matplotlib"
            options = pipeline.RenderOptions(out_dir=Path(out), formats=("gif",),
                                             backend=backend, overrides={"duration": 10.0})
            (gif,) = pipeline.render(spec, options, SilentProgress())
            sizes[spec.stem] = gif.stat().st_size / 2**20
            print(f"{spec.stem:<26} {sizes[spec.stem]:6.2f} MB", flush=True)
    name = max(sizes, key=sizes.get)
    print(f"gif_size: largest {sizes[name]:.2f} MB ({name}) (target {TARGET_MB:g} MB)")


if __name__ == "__main__":
    main()
