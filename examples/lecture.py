"""A lecturer's own manim scene with three real runs in it: the quickstart's decision
boundary trained for a few seconds, moved to a corner beside a formula, trained on; a wide
network's loss curves overfitting; then one training step inside a small network, its
forward and backward passes carrying the recorded numbers.

Run from the repository: manim -ql examples/lecture.py Lecture  (-qm for 720p)
"""

from pathlib import Path

from manim import DOWN, UL, UR, FadeIn, FadeOut, Scene, Text, Write

import mlanim
from mlanim.manim import SceneMobject

SCENES = Path(__file__).resolve().parent.parent / "scenes"


class Lecture(Scene):
    """Two runs as mobjects between the lecturer's own."""

    def construct(self) -> None:
        board = SceneMobject(mlanim.load(SCENES / "quickstart.yaml"), "decision_boundary",
                             width=10)
        self.play(FadeIn(board))
        self.play(board.train(epochs=(0, 20)), run_time=3)
        self.play(board.animate.scale(0.45).to_corner(UL))
        formula = Text("ŷ = softmax(W₃ tanh(W₂ tanh(W₁x)))", font_size=30)
        self.play(Write(formula))
        self.play(board.train(epochs=(20, 60)), run_time=3)
        curves = SceneMobject(mlanim.load(SCENES / "curves_overfit.yaml"), "loss_curves",
                              width=5.5, captions=False).to_corner(UR)
        self.play(FadeIn(curves), formula.animate.shift(2.2 * DOWN))
        self.play(curves.train(), run_time=4)
        self.wait(1)
        self.play(FadeOut(board), FadeOut(curves), FadeOut(formula))
        network = SceneMobject(mlanim.load(SCENES / "iris_pulses.yaml"), "network_pulses",
                               width=12)
        self.play(FadeIn(network))
        self.play(network.forward_pass())  # at the video's own pace
        self.play(network.backward_pass())
        self.wait(1)
