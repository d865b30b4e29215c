"""A fitted tree drawn as cards: each node's rule, rows, class counts (or value) and impurity,
read from its `TreeNodes` arrays. The layout is made once for the whole tree, so cards keep
their places while it grows; past `VISIBLE` nodes the deepest shown level folds what lies under
it into a labelled stub.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import ink_on
from mlanim.draw.frame import Box, Units
from mlanim.draw.theme import Theme, mix, rgb
from mlanim.trees.structure import LEAF, TreeNodes

VISIBLE = 15
"""Most cards a diagram shows; deeper subtrees fold into stubs."""
COUNTS_SHOWN = 4
"""Class counts are written out for up to this many classes (else the top class's share)."""


@dataclass(frozen=True)
class Words:
    """What a card's text needs besides the node arrays."""

    features: Sequence[str]
    classes: Sequence[str]
    criterion: str
    value_range: tuple[float, float] = (0.0, 1.0)
    rate: float | None = None
    """A booster's learning rate: each leaf also says what it adds to the score."""


def shown_levels(tree: TreeNodes, visible: int = VISIBLE) -> int:
    """The deepest level drawn: the most levels whose nodes number at most ``visible``."""
    counts = np.bincount(tree.depth)
    total = np.cumsum(counts)
    return max(int(np.searchsorted(total, visible, side="right")) - 1, 1 if len(counts) > 1
               else 0)


def descendants(tree: TreeNodes, node: int, depth: int) -> int:
    """Nodes under ``node`` down to ``depth``."""
    count, stack = 0, [node]
    while stack:
        here = stack.pop()
        for child in (tree.left[here], tree.right[here]):
            if child != LEAF and tree.depth[child] <= depth:
                count += 1
                stack.append(child)
    return count


def rule(tree: TreeNodes, node: int, features: Sequence[str], digits: int = 3) -> str:
    """``petal width ≤ 0.8``: the test a row meets at ``node`` (true goes left)."""
    sign = "<" if tree.compare == "lt32" else "≤"
    return f"{features[tree.feature[node]]} {sign} {tree.threshold[node]:.{digits}g}"


class TreeDiagram:
    """Places the cards of ``tree`` in ``box`` once; `shapes` draws it grown to a depth."""

    def __init__(self, tree: TreeNodes, box: Box, units: Units, theme: Theme, words: Words,
                 visible: int = VISIBLE) -> None:
        self.tree, self.box, self.u, self.t, self.words = tree, box, units, theme, words
        self._cards: dict[tuple, list[d.Shape]] = {}  # a card looks the same until it changes
        _x0, y0, w, h = box
        self.levels = shown_levels(tree, visible)
        while True:  # fold a level more while the cards would be too narrow for a rule
            self.nodes = [n for n in range(len(tree.feature)) if tree.depth[n] <= self.levels]
            slots = max(1, sum(1 for n in self.nodes if self._ends(n)))
            self.card_w = min(w / slots - units.dx("small"), w * 0.4)
            if self.card_w >= self._narrowest() or self.levels <= 0:
                break
            self.levels -= 1
        self.x = self._columns()
        size = units.size("value")
        rows = self.levels + 1
        fold_room = 2 * units.line("tick") + units.dy("tight")  # a stub's line and its note
        while size > units.size("smallest") and (
                rows * (3 * units.line(size) + units.dy("tight")) + fold_room > h * 0.8):
            size *= 0.92
        self.text_size = size
        fits = rows * (3 * units.line(size) + units.dy("tight")) + fold_room <= h * 0.8
        self.line_count = 3 if fits else 2  # no room: the class counts (or mean) left out
        self.card_h = self.line_count * units.line(size) + units.dy("thin")
        gap = (h - fold_room - rows * self.card_h) / max(rows - 1, 1)
        self.y = {level: y0 + h - self.card_h / 2 - level * (self.card_h + gap)
                  for level in range(rows)}

    def _narrowest(self) -> float:
        """The least card width: a clipped name and a rule's number at the smallest size."""
        numbers = [f"x… ≤ {t:.3g}" for t in self.tree.threshold[self.tree.left != LEAF]]
        widest = max(numbers, key=len, default="x… ≤ 0.000")
        return self.u.width(widest, self.u.size("value") * 0.6, bold=True) + self.u.dx("thin")

    def _ends(self, node: int) -> bool:
        return self.tree.left[node] == LEAF or self.tree.depth[node] == self.levels

    def _columns(self) -> dict[int, float]:
        """Each shown node's centre across: leaves and stubs in order, parents between."""
        x0, _, w, _ = self.box
        order: list[int] = []
        def walk(node: int) -> None:
            if self._ends(node):
                order.append(node)
                return
            walk(self.tree.left[node])
            walk(self.tree.right[node])
        walk(0)
        slot = w / max(len(order), 1)
        x = {node: x0 + (k + 0.5) * slot for k, node in enumerate(order)}
        for node in sorted(self.nodes, key=lambda n: -self.tree.depth[n]):
            if node not in x:
                x[node] = (x[self.tree.left[node]] + x[self.tree.right[node]]) / 2
        return x

    def center(self, node: int) -> tuple[float, float]:
        """Where ``node``'s card sits (shown nodes only)."""
        return self.x[node], self.y[int(self.tree.depth[node])]

    def shapes(self, depth: int, path: Sequence[int] = (), notes: dict[int, str] | None = None
               ) -> list[d.Shape]:
        """The tree grown to ``depth``: edges, then cards; ``path`` nodes outlined in the
        accent colour, ``notes`` written on the path's edge below their node (or after a
        folded node's stub)."""
        shown = [n for n in self.nodes if self.tree.depth[n] <= depth]
        shapes: list[d.Shape] = []
        for node in shown:
            if self.tree.left[node] != LEAF and self.tree.depth[node] < min(depth, self.levels):
                for child in (self.tree.left[node], self.tree.right[node]):
                    on_path = node in path and child in path
                    if on_path and notes and node in notes and self._gap_holds_notes():
                        shapes.append(self._edge_note(node, child, notes[node]))
                    shapes.append(d.Line((self.x[node], self.center(node)[1] - self.card_h / 2),
                                         (self.x[child], self.center(child)[1] + self.card_h / 2),
                                         self.t.accent if on_path else self.t.grid,
                                         2.2 if on_path else 1.2))
        for node in shown:
            split = self.tree.left[node] != LEAF and self.tree.depth[node] < depth
            stub = split and self.tree.depth[node] == self.levels  # its count grows with depth
            key = (node, split, node in path, (notes or {}).get(node, ""), depth if stub else 0)
            if key not in self._cards:
                self._cards[key] = self.card(node, depth, key[2], key[3])
            shapes += self._cards[key]
        return shapes

    def _gap_holds_notes(self) -> bool:
        """Whether a line of notes fits between two levels of cards."""
        if self.levels < 1:
            return False
        gap = self.y[0] - self.y[1] - self.card_h
        return gap > self.u.line("tick") * 1.2

    def _edge_note(self, node: int, child: int, text: str) -> d.Label:
        """``text`` on the edge from ``node`` to ``child``, halfway down."""
        (x0, y0), (x1, y1) = self.center(node), self.center(child)
        at = ((x0 + x1) / 2, (y0 + y1) / 2)
        return d.Label(at, text, self.u.fit(text, "tick", self.card_w), self.t.accent,
                       "left" if x1 > x0 else "right", "center", bold=True)

    def card(self, node: int, depth: int, marked: bool = False, note: str = ""
             ) -> list[d.Shape]:
        """One node's card as it stands when the tree is grown to ``depth``."""
        tree, u = self.tree, self.u
        split = tree.left[node] != LEAF and tree.depth[node] < depth
        x, y = self.center(node)
        box = (x - self.card_w / 2, y - self.card_h / 2, self.card_w, self.card_h)
        fill = self.t.panel if split else self._fill(node)
        edge = self.t.accent if marked else self.t.grid
        shapes: list[d.Shape] = [d.Rect(box, fill, edge, 2.0 if marked else 1.0)]
        ink = self.t.text if split else ink_on(np.array(rgb(fill)), self.t)
        line = u.line(self.text_size)
        room = self.card_w - u.dx("thin")
        for k, variants in enumerate(self.lines(node, split)[: self.line_count]):
            text, size = self._fitted(variants, room, bold=k == 0)
            shapes.append(d.Label((x, y + self.card_h / 2 - u.dy("hair") - (k + 0.5) * line),
                                  text, size, ink, bold=k == 0))
        if split and tree.depth[node] == self.levels:
            below = [f"+{descendants(tree, node, depth)} below", note]
            for k, text in enumerate(t for t in below if t):
                size = u.fit(text, "tick", self.card_w, smallest=0.6)
                shapes.append(d.Label((x, y - self.card_h / 2 - u.dy("hair") - k * u.line(size)),
                                      clip(u, text, size, self.card_w), size,
                                      self.t.accent if k else self.t.muted, "center", "top",
                                      bold=bool(k)))
        return shapes

    def _fitted(self, variants: tuple[str, ...], width: float, bold: bool
                ) -> tuple[str, float]:
        """The first of a line's ``variants`` (longest first) that fits ``width`` at 0.6 of
        the card's size or more, and its size; the last one, shrunk and clipped, when none
        does. A rule's last variant keeps its number and clips the feature's name."""
        u = self.u
        for text in variants:
            size = u.fit(text, self.text_size, width, bold, smallest=0.6)
            if u.width(text, size, bold) <= width:
                return text, size
        text = variants[-1]
        size = self.text_size * 0.6
        name, sign, number = text.rpartition(" ≤ ") if " ≤ " in text else ("", "", text)
        if name:
            tail = f"{sign}{number}"
            return clip(u, name, size, width - u.width(tail, size, bold)) + tail, size
        return clip(u, text, size, width), size

    def lines(self, node: int, split: bool) -> list[tuple[str, ...]]:
        """A card's lines, each as variants from longest to shortest: the rule (or the
        prediction), rows and impurity, and the class counts (or the mean target)."""
        tree, words = self.tree, self.words
        value = tree.value[node]
        classes = len(words.classes)
        if classes:
            top = int(np.argmax(value))
            head = rule(tree, node, words.features) if split else f"→ {words.classes[top]}"
            counts = np.rint(value * tree.weighted[node]).astype(int)
            tail = (" · ".join(str(c) for c in counts) if classes <= COUNTS_SHOWN
                    else f"{words.classes[top]}: {value[top]:.0%}")
        else:
            head = rule(tree, node, words.features) if split else f"→ {value[0]:.4g}"
            tail = f"mean {value[0]:.3g}" if split and np.isfinite(value[0]) else ""
            if not split and words.rate is not None:
                tail = f"adds {words.rate * value[0]:+.3g}"
        impurity = tree.impurity[node]
        rows = f"n={tree.samples[node]:,}" if tree.samples[node] >= 0 else ""
        measured = (f"{words.criterion} {max(impurity, 0.0):.3g}" if np.isfinite(impurity)
                    else "")
        middle = tuple(dict.fromkeys(v for v in (
            " · ".join(p for p in (rows, measured) if p),
            " · ".join(p for p in (rows, measured.split(" ")[-1] if measured else "") if p),
            rows or measured) if v))
        return [variants for variants in ((head,), middle, (tail,)) if variants and variants[0]]

    def _fill(self, node: int) -> str:
        value = self.tree.value[node]
        if self.words.classes:
            top = int(np.argmax(value))
            return mix(self.t.class_color(top), self.t.panel, 1.0 - 0.7 * float(value[top]))
        low, high = self.words.value_range
        share = float(np.clip((value[0] - low) / ((high - low) or 1.0), 0, 1))
        return mix(self.t.panel, self.t.accent, 0.15 + 0.6 * share)


def clip(units: Units, text: str, size: float, width: float) -> str:
    """``text`` cut short with an ellipsis where it is wider than ``width`` at ``size``."""
    if units.width(text, size) <= width:
        return text
    while len(text) > 2 and units.width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
