"""The executor: frames come back in order, and a failure while drawing reaches the caller."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from mlanim.executor import draw_in_order, prefetch


def test_prefetch_keeps_order():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))


def test_prefetch_reraises_the_producers_error():
    def broken():
        yield 1
        raise ValueError("bad frame")

    seen = []
    with pytest.raises(ValueError, match="bad frame"):
        for item in prefetch(broken()):
            seen.append(item)
    assert seen == [1]


def test_prefetch_stops_its_thread_when_the_consumer_stops_early():
    items = prefetch(iter(range(1000)), depth=2)
    assert next(items) == 0
    items.close()  # must not hang on the producer's full queue


class CountingFrames:
    """A stand-in drawing: frame i is filled with i."""

    count = 7

    def frame(self, index: int) -> np.ndarray:
        return np.full((2, 2, 3), index, dtype=np.uint8)

    def close(self) -> None:
        pass


def make_counting_frames() -> CountingFrames:
    return CountingFrames()


def test_process_pool_returns_frames_in_order():
    frames = list(draw_in_order(partial(make_counting_frames), 7, workers=2, chunk=2))
    assert [int(f[0, 0, 0]) for f in frames] == list(range(7))
