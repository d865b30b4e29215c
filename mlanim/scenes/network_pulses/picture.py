"""Composes one frame of the pulses scene from the story: shapes only, no drawing library."""

from __future__ import annotations

from mlanim.draw import display as d
from mlanim.scenes.network_pulses.diagram import Diagram
from mlanim.scenes.network_pulses.panel import Panel
from mlanim.scenes.network_pulses.story import PulseStory


def frame_picture(story: PulseStory, frame: int) -> d.Picture:
    """Everything shown by ``frame``, back to front: the network, then the panel beside it."""
    beat = story.timeline.at(frame)
    pic = d.Picture()
    weights = story.weights_at(beat)
    Diagram(story, beat, pic, weights).draw()
    Panel(story, beat, pic, weights).draw()
    return pic
