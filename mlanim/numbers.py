"""Numbers as mlanim writes them, in one place: a true minus sign (−, not a hyphen), ∞ and NaN
spelled out, and a few fixed styles that captions, charts and cells share."""

from __future__ import annotations

import math

MINUS = "\u2212"


def minus(text: str) -> str:
    """``text`` with every hyphen-minus written as the true minus sign."""
    return text.replace("-", MINUS)


def fixed(value: float, digits: int = 2, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals (a + before positives when ``signed``)."""
    return minus(f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}")


def short(value: float, digits: int = 2) -> str:
    """Fewer decimals as a number grows: 123, 12.3, 1.23 (``digits`` below 10)."""
    if abs(value) >= 100:
        return minus(f"{value:.0f}")
    if abs(value) >= 10:
        return minus(f"{value:.1f}")
    return fixed(value, digits)


def format_number(value: float) -> str:
    """A recorded number as it is said: 4 significant digits, scientific past 1e4 or below
    1e-3, a true minus sign, ``∞`` and ``NaN`` spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return minus(f"{value:.2e}")
    decimals = max(0, 3 - int(math.log10(abs(value)))) if abs(value) >= 1 else 4
    return minus(f"{value:.{decimals}f}")


def compact(value: float) -> str:
    """Two significant digits in as few characters as a chart's value row has room for:
    0.35, 12, 1.6e−4, 3.9e+18."""
    if not math.isfinite(value):
        return format_number(value)
    plain = f"{value:.2g}"
    if value == 0 or (0.01 <= abs(value) < 1000 and "e" not in plain):
        return minus(plain)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return minus(f"{mantissa:.1f}e{exponent:+d}").replace("e+", "e")


def scientific(value: float) -> str:
    """One decimal and a power of ten, as tiny ratios are said: 3.2e−7, 1.0e5."""
    return minus(f"{value:.1e}").replace(f"e{MINUS}0", f"e{MINUS}").replace("e+0", "e") \
        .replace("e+", "e")
