"""Token-sequence tasks that make attention patterns appear, generated from a seed.

copy, reverse and sort map a sequence of digits to a sequence of the same length (every
position predicted at once, attention not masked). induction is a random sequence repeated
once: its second half is predictable only by attending back to the previous occurrence (next
token prediction, causal mask). text is next-token prediction on a user's corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SequenceTask:
    """Inputs and targets (n, length) as token ids, and what the ids mean."""

    name: str
    inputs: np.ndarray
    targets: np.ndarray
    vocabulary: tuple[str, ...]
    causal: bool
    scored_from: int = 0  # positions before this are not scored (induction's first half)

    def encode(self, text: str) -> list[int]:
        """Token ids of a space-separated example; a `ValueError` names unknown tokens."""
        words = text.split() if " " in text or len(self.vocabulary[0]) > 1 else list(text)
        unknown = [w for w in words if w not in self.vocabulary]
        if unknown:
            shown = " ".join(self.vocabulary[:20]) + (" ..." if len(self.vocabulary) > 20 else "")
            raise ValueError(f"tokens {unknown} are not in the vocabulary ({shown})")
        return [self.vocabulary.index(w) for w in words]


def digit_task(name: str, n: int, length: int, vocab: int, seed: int) -> SequenceTask:
    """copy, reverse or sort of random digit sequences."""
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, vocab, size=(n, length))
    if name == "copy":
        targets = inputs.copy()
    elif name == "reverse":
        targets = inputs[:, ::-1].copy()
    else:
        targets = np.sort(inputs, axis=1)
    return SequenceTask(name, inputs, targets, tuple(str(i) for i in range(vocab)), causal=False)


def induction_task(n: int, length: int, vocab: int, seed: int) -> SequenceTask:
    """A random half repeated: [r1 .. rk r1 .. rk]; predict each next token."""
    rng = np.random.default_rng(seed)
    half = length // 2
    first = rng.integers(0, vocab, size=(n, half))
    sequence = np.concatenate([first, first], axis=1)
    return SequenceTask("induction", sequence[:, :-1], sequence[:, 1:],
                        tuple(str(i) for i in range(vocab)), causal=True, scored_from=half - 1)


def text_task(corpus: str, length: int, seed: int, n: int = 2000) -> SequenceTask:
    """Character-level next-token prediction on windows of ``corpus``."""
    chars = tuple(sorted(set(corpus)))
    if len(corpus) <= length + 1 or len(chars) < 2:
        raise ValueError("the corpus is too short: it needs more characters than the "
                         "sequence length, and at least two different ones")
    ids = np.array([chars.index(c) for c in corpus])
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - length - 1, size=n)
    windows = np.stack([ids[s: s + length + 1] for s in starts])
    return SequenceTask("text", windows[:, :-1], windows[:, 1:], chars, causal=True)
