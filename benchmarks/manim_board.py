"""manim_board: a 10 s `SceneMobject(...).train()` at 720p30 in a user's scene, rendered by
the ``manim`` command, over the same clip through ``mlanim render --backend manim``; both
from the cached trace, both as whole commands (start-up counted). Target: <= 2.0x.

The board is real mobjects (each disc group, line and label a manim mobject the scene
captures); the backend paints straight into the camera's pixels. The board keeps the
mobjects of shapes that did not change since the last frame and draws hundreds of discs as
one mobject per colour, which is what keeps it near the backend.

Run: .venv/bin/python benchmarks/manim_board.py [EXAMPLE]   (default quickstart)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_machine, stopwatch

KIND = {"quickstart": "decision_boundary", "curves_overfit": "loss_curves",
        "iris_pulses": "network_pulses", "landscape_moons": "loss_landscape"}
SECONDS = 10
TARGET = 2.0
SCENE = '''
import os
from manim import Scene, config
import mlanim
from mlanim.manim import SceneMobject

class Clip(Scene):
    def construct(self):
        board = SceneMobject(mlanim.load(os.environ["SPEC"]), os.environ["KIND"],
                             width=config.frame_width)
        self.add(board)
        self.play(board.train(), run_time=float(os.environ["SECONDS"]))
'''


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds ``command`` takes to run (it must succeed)."""
    with stopwatch() as elapsed:
        subprocess.run(command, check=True, capture_output=True, env=env)
    return elapsed[0]


def main() -> None:
    print_machine()
    example = sys.argv[1] if len(sys.argv) > 1 else "quickstart"
    spec = ROOT / "scenes" / f"{example}.yaml"
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as folder:
        render = [str(bin_dir / "mlanim"), "render", str(spec), "--backend", "manim", "-qm",
                  "--duration", str(SECONDS), "-f", "mp4", "-q", "--out", folder]
        timed(render)  # the trace into the cache, once
        backend = timed(render)
        scene = Path(folder) / "clip.py"
        scene.write_text(SCENE)
        env = {**os.environ, "SPEC": str(spec), "KIND": KIND[example],
               "SECONDS": str(SECONDS)}
        board = timed([sys.executable, "-m", "manim", "-qm", "--disable_caching",
                       "--media_dir", str(Path(folder) / "media"), str(scene), "Clip"], env)
    ratio = board / backend
    print(f"{example}: mlanim render --backend manim {backend:.1f} s; a board in a scene "
          f"{board:.1f} s ({SECONDS} s at 720p30)")
    print(f"manim_board: {ratio:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
