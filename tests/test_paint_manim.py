"""The manim painter's shortcuts draw what manim itself draws: labels set by Pango as `Text`
sets them, strokes as the camera strokes a `Line` or `VMobject`, discs as it fills a `Circle`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from manim import Circle, Line, Polygon, Text, VMobject
from manim.constants import LineJointType

from mlanim.draw import display as d
from mlanim.draw.paint_manim import ManimPainter
from mlanim.draw.sprites import blend, place
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings

VIDEO = VideoSettings(1280, 720, 30, 1.0)


@pytest.fixture(scope="module")
def painter() -> ManimPainter:
    return ManimPainter(VIDEO, load_theme("dark"))


def by_manim(painter: ManimPainter, mobject) -> np.ndarray:
    """``mobject`` captured by the painter's camera on a blank frame (RGB)."""
    camera = painter.canvas.camera
    camera.pixel_array[...] = painter.canvas.blank
    camera.capture_mobjects([mobject])
    return camera.pixel_array[..., :3].copy()


def inked(painter: ManimPainter, frame: np.ndarray) -> np.ndarray:
    return (frame != painter.canvas.blank[..., :3]).any(axis=2)


@pytest.mark.parametrize(("text", "points", "bold"), [("Epoch 12 · loss 0.345", 20.0, False),
                                                      ("∂L/∂z = −0.41·(−1.09)", 12.0, False),
                                                      ("set 16 / 20", 28.0, True)])
def test_labels_are_set_as_manims_text_sets_them(painter, text, points, bold):
    canvas = painter.canvas
    reference = Text(text, font=painter.theme.font, font_size=canvas.font_size(points),
                     color=painter.theme.text, weight="BOLD" if bold else "NORMAL")
    sprite = painter.texts.sprite(text, canvas.font_size(points), painter.theme.text, bold)
    pixels_per_unit = VIDEO.height / canvas.frame_units
    assert sprite.box[2] == pytest.approx(reference.width * pixels_per_unit, abs=0.01)
    assert sprite.box[3] == pytest.approx(reference.height * pixels_per_unit, abs=0.01)

    manim_frame = by_manim(painter, reference.move_to(canvas.point(0.5, 0.5)))
    ours = canvas.blank[..., :3].copy()
    blend(ours, sprite, *place(sprite, (0.5, 0.5), "center", "center", (1280, 720)))
    def ink(frame: np.ndarray) -> np.ndarray:
        return np.abs(frame.astype(int) - canvas.blank[..., :3]).max(axis=2)

    strong = ink(manim_frame) > 100
    assert strong.sum() > 100
    # the same glyphs at most half a pixel apart: every solid pixel of manim's is inked in ours
    assert (ink(ours)[strong] > 0).mean() > 0.99
    assert (ink(manim_frame)[ink(ours) > 100] > 0).mean() > 0.99
    assert abs(ink(ours).sum() / ink(manim_frame).sum() - 1) < 0.02


LABELS = ["", "   ", "0", "epoch 12 / 40", "train loss 0.0123", "≤ 0.5 · ★ x₂", "AVA Wa To",
          "fi fl ffi", "tab\there", "  lead", "Ünïcödé “quotes” — −2.000", "1e-05",
          *(f"val {k / 7:.4f}" for k in range(70))]


@pytest.mark.parametrize(("points", "bold"), [(9.0, False), (20.0, True)])
def test_labels_set_together_are_set_as_each_alone(painter, tmp_path, points, bold):
    """Pango sets many labels in one call (each on its own line, far apart) for speed: every
    glyph's place and outline is what the label set alone gets, to the last digit."""
    from mlanim.draw.pango_text import pango_glyph_lines, pango_glyphs

    size, font = painter.canvas.font_size(points), painter.theme.font
    frame = (VIDEO.width, VIDEO.height)
    together = pango_glyph_lines(LABELS, font, size, bold, frame, tmp_path / "many.svg")
    alone = [pango_glyphs(text, font, size, bold, frame, tmp_path / "one.svg")
             for text in LABELS]
    assert together == alone
    assert sum(len(glyphs) for glyphs in alone) > 500


def test_a_frame_sets_its_new_labels_in_one_call(painter, monkeypatch):
    from mlanim.draw import pango_text

    calls = []
    for name in ("pango_glyphs", "pango_glyph_lines"):
        original = getattr(pango_text, name)
        monkeypatch.setattr(pango_text, name,
                            lambda *a, _o=original, _n=name, **k: calls.append(_n) or _o(*a, **k))
    labels = [d.Label((0.1, 0.05 + k / 40), f"new label {k} ·", 11, "#ffffff") for k in range(30)]
    painter.paint(d.Picture(labels))
    assert calls == ["pango_glyph_lines"]


def test_a_label_of_spaces_draws_nothing(painter):
    frame = painter.paint(d.Picture([d.Label((0.5, 0.5), "   ", 20, "#ffffff")]))
    assert not inked(painter, frame).any()


