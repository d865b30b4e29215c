"""The gradient-flow diagnoses, computed from the recorded arrays up to a step (so a video shows
each one as the run reaches it, and the command line reports them for the whole run).

- vanishing: the last layer's weight-gradient norm is more than ``vanishing_ratio`` times the
  first layer's on more than ``vanishing_share`` of the steps;
- exploding: a layer's gradient norm above ``exploding_norm``, or not finite;
- dead ReLUs: more than ``dead_share`` of a ReLU layer's units output 0 on every training row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.scenes.gradient_flow.spec import FlowSettings


@dataclass(frozen=True)
class Finding:
    """One diagnosis at one moment: whether it fired, and a line saying why in numbers."""

    name: str
    fired: bool
    text: str


def gradient_ratios(norms: np.ndarray) -> np.ndarray:
    """Per step, the last layer's gradient norm over the first's (infinite when the first
    layer's gradient is exactly zero)."""
    first, last = norms[:, 0], norms[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(first > 0, last / np.where(first > 0, first, 1.0), np.inf)


def vanishing(norms: np.ndarray, layers: list[str], upto: int, rules: FlowSettings) -> Finding:
    """Vanishing over steps ``0..upto`` (inclusive)."""
    ratios = gradient_ratios(norms[: upto + 1])
    if len(layers) < 2 or len(ratios) == 0:
        return Finding("vanishing", False, "vanishing: needs two layers or more")
    share = float(np.mean(ratios > rules.vanishing_ratio))
    typical = float(np.median(ratios))
    first, last = layers[0], layers[-1]
    if share > rules.vanishing_share:
        return Finding("vanishing", True,
                       f"vanishing: {first}'s gradient is {_times(typical)} smaller than "
                       f"{last}'s (median); over {rules.vanishing_ratio:g}x on {share:.0%} "
                       "of steps")
    return Finding("vanishing", False,
                   f"no vanishing: {last} / {first} gradient ratio {typical:.2g} (median), "
                   f"over {rules.vanishing_ratio:g}x on {share:.0%} of steps")


def exploding(norms: np.ndarray, layers: list[str], upto: int, rules: FlowSettings,
              bad_output: dict | None = None) -> Finding:
    """Exploding over steps ``0..upto``; with ``bad_output`` (the first module whose output
    became NaN or infinite), say where the run broke once it is reached."""
    seen = norms[: upto + 1]
    over = ~np.isfinite(seen) | (seen > rules.exploding_norm)
    broke = bad_output is not None and bad_output["step"] <= upto + 2
    if not over.any() and not broke:
        largest = float(np.max(seen)) if seen.size else 0.0
        return Finding("exploding", False,
                       f"no exploding: largest gradient norm {largest:.2g} "
                       f"(limit {rules.exploding_norm:g})")
    parts = []
    if over.any():
        step, layer = (int(i) for i in np.argwhere(over)[0])
        value = seen[step, layer]
        size = f"reached {value:.2g}" if np.isfinite(value) else f"became {value}"
        parts.append(f"{layers[layer]}'s gradient norm {size} at step {step + 1} "
                     f"(limit {rules.exploding_norm:g})")
    if broke:
        assert bad_output is not None
        parts.append(where_it_broke(bad_output))
    return Finding("exploding", True, "exploding: " + "; ".join(parts))


def where_it_broke(bad_output: dict) -> str:
    """The first module whose output was NaN or infinite, in words."""
    text = f"{bad_output['module']}'s output became {bad_output['value']} at step " \
           f"{bad_output['step']}"
    return text + (" (its weights already were)" if bad_output.get("weights") else "")


def dead_units(dead: np.ndarray | None, relus: list[str], activation: str | None,
               rules: FlowSettings) -> Finding:
    """Dead ReLUs from the latest snapshot's shares (``dead``: one per ReLU layer)."""
    if dead is None or not relus:
        return Finding("dead", False,
                       f"dead units: none can die ({(activation or 'these').lower()} units are "
                       "not ReLUs)")
    worst = int(np.argmax(dead))
    share = float(dead[worst])
    if share > rules.dead_share:
        return Finding("dead", True,
                       f"dead ReLUs: {share:.0%} of {relus[worst]}'s units output 0 on every "
                       "training row")
    return Finding("dead", False,
                   f"no dead ReLUs: at most {share:.0%} of a layer's units "
                   f"(limit {rules.dead_share:.0%})")


def _times(ratio: float) -> str:
    """A large ratio as a readable factor: 92,439x, 1.2e+07x."""
    return f"{ratio:,.0f}x" if ratio < 1e6 else f"{ratio:.1e}x"
