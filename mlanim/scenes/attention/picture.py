"""Frames of the attention scene as backend-neutral pictures.

Views: ``heatmap`` (each head's attention matrix), ``edges`` (token-to-token lines, one colour
per head, layers stacked from input to output), ``qkv`` (one head's computation, stage by
stage), and a first look at the sinusoidal positions. Every number and colour is the recorded
one; captions quote recorded values.
"""

from __future__ import annotations

from mlanim.draw import display as d
from mlanim.scenes.attention.edges import Edges
from mlanim.scenes.attention.heatmap import Heatmap
from mlanim.scenes.attention.positions import Positions
from mlanim.scenes.attention.qkv import Qkv
from mlanim.scenes.attention.story import AttentionStory
from mlanim.scenes.attention.view import View

VIEWS: dict[str, type[View]] = {"positions": Positions, "heatmap": Heatmap, "edges": Edges,
                                "qkv": Qkv}
"""Each view's name in ``show.views`` and the class that draws it."""


def attention_picture(story: AttentionStory, frame: int) -> d.Picture:
    """One frame of the attention scene."""
    return VIEWS[story.segment(frame).view](story, frame).compose()
