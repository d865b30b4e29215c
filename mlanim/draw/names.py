"""Module names as a frame can show them: ``bert.encoder.layer.0.attention.self.query`` becomes
``L0 attn.query``. Real models name their layers by their place in a tree of modules; the tree's
common trunk and its most common words say nothing on screen and take the room of the chart."""

from __future__ import annotations

import re
from collections.abc import Sequence

WORDS = {"attention": "attn", "output": "out", "intermediate": "ffn", "projection": "proj",
         "embeddings": "emb", "embedding": "emb", "encoder": "enc", "decoder": "dec",
         "convolution": "conv", "linear": "lin", "classifier": "classifier"}
"""Long words that models use in module names, and their usual short forms."""

DROPPED = {"self", "module", "_orig_mod", "model", "base_model"}
"""Parts that only wrap another module."""

BLOCK = re.compile(r"(?:^|\.)(?:encoder\.|decoder\.)?(?:layers?|blocks?|h|stages?)\.(\d+)(?=\.|$)"
                   r"|^(\d+)(?=\.)")
"""A numbered block of a stack (``encoder.layer.3``, ``blocks.3``, ``h.3``, or a leading
``3.`` once the trunk is gone): shown as ``L3``."""

LONGEST = 24
"""Characters a short name keeps at most (the middle gives way to an ellipsis)."""


def short_names(names: Sequence[str], longest: int = LONGEST) -> list[str]:
    """Names shortened alike: the trunk every name shares dropped, numbered blocks as ``L3``,
    wrapper parts dropped and long words abbreviated; the full names where shortening would
    make two of them equal."""
    tail = _common_trunk([".".join(reversed(name.split("."))) for name in names])
    if tail:  # every name ends alike (``encoder_stack.3.dense``): the ending says nothing
        names = [name[: len(name) - len(tail)] for name in names]
    trunk = _common_trunk(names)
    shortened = [_clip(_short(name if name[len(trunk):].isdigit() else name[len(trunk):]),
                       longest) for name in names]
    if len(set(shortened)) < len(set(names)):
        return [_clip(name, longest) for name in names]
    return shortened


def _common_trunk(names: Sequence[str]) -> str:
    """The dotted prefix all names share (never a whole name); on reversed names, the
    dotted ending they share."""
    if len(names) < 2:
        return ""
    split = [name.split(".") for name in names]
    trunk: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        trunk.append(parts[0])
    if any(len(parts) <= len(trunk) for parts in split):
        trunk = trunk[: min(len(parts) for parts in split) - 1]
    return ".".join(trunk) + "." if trunk else ""


def _short(name: str) -> str:
    block = BLOCK.search(name)
    prefix = ""
    if block:
        prefix = f"L{block.group(1) or block.group(2)} "
        name = name[: block.start()] + name[block.end():]
    parts = [WORDS.get(part, part) for part in name.strip(".").split(".")
             if part and part not in DROPPED]
    if len(parts) > 1 and prefix:
        parts = [p for p in parts if p not in ("bert", "roberta", "gpt2", "transformer")] \
            or parts
    return (prefix + ".".join(parts)).strip() or name


def _clip(name: str, longest: int) -> str:
    if len(name) <= longest:
        return name
    keep = longest - 1
    return name[: keep // 2] + "…" + name[len(name) - (keep - keep // 2):]
