"""`mlanim.manim.SceneMobject`: a run's picture as manim mobjects that move and scale like
any, set to an epoch, and trained over epochs by an `Animation` that ends exactly on the
picture of its last epoch; mistakes a manim user can make raise one-line errors."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import mlanim
from mlanim import scenes
from mlanim.errors import UsageError
from tests.conftest import SMALL_KINDS, SMALL_SCENE

pytest.importorskip("manim")
from manim import RIGHT, UP, Polygon

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


@pytest.fixture
def board_of(small_traces, tmp_path):
    """A board of a kind drawn from its small recorded trace (`SMALL_KINDS`)."""

    def make(kind: str, **options) -> SceneMobject:
        if "trace" in scenes.get(kind).Spec.model_fields:
            path = small_traces[kind][1].save(tmp_path / f"{kind}.mlanim")
        else:  # a kind that records its own run loads its spec (recorded again: seconds)
            path = tmp_path / f"{kind}.yaml"
            path.write_text(textwrap.dedent(SMALL_KINDS[kind]))
        return SceneMobject(mlanim.load(path), kind, **options)

    return make


def phases(board: SceneMobject, move) -> set[tuple[str, int]]:
    """The pulses stages (phase, focus step) that the frames of ``move`` show."""
    timeline = board.pictures.story.timeline
    return {(timeline.at(frame).stage.phase, timeline.at(frame).stage.focus)
            for frame in range(int(move.first), int(move.last) + 1)}


def test_a_forward_pass_plays_the_recorded_steps_forward_stages_and_a_backward_its_update(
        board_of):
    board = board_of("network_pulses", width=8)
    forward, backward = board.forward_pass(step=3), board.backward_pass(step=3)
    assert phases(board, forward.move) == {("forward", 1), ("loss", 1)}
    assert phases(board, backward.move) == {("backward", 1), ("update", 1)}
    assert backward.move.first == forward.move.last + 1  # one follows the other
    assert forward.run_time == pytest.approx(forward.move.frames / board.pictures.video.fps)
    first = board.forward_pass()  # the first step recorded in detail
    assert phases(board, first.move) == {("forward", 0), ("loss", 0)}
    backward.begin()
    backward.finish()
    expected = board_of("network_pulses", width=8).at(frame=int(backward.move.last))
    assert [p.shape for p in drawn(board)] == [p.shape for p in drawn(expected)]
    assert all(np.allclose(a, b) for a, b in zip(drawn(board), drawn(expected), strict=True))


def test_a_walkthrough_shows_the_head_asked_for(board_of):
    board = board_of("attention", width=8, captions=False)
    walk = board.walkthrough(head=1, layer=0)
    walk.begin()
    walk.interpolate(0.5)
    assert board.pictures.story.segment(round(board.position)).view == "qkv"
    texts = [m.original_text for m in board.get_family() if hasattr(m, "original_text")]
    assert any("layer 1 · head 2" in text for text in texts)


def test_an_optimizer_race_runs_every_optimizer_to_its_last_step(board_of):
    board = board_of("optimizer_paths", width=8)
    race = board.optimizer_race()
    race.begin()
    race.finish()
    assert board.position == board.pictures.snapshots - 1 == 60
    part = board.train(steps=(0, 30))
    part.finish()
    assert board.position == 30


@pytest.mark.parametrize("kind, call, message", [
    ("decision_boundary", lambda b: b.forward_pass(), "an animation of network_pulses, not"),
    ("network_pulses", lambda b: b.at(epoch=1), "told in views"),
    ("network_pulses", lambda b: b.forward_pass(step=2), "step 2 was not recorded in detail"),
    ("network_pulses", lambda b: b.forward_pass(sample=4), "recorded sample #0"),
    ("network_pulses", lambda b: b.play(view="step 9"), "shows no view 'step 9'"),
    ("attention", lambda b: b.walkthrough(head=2), "head 2 is not in this model"),
    ("optimizer_paths", lambda b: b.train(epochs=(0, 3)), "counts optimizer steps"),
    ("optimizer_paths", lambda b: b.at(step=61), "step 61 is outside the run"),
])
def test_a_kinds_animations_refuse_what_the_run_cannot_show(board_of, kind, call, message):
    with pytest.raises(UsageError, match=message) as refused:
        call(board_of(kind, width=6))
    assert "\n" not in str(refused.value) and refused.value.hint


def test_without_manim_the_import_names_the_extra(monkeypatch):
    import sys

    import mlanim.extras
    from mlanim.errors import UserError

    real = mlanim.extras.installed
    monkeypatch.setattr(mlanim.extras, "installed", lambda module: module != "manim"
                        and real(module))
    monkeypatch.delitem(sys.modules, "mlanim.manim")
    with pytest.raises(UserError, match="needs manim, which is not installed") as refused:
        import mlanim.manim
    assert "mlanim[manim]" in refused.value.hint


def test_a_three_d_board_stands_the_landscape_out_of_its_plane(board_of):
    flat, solid = board_of("loss_landscape", width=8), board_of("loss_landscape", width=8,
                                                                three_d=True)
    heights = np.concatenate([m.points[:, 2] for m in solid.get_family() if len(m.points)])
    assert np.abs(np.concatenate([m.points[:, 2] for m in flat.get_family()
                                  if len(m.points)])).max() < 1e-9
    assert heights.max() > 1.0  # the surface rises out of the board's plane
    story = solid.pictures.story
    faces = [m for m in solid.get_family() if type(m) is Polygon]
    cells = (len(story.a) - 1) * (len(story.b) - 1)  # 11 x 11 grid points: every cell a face
    assert len(faces) == cells


@pytest.mark.parametrize("content, size, bold", [
    ("train 0.267", 20, False), ("epoch 12.3 / 60", 24, False),
    ("Decision boundary", 40, True), ("accuracy 100% train · 97% held out", 18, False),
    ("fc1 δ 2,394x", 22, False), ("a  b", 20, False)])
def test_a_label_has_the_points_manims_text_gives_it(content, size, bold):
    """A board's label, read from Pango's glyph outlines (and one whose digits were swapped
    into a label made before), is the outline manim's `Text` makes of the same string."""
    from manim import BOLD, NORMAL, Text

    from mlanim.manim.lettering import Lettering

    def outline(mobject) -> np.ndarray:
        points = np.concatenate([m.points for m in mobject.family_members_with_points()])
        return points - points.min(axis=0)

    made = Text(content, font="DejaVu Sans", font_size=size, color="#ffffff",
                weight=BOLD if bold else NORMAL)
    lettering = Lettering("DejaVu Sans")
    ours = lettering.text(content, size, "#ffffff", bold)
    assert np.abs(outline(ours) - outline(made)).max() < 1e-9
    other = content.translate(str.maketrans("0123456789", "9876543210"))
    lettering.text(other, size, "#ffffff", bold)  # a model of the same shape, other digits
    swapped = lettering.text(content.replace("2", "7"), size, "#ffffff", bold)
    again = Text(content.replace("2", "7"), font="DejaVu Sans", font_size=size,
                 weight=BOLD if bold else NORMAL)
    assert np.abs(outline(swapped) - outline(again)).max() < 1e-6
