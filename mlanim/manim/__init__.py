"""mlanim inside your own manim scene: a recorded run as mobjects and animations.

::

    from manim import *
    import mlanim
    from mlanim.manim import SceneMobject

    class Lecture(Scene):
        def construct(self):
            run = mlanim.load("scenes/quickstart.yaml")
            board = SceneMobject(run, "decision_boundary", width=7)
            self.play(FadeIn(board))
            self.play(board.train(epochs=(0, 20)), run_time=4)
            self.play(board.animate.scale(0.5).to_corner(UL))
"""

from __future__ import annotations

from mlanim.extras import require

require("manim", "manim", "mlanim.manim")

from mlanim.manim.mobject import Playback, SceneMobject  # noqa: E402 - after the check

__all__ = ["Playback", "SceneMobject"]
