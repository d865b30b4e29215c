"""A user's own manim scene, as a lecturer writes one, rendered by the ``manim`` command in
tests/test_manim_command.py: a board filling the frame, held on epoch 0, trained to epoch
``MLANIM_TEST_EPOCH``, held there."""

import os

from manim import Scene, config

import mlanim
from mlanim.manim import SceneMobject


class Board(Scene):
    """Hold, train, hold: one second each."""

    def construct(self) -> None:
        run = mlanim.load(os.environ["MLANIM_TEST_SPEC"])
        board = SceneMobject(run, "decision_boundary", width=config.frame_width)
        self.add(board.at(epoch=0))
        self.wait(1)
        self.play(board.train(epochs=(0, float(os.environ["MLANIM_TEST_EPOCH"]))), run_time=1)
        self.wait(1)
