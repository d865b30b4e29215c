"""The gradient diagnoses, computed from the recorded per-step arrays up to a step (so a video
shows each one as the run reaches it, and the command line reports them for the whole run).
Each judges a layer against itself or against layers of its own kind, never an embedding
against a classifier head; the thresholds are `mlanim.analysis.rules` (a spec's ``flow:``
section may set its own).

- vanishing: `chains` groups layers of one kind (same module type, same name but for its
  numbers: ``net.0 .. net.12``, or ``layer.#.attention.self.query`` across a transformer's
  blocks). In a chain of at least ``vanishing_chain`` layers, the last layer's gradient per
  weight (RMS) is more than ``vanishing_ratio`` times the first's on more than
  ``vanishing_share`` of the steps, and the typical gradient falls at most links of the chain
  on the way back to the input.
- exploding: a layer's gradient norm stops being finite, or rises above ``exploding_norm`` and
  above ``exploding_growth`` times its own median over the run's first steps.
- dead units: more than ``dead_share`` of a layer's units received no gradient at all (their
  row of the weight gradient exactly zero) on each of the last ``dead_window`` steps,
  whatever module or function made them (a ReLU module, ``torch.relu`` in ``forward``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlanim.analysis.claims import Claim
from mlanim.analysis.rules import RULES, Rules


@dataclass(frozen=True)
class Layers:
    """The recorded weight layers: names, module types (None: not recorded, as in traces made
    before types were kept, whose layers are taken as one chain) and weight counts."""

    names: list[str]
    kinds: list[str] | None = None
    sizes: list[int] | None = None

    def rms(self, norms: np.ndarray) -> np.ndarray:
        """Norms (steps, layers) as the root mean square gradient of one weight."""
        if self.sizes is None:
            return norms
        return norms / np.sqrt(np.maximum(np.asarray(self.sizes, np.float64), 1.0))


def chain_key(name: str, kind: str) -> tuple[str, str]:
    """Layers of one kind share this: module type and name with its numbers as ``#``."""
    return kind, re.sub(r"\d+", "#", name)


def chains(layers: Layers, rules: Rules = RULES) -> list[list[int]]:
    """Groups of layer indices of one kind, in model order, with at least ``vanishing_chain``
    members (every layer in one chain when types were not recorded)."""
    if layers.kinds is None:
        groups = [list(range(len(layers.names)))]
    else:
        keyed: dict[tuple[str, str], list[int]] = {}
        for i, (name, kind) in enumerate(zip(layers.names, layers.kinds, strict=True)):
            keyed.setdefault(chain_key(name, kind), []).append(i)
        groups = list(keyed.values())
    return [g for g in groups if len(g) >= max(2, rules.vanishing_chain)]


def vanishing(norms: np.ndarray, layers: Layers, upto: int, rules: Rules = RULES) -> Claim:
    """Vanishing over steps ``0..upto`` (inclusive), by the rule in the module docstring."""
    seen = layers.rms(norms[: upto + 1])
    groups = chains(layers, rules)
    if not groups or len(seen) == 0:
        return Claim("vanishing", False,
                     f"vanishing: no chain of {rules.vanishing_chain} or more layers of one "
                     "kind to compare")
    judged = [_chain_verdict(seen, g, rules) for g in groups]
    fired = [v for v in judged if v[0]]
    if fired:
        _, chain, typical, share = max(fired, key=lambda v: v[2])
        first, last = layers.names[chain[0]], layers.names[chain[-1]]
        return Claim("vanishing", True,
                     f"vanishing: {first}'s gradient is {_times(typical)} smaller than {last}'s "
                     f"(per weight, median); over {rules.vanishing_ratio:g}x on {share:.0%} "
                     f"of steps along {len(chain)} layers of one kind")
    _, chain, typical, share = max(judged, key=lambda v: -1.0 if np.isnan(v[2]) else v[2])
    first, last = layers.names[chain[0]], layers.names[chain[-1]]
    if np.isnan(typical):
        return Claim("vanishing", False, f"no vanishing: {first} received no gradient at any "
                                         "step, so no ratio to judge")
    return Claim("vanishing", False,
                 f"no vanishing: {last} / {first} gradient ratio {typical:.2g} (median), over "
                 f"{rules.vanishing_ratio:g}x on {share:.0%} of steps")


def _chain_verdict(rms: np.ndarray, chain: list[int], rules: Rules
                   ) -> tuple[bool, list[int], float, float]:
    """Whether the chain vanishes, with its median last/first ratio and the share of steps
    over the ratio. Steps where the first layer got exactly no gradient are left out: no
    ratio says anything there (the dead-units rule speaks of them)."""
    first, last = rms[:, chain[0]], rms[:, chain[-1]]
    judged = (first > 0) & np.isfinite(first) & np.isfinite(last)
    if not judged.any():
        return False, chain, float("nan"), 0.0
    ratios = last[judged] / first[judged]
    share = float(np.mean(ratios > rules.vanishing_ratio))
    typical = float(np.median(ratios))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.median(rms[judged][:, chain], axis=0))
    falls = np.diff(logs) > 0  # larger towards the output: falls going back to the input
    steady = float(np.mean(falls)) > 0.5
    return share > rules.vanishing_share and steady, chain, typical, share


