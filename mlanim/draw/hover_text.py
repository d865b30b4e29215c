"""Hover texts as templates and numbers: a page's thousands of texts like ``training row 12 ·
setosa · predicted setosa (0.93)`` or ``train loss 0.4213 at 12`` travel as a few plotly
hovertemplates and a typed array of their numbers, not as strings, and read back exactly as
written (or travel as strings)."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

NUMBER = re.compile(r"(?<![A-Za-z_\d.])\d+(?:\.\d+)?")  # not a digit of a name (fc1)
MOST_TEMPLATES = 64
"""Distinct templates a set of texts may have to travel as numbers."""
SIGNIFICANT = 7
"""Digits of the general format tried first: float32 holds every number of up to 7."""


@dataclass(frozen=True)
class Templated:
    """Texts as ``templates`` (plotly hovertemplates reading ``customdata``), the template
    of each text, and its numbers (texts x most numbers, float32)."""

    templates: tuple[str, ...]
    which: np.ndarray
    numbers: np.ndarray


def templated(texts: Sequence[str]) -> Templated | None:
    """``texts`` as templates and numbers, escaped for a page; None when some text would not
    read back exactly (a number float32 cannot hold, a literal ``%{``) or there are too many
    templates."""
    parts = list(map(_parts, texts))
    if None in parts:
        return None
    skeletons = dict.fromkeys(part[0] for part in parts)  # interned: mostly one object
    if len(skeletons) > MOST_TEMPLATES:
        return None
    width = max((len(literals) - 1 for literals in skeletons), default=0)
    values = np.zeros((len(texts), max(width, 1)), np.float32)
    which = np.zeros(len(texts), np.int32)
    templates = []
    for k, literals in enumerate(skeletons):
        members = [i for i, part in enumerate(parts) if part[0] == literals] \
            if len(skeletons) > 1 else list(range(len(parts)))
        template = _template(literals, [parts[i][1] for i in members])
        if template is None:
            return None
        templates.append(template)
        which[members] = k
        if len(literals) > 1:  # a skeleton's texts have as many numbers as it has gaps
            values[members, : len(literals) - 1] = [parts[i][2] for i in members]
    return Templated(tuple(templates), which, values)


_SKELETONS: dict[tuple[str, ...], tuple[str, ...]] = {}


@functools.lru_cache(maxsize=1 << 18)
def _parts(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[float, ...]] | None:
    """A text's literal parts (one tuple for equal parts), its numbers as written, and their
    float32 values; None when it holds ``%{``. (A page's frames repeat most texts of the
    frame before: each is read once.)"""
    if "%{" in text:
        return None
    literals = tuple(NUMBER.split(text))
    if len(_SKELETONS) < 1 << 16:
        literals = _SKELETONS.setdefault(literals, literals)
    numbers = tuple(NUMBER.findall(text))
    return literals, numbers, tuple(float(np.float32(number)) for number in numbers)


def _template(literals: tuple[str, ...], rows: list[tuple[str, ...]]) -> str | None:
    """One hovertemplate for texts of the same literal parts: each number's format the one
    that writes every text's number there back exactly."""
    parts = [html.escape(literals[0])]
    for j in range(len(literals) - 1):
        form = _format({row[j] for row in rows})
        if form is None:
            return None
        parts += [f"%{{customdata[{j}]:{form}}}", html.escape(literals[j + 1])]
    return "".join(parts)


def _format(written: set[str]) -> str | None:
    """A d3 format that writes each of these numbers (as float32) exactly as written."""
    if all(map(_reads_back_general, written)):
        return f".{SIGNIFICANT}~g"
    decimals = {len(text.partition(".")[2]) for text in written}
    if len(decimals) == 1:
        places = decimals.pop()
        if all(_reads_back_fixed(text, places) for text in written):
            return f".{places}f"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _reads_back_general(text: str) -> bool:
    """Whether the browser's general format writes ``text``'s float32 back as ``text`` (a
    page's texts repeat the same numbers frame after frame: each is worked out once)."""
    return general(float(np.float32(text)), SIGNIFICANT) == text


@functools.lru_cache(maxsize=1 << 16)
def _reads_back_fixed(text: str, places: int) -> bool:
    """Whether ``places`` fixed decimals write ``text``'s float32 back as ``text``."""
    return fixed(float(np.float32(text)), places) == text


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` places as a browser writes it (d3's ``f``: ``toFixed``,
    halves away from zero, on the exact binary value)."""
    quantum = Decimal(1).scaleb(-decimals)
    return format(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP), "f")


def general(value: float, digits: int) -> str:
    """``value`` (not negative) to ``digits`` significant digits as a browser writes it with
    d3's ``~g``: ``toPrecision`` (exponent form below 1e-6 or from 10**digits), trailing
    zeros trimmed."""
    if value == 0:
        mantissa, exponent = "0" * digits, 0
    else:
        exact = Decimal(value)
        exponent = exact.adjusted()
        scaled = int(exact.scaleb(digits - 1 - exponent).quantize(Decimal(1), ROUND_HALF_UP))
        if scaled >= 10 ** digits:
            scaled, exponent = scaled // 10, exponent + 1
        mantissa = str(scaled)
    if exponent < -6 or exponent >= digits:
        head = _trimmed(f"{mantissa[0]}.{mantissa[1:]}")
        return f"{head}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    if exponent >= 0:
        return _trimmed(f"{mantissa[: exponent + 1]}.{mantissa[exponent + 1:]}")
    return _trimmed("0." + "0" * (-exponent - 1) + mantissa)


def _trimmed(number: str) -> str:
    """A decimal without trailing zeros after its point (nor a bare point)."""
    return number.rstrip("0").rstrip(".") if "." in number else number


FIELD = re.compile(r"%\{customdata\[(\d+)\]:\.(\d+)(~g|f)\}")


def written(template: str, numbers: Sequence[float]) -> str:
    """What a browser writes for ``template`` with ``numbers`` (still escaped): how a test
    reads a templated text back."""
    def one(found: re.Match) -> str:
        value, digits = float(numbers[int(found.group(1))]), int(found.group(2))
        return fixed(value, digits) if found.group(3) == "f" else general(value, digits)

    return FIELD.sub(one, template)
