"""Token-sequence tasks that make attention patterns appear, generated from a seed.

- ``copy``: digits followed by as many blanks; each blank must become the digit it copies, so
  blank ``i`` has to look back at position ``i`` (copying in place would need no attention: the
  residual stream already carries the token).
- ``reverse`` and ``sort``: every position predicted at once; ``reverse`` must read the mirrored
  position.
- ``induction``: a random half repeated once; the second half is predictable only by attending
  back to the previous occurrence (next-token prediction, causal mask).
- ``text``: next-token prediction on a user's sentence or small corpus, by character or word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLANK = "_"


@dataclass(frozen=True)
class SequenceTask:
    """Inputs and targets (n, length) as token ids, and what the ids mean."""

    name: str
    inputs: np.ndarray
    targets: np.ndarray
    vocabulary: tuple[str, ...]
    causal: bool
    scored_from: int = 0  # positions before this are not scored (copy's digits, induction's 1st)
    level: str = "token"  # "char": an example is read letter by letter; "token": split on spaces

    @property
    def length(self) -> int:
        """Positions per input sequence."""
        return int(self.inputs.shape[1])

    def tokens(self, text: str) -> list[str]:
        """``text`` split into tokens the way this task reads it."""
        if self.level == "char":
            return list(text)
        if " " not in text.strip() and all(len(t) == 1 for t in self.vocabulary):
            return list(text.strip())  # "314159" as well as "3 1 4 1 5 9"
        return text.split()

    def encode(self, text: str) -> list[int]:
        """Token ids of an example; a `ValueError` names tokens not in the vocabulary."""
        words = self.tokens(text)
        unknown = sorted({w for w in words if w not in self.vocabulary})
        if unknown:
            shown = " ".join(self.vocabulary[:24]) + (" ..." if len(self.vocabulary) > 24 else "")
            raise ValueError(f"tokens {unknown} are not in the vocabulary ({shown})")
        return [self.vocabulary.index(w) for w in words]

    def decode(self, ids: np.ndarray) -> list[str]:
        """The tokens of ``ids``."""
        return [self.vocabulary[int(i)] for i in ids]

    def targets_for(self, ids: list[int]) -> list[int | None]:
        """What the model should output at each position of input ``ids`` (None where the
        example does not say: the token after a text example's last)."""
        n = len(ids)
        if self.name == "copy":
            return ids[: n // 2] * 2
        if self.name == "reverse":
            return ids[::-1]
        if self.name == "sort":
            return sorted(ids)
        if self.name == "induction":
            return [*ids[1:], ids[(n + 1) // 2 - 1]]
        return [*ids[1:], None]

    def pattern(self) -> list[tuple[int, int]]:
        """(query, key) cells the task can only be solved through, for drawing the target
        pattern: the mirrored position for reverse, the copied digit for copy, the token after
        the previous occurrence for induction. Empty where no fixed pattern exists."""
        n = self.length
        if self.name == "reverse":
            return [(i, n - 1 - i) for i in range(n)]
        if self.name == "copy":
            half = n // 2
            return [(half + i, i) for i in range(half)]
        if self.name == "induction":
            half = (n + 1) // 2
            return [(t, t - half + 1) for t in range(half - 1, n)]
        return []


def _digits(vocab: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(vocab))


def digit_task(name: str, n: int, length: int, vocab: int, seed: int) -> SequenceTask:
    """copy, reverse or sort of random digit sequences of ``length``."""
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, vocab, size=(n, length))
    if name == "copy":
        blanks = np.full_like(digits, vocab)
        return SequenceTask(name, np.concatenate([digits, blanks], axis=1),
                            np.concatenate([digits, digits], axis=1),
                            (*_digits(vocab), BLANK), causal=False, scored_from=length)
    targets = digits[:, ::-1].copy() if name == "reverse" else np.sort(digits, axis=1)
    return SequenceTask(name, digits, targets, _digits(vocab), causal=False)


def induction_task(n: int, length: int, vocab: int, seed: int) -> SequenceTask:
    """A random half repeated, [r1 .. rk r1 .. rk] with k = ``length`` // 2; predict each next
    token. Inputs have 2k - 1 positions."""
    rng = np.random.default_rng(seed)
    half = length // 2
    first = rng.integers(0, vocab, size=(n, half))
    sequence = np.concatenate([first, first], axis=1)
    return SequenceTask("induction", sequence[:, :-1], sequence[:, 1:], _digits(vocab),
                        causal=True, scored_from=half - 1)


def split_corpus(corpus: str, level: str) -> list[str]:
    """The corpus as tokens: characters, or whitespace-separated words."""
    return list(corpus) if level == "char" else corpus.split()


def text_task(corpus: str, length: int, seed: int, n: int = 2000,
              level: str = "char") -> SequenceTask:
    """Next-token prediction on windows of ``corpus`` (by character or by word)."""
    tokens = split_corpus(corpus, level)
    vocabulary = tuple(sorted(set(tokens)))
    if len(tokens) <= length + 1 or len(vocabulary) < 2:
        unit = "characters" if level == "char" else "words"
        raise ValueError(f"the corpus is too short: it has {len(tokens)} {unit}; it needs more "
                         f"than the sequence length ({length}) plus one, and at least two "
                         "different ones")
    ids = np.array([vocabulary.index(t) for t in tokens])
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - length, size=n)
    windows = np.stack([ids[s: s + length + 1] for s in starts])
    return SequenceTask("text", windows[:, :-1], windows[:, 1:], vocabulary, causal=True,
                        level="char" if level == "char" else "token")
