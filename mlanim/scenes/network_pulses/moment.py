"""One moment of the pulses scene: the beat shown, the weights at it, and what is revealed
when (values arrive with forward pulses, error signals with backward ones)."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.scenes.network_pulses.story import PulseStory, _smooth
from mlanim.scenes.network_pulses.timeline import Beat

ARRIVE = 0.8  # fraction of a transition the pulses take to arrive


class Moment:
    """What a part of the frame needs: the story, the beat, the weights at it, the picture."""

    def __init__(self, story: PulseStory, beat: Beat, pic: d.Picture,
                 weights: dict[str, np.ndarray]) -> None:
        self.s, self.beat, self.t = story, beat, story.theme
        self.seg, self.p = beat.stage, beat.progress
        self.f = max(self.seg.focus, 0)
        self.weights = weights
        self.pic = pic
        self.r = story.net.radius
        self.place = story.layout

    def values_shown(self, layer: int) -> float:
        """0..1: how visible ``layer``'s values are (they appear as forward pulses arrive)."""
        phase = self.seg.phase
        if phase == "intro":
            return 0.0
        if phase == "forward":
            if layer <= self.seg.layer:
                return 1.0
            if layer == self.seg.layer + 1:
                return float(np.clip((self.p - ARRIVE) / (1 - ARRIVE), 0, 1))
            return 0.0
        return 1.0

    def deltas_shown(self, layer: int) -> float:
        """0..1: how visible ``layer``'s error signal is (it arrives with backward pulses)."""
        phase = self.seg.phase
        if layer == 0 or phase not in ("loss", "backward", "update"):
            return 0.0
        if phase == "loss":
            return float(layer == self.s.depth) * _smooth(self.p)
        if phase == "update":
            return 1.0
        if layer >= self.seg.layer + 2:
            return 1.0
        if layer == self.seg.layer + 1:
            return 1.0
        return 0.0

    def edge_glow(self, into: int) -> float:
        """0..1: gradient glow on the weights into layer ``into``, once the error passed them."""
        phase = self.seg.phase
        if phase == "update":
            return 1.0 - _smooth(self.p)
        if phase != "backward":
            return 0.0
        if into > self.seg.layer + 1:
            return 1.0
        if into == self.seg.layer + 1:
            return float(np.clip((self.p - ARRIVE) / (1 - ARRIVE), 0, 1))
        return 0.0