def test_strokes_equal_manims_line_and_polyline_pixel_for_pixel(painter):
    canvas = painter.canvas
    line = d.Line((0.1, 0.2), (0.8, 0.65), "#e07a5f", 2.5, 0.7)
    manim_line = Line(canvas.point(*line.start), canvas.point(*line.end), color=line.color,
                      stroke_width=painter._stroke(line.width), stroke_opacity=line.alpha)
    ours = painter.paint(d.Picture([line]))
    assert inked(painter, ours).sum() > 1000
    np.testing.assert_array_equal(ours, by_manim(painter, manim_line))

    path = d.Polyline(((0.1, 0.1), (0.3, 0.7), (0.35, 0.2), (0.9, 0.5)), "#4ea8de", 3.0)
    manim_path = VMobject(stroke_color=path.color, stroke_width=painter._stroke(path.width),
                          joint_type=LineJointType.ROUND)
    manim_path.set_points_as_corners([canvas.point(*p) for p in path.points])
    np.testing.assert_array_equal(painter.paint(d.Picture([path])),
                                  by_manim(painter, manim_path))


@pytest.mark.parametrize("points", [((0.1, 0.1), (0.5, 0.8), (0.9, 0.15)),
                                    ((0.1, 0.2), (0.3, 0.6), (0.35, 0.25), (0.8, 0.7),
                                     (0.85, 0.1), (0.1, 0.2))])
def test_polygons_equal_manims_polygon_pixel_for_pixel(painter, points):
    """A filled band or triangle (concave, explicitly closed too) is the pixels manim's own
    `Polygon` gives, over a line already drawn (its alpha blends the same)."""
    canvas = painter.canvas
    under = d.Line((0.05, 0.5), (0.95, 0.45), "#ffffff", 4.0)
    polygon = d.Polygon(points, "#4ea8de", 0.35)
    manim_under = Line(canvas.point(*under.start), canvas.point(*under.end), color=under.color,
                       stroke_width=painter._stroke(under.width))
    manim_polygon = Polygon(*[canvas.point(*p) for p in points], stroke_width=0,
                            fill_color=polygon.fill, fill_opacity=polygon.alpha)
    ours = painter.paint(d.Picture([under, polygon]))
    camera = painter.canvas.camera
    camera.pixel_array[...] = painter.canvas.blank
    camera.capture_mobjects([manim_under, manim_polygon])
    assert inked(painter, ours).sum() > 10_000
    np.testing.assert_array_equal(ours, camera.pixel_array[..., :3])


def test_discs_match_manims_circle(painter):
    canvas = painter.canvas
    disc = d.Circle((0.4, 0.6), 14.0, "#f2c14e", edge="#ffffff", edge_width=1.5, alpha=0.8)
    points_to_units = canvas.frame_units / 720 * 100 / 72
    manim_disc = Circle(radius=disc.radius * points_to_units, stroke_color=disc.edge,
                        stroke_width=painter._stroke(disc.edge_width), fill_color=disc.fill,
                        fill_opacity=disc.alpha).move_to(canvas.point(*disc.center))
    ours, theirs = painter.paint(d.Picture([disc])), by_manim(painter, manim_disc)
    assert inked(painter, theirs).sum() > 600
    # cairo's arc and manim's eight cubic pieces differ by well under a pixel
    assert (inked(painter, ours) ^ inked(painter, theirs)).sum() < 0.02 * inked(
        painter, theirs).sum()
    assert np.abs(ours.astype(int) - theirs).mean() < 0.1


def test_dashes_cover_two_thirds_of_the_line(painter):
    dashed = d.Polyline(((0.1, 0.5), (0.9, 0.5)), "#ffffff", 2.0, dashed=True)
    solid = d.Polyline(((0.1, 0.5), (0.9, 0.5)), "#ffffff", 2.0)
    def ink(picture: d.Picture) -> int:
        return int(painter.paint(picture).astype(int).sum() - painter.canvas.blank[..., :3].sum())

    assert ink(d.Picture([dashed])) == pytest.approx(ink(d.Picture([solid])) * 4 / 6, rel=0.03)


def test_frames_start_from_the_background_and_repeat_exactly(painter):
    background = (d.Rect((0.1, 0.1, 0.3, 0.3), "#336699"), d.Label((0.5, 0.9), "title", 20,
                                                                     "#ffffff"))
    moving = [d.Circle((0.2 + 0.1 * k, 0.5), 8, "#ff0000") for k in range(3)]
    frames = [painter.paint(d.Picture([c], background=background)) for c in moving]
    again = painter.paint(d.Picture([moving[0]], background=background))
    np.testing.assert_array_equal(frames[0], again)
    assert not np.array_equal(frames[0], frames[1])
    # where no disc ever was, every frame shows the same background
    np.testing.assert_array_equal(frames[0][:200], frames[2][:200])


def test_label_files_are_written_in_memory_where_the_system_has_a_memory_folder(
        tmp_path, monkeypatch):
    """Pango's SVG of each label is written and read back at once: in a memory-backed folder
    when there is one (half a label's cost on a disk), else in the disk's scratch folder."""
    from mlanim.draw import manim_canvas

    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(manim_canvas, "MEMORY_FOLDER", memory)
    monkeypatch.setattr(manim_canvas, "_SMALL_SCRATCH", [])
    assert Path(manim_canvas.small_scratch_folder()).parent == memory

    monkeypatch.setattr(manim_canvas, "MEMORY_FOLDER", tmp_path / "none")
    monkeypatch.setattr(manim_canvas, "_SMALL_SCRATCH", [])
    assert manim_canvas.small_scratch_folder() == manim_canvas.scratch_folder()