def exploding(norms: np.ndarray, layers: Sequence[str], upto: int, rules: Rules = RULES,
              bad_output: dict | None = None) -> Claim:
    """Exploding over steps ``0..upto``, by the rule in the module docstring; with
    ``bad_output`` (the first module whose output became NaN or infinite), say where the run
    broke once it is reached."""
    seen = norms[: upto + 1]
    early = min(max(1, int(np.ceil(rules.early_steps * len(norms)))), upto + 1)
    with np.errstate(invalid="ignore"):
        own = np.nanmedian(np.where(np.isfinite(norms[:early]), norms[:early], np.nan), axis=0) \
            if len(norms) else np.zeros(seen.shape[1:])
    own = np.nan_to_num(own, nan=0.0)
    with np.errstate(invalid="ignore"):
        over = ~np.isfinite(seen) | ((seen > rules.exploding_norm)
                                     & (seen > rules.exploding_growth * own))
    broke = bad_output is not None and bad_output["step"] <= upto + 2
    if not over.any() and not broke:
        largest = float(np.max(seen)) if seen.size else 0.0
        return Claim("exploding", False,
                     f"no exploding: largest gradient norm {largest:.2g} (limit "
                     f"{rules.exploding_norm:g} and {rules.exploding_growth:g}x a layer's "
                     "early level)")
    parts = []
    if over.any():
        step, layer = (int(i) for i in np.argwhere(over)[0])
        value = seen[step, layer]
        size = f"reached {value:.2g}" if np.isfinite(value) else f"became {value}"
        parts.append(f"{layers[layer]}'s gradient norm {size} at step {step + 1} "
                     f"(from {own[layer]:.2g} early on)")
    if broke:
        assert bad_output is not None
        parts.append(where_it_broke(bad_output))
    return Claim("exploding", True, "exploding: " + "; ".join(parts))


def where_it_broke(bad_output: dict) -> str:
    """The first module whose output was NaN or infinite, in words."""
    text = f"{bad_output['module']}'s output became {bad_output['value']} at step " \
           f"{bad_output['step']}"
    return text + (" (its weights already were)" if bad_output.get("weights") else "")


def dead_units(silent: np.ndarray | None, layers: Sequence[str], upto: int,
               rules: Rules = RULES) -> Claim:
    """Dead units over the last ``dead_window`` steps up to ``upto``, from ``silent``
    (steps, layers): each step's share of a layer's units whose weight-gradient row was
    exactly zero. None: not recorded."""
    if silent is None or silent.size == 0 or not len(layers):
        return Claim("dead", False, "dead units: not recorded in this run")
    window = silent[max(0, upto + 1 - rules.dead_window): upto + 1]
    if len(window) == 0:
        return Claim("dead", False, "dead units: no step recorded yet")
    lasting = np.nan_to_num(window, nan=0.0).min(axis=0)  # per layer, the share on every step
    worst = int(np.argmax(lasting))
    share = float(lasting[worst])
    steps = f"each of the last {len(window)} steps" if len(window) > 1 else "the first step"
    if share > rules.dead_share:
        how_many = "all" if share >= 1.0 else f"{share:.0%} or more"
        return Claim("dead", True,
                     f"dead units: {how_many} of {layers[worst]}'s units received no "
                     f"gradient on {steps}")
    return Claim("dead", False,
                 f"no dead units: at most {share:.0%} of a layer's units received no gradient "
                 f"on {steps} (limit {rules.dead_share:.0%})")


def dead_relus(dead: np.ndarray | None, relus: Sequence[str], rules: Rules = RULES) -> Claim:
    """Dead ReLU modules from a trace recorded before gradients' zero rows were kept: more
    than ``dead_share`` of a ReLU module's units output 0 on every probe row."""
    if dead is None or not len(relus):
        return Claim("dead", False, "dead units: not recorded in this run")
    worst = int(np.argmax(dead))
    share = float(dead[worst])
    if share > rules.dead_share:
        return Claim("dead", True,
                     f"dead units: {share:.0%} of {relus[worst]}'s units output 0 on every "
                     "training row")
    return Claim("dead", False, f"no dead units: at most {share:.0%} of a layer's units "
                                f"(limit {rules.dead_share:.0%})")


def _times(ratio: float) -> str:
    """A large ratio as a readable factor: 92,439x, 1.2e+07x."""
    return f"{ratio:,.0f}x" if ratio < 1e6 else f"{ratio:.1e}x"
