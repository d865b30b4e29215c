"""The README's pictures of boards in a lecturer's manim scene (docs/img/board_*.png).

Run from the repository: .venv/bin/python scripts/board_stills.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENES = '''
from manim import DEGREES, Scene, ThreeDScene
import mlanim
from mlanim.manim import SceneMobject

SCENES = "{scenes}"


class Walkthrough(Scene):
    def construct(self):
        board = SceneMobject(mlanim.load(f"{{SCENES}}/attention_reverse.yaml"), "attention",
                             width=14)
        self.add(board)
        self.play(board.walkthrough(head=1), run_time=1)


class Turned(ThreeDScene):
    def construct(self):
        board = SceneMobject(mlanim.load(f"{{SCENES}}/landscape_moons.yaml"), "loss_landscape",
                             width=13, three_d=True)
        self.set_camera_orientation(phi=58 * DEGREES, theta=-62 * DEGREES, zoom=1.05)
        self.add(board.at(epoch=40))
'''
STILLS = {"Walkthrough": "board_walkthrough.png", "Turned": "board_3d.png"}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "boards.py"
        scene.write_text(SCENES.format(scenes=ROOT / "scenes"))
        for name, still in STILLS.items():
            subprocess.run([sys.executable, "-m", "manim", "-qm", "-s", "--disable_caching",
                            "--media_dir", folder, str(scene), name], check=True,
                           capture_output=True)
            made = next(Path(folder).rglob(f"{name}*.png"))
            shutil.copy(made, ROOT / "docs" / "img" / still)
            print(ROOT / "docs" / "img" / still)


if __name__ == "__main__":
    main()
