"""`mlanim.manim.SceneMobject`: a run's picture as manim mobjects that move and scale like
any, set to an epoch, and trained over epochs by an `Animation` that ends exactly on the
picture of its last epoch; mistakes a manim user can make raise one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

import mlanim
from mlanim.errors import UsageError
from tests.conftest import SMALL_SCENE

pytest.importorskip("manim")
from manim import RIGHT, UP

from mlanim.manim import SceneMobject


@pytest.fixture
def run(write_spec):
    return mlanim.load(write_spec(SMALL_SCENE))


def drawn(board: SceneMobject) -> list[np.ndarray]:
    """The points of every part of the board, in drawing order."""
    return [member.points.copy() for member in board.get_family()[1:]
            if len(member.points)]


def test_a_board_is_its_width_and_moves_and_scales_with_what_it_shows(run):
    board = SceneMobject(run, "decision_boundary", width=6)
    left, right = board.get_left()[0], board.get_right()[0]
    assert right - left == pytest.approx(6, abs=0.05)
    board.scale(0.5).shift(2 * RIGHT + UP)
    board.at(epoch=3)  # redrawn where the lecturer put it
    assert board.get_center()[:2] == pytest.approx([2, 1], abs=0.05)
    assert board.get_right()[0] - board.get_left()[0] == pytest.approx(3, abs=0.05)


def test_training_ends_exactly_on_the_picture_of_its_last_epoch(run):
    board = SceneMobject(run, "decision_boundary", width=6)
    animation = board.train(epochs=(0, 4))
    animation.begin()
    for alpha in (0.3, 0.7):
        animation.interpolate(alpha)
    animation.finish()
    expected = SceneMobject(run, "decision_boundary", width=6).at(epoch=4)
    assert len(drawn(board)) == len(drawn(expected))
    for got, want in zip(drawn(board), drawn(expected), strict=True):
        assert np.allclose(got, want)


@pytest.mark.parametrize("kind, epoch, message", [
    ("decision_boundry", None, "unknown scene kind"),
    ("loss_curves", None, "draws only as decision_boundary"),
    ("decision_boundary", 99, "epoch 99 is outside the run"),
])
def test_a_manim_users_mistakes_are_one_line_errors(run, kind, epoch, message):
    with pytest.raises(UsageError, match=message) as refused:
        board = SceneMobject(run, kind)
        board.at(epoch=epoch)
    assert "\n" not in str(refused.value) and refused.value.hint
