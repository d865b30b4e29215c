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


def test_frames_are_encoded_with_the_heap_settled_and_it_is_released_after(tmp_path):
    """While frames are drawn and encoded, the objects alive before are out of the collector's
    scans (gc.freeze); afterwards, and after a failure, the collector sees them again."""
    import gc

    from mlanim.draw.video import VideoSettings
    from mlanim.encode import write_outputs

    frozen_while_drawing = []

    def frames():
        for _ in range(3):
            frozen_while_drawing.append(gc.get_freeze_count())
            yield np.zeros((64, 96, 3), np.uint8)

    video = VideoSettings(96, 64, 3, 1.0)
    write_outputs(frames(), video, {"mp4": tmp_path / "a.mp4"})
    assert min(frozen_while_drawing) > 1000 and gc.get_freeze_count() == 0

    def failing():
        yield np.zeros((64, 96, 3), np.uint8)
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError):
        write_outputs(failing(), video, {"mp4": tmp_path / "b.mp4"})
    assert gc.get_freeze_count() == 0 and not (tmp_path / "b.mp4").exists()


UNGUARDED_SCRIPT = """\
import operator, sys
from functools import partial
sys.path.insert(0, {root!r})
from mlanim.executor import draw_in_order, map_shared
from tests.test_executor import make_counting_frames
print("the script's body ran")
frames = list(draw_in_order(partial(make_counting_frames), 7, workers=2, chunk=2))
sums = map_shared(operator.add, 10, [1, 2, 3], workers=2)
print([int(f[0, 0, 0]) for f in frames], sums)
"""


@pytest.mark.slow
@pytest.mark.parametrize("cluster", ["", "local"])
def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path, cluster):
    """Spawned workers run the parent's main script again unless told not to: unguarded,
    it restarted the work in every worker, and the pool replaced each refused worker
    forever (a render that never ended, printing a traceback a worker); a local Dask
    cluster's workers failed to start, and the render was blamed on its run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "script.py"
    script.write_text(UNGUARDED_SCRIPT.format(root=str(Path(__file__).parent.parent)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={**os.environ, "MLANIM_CLUSTER": cluster})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["the script's body ran",
                                        "[0, 1, 2, 3, 4, 5, 6] [11, 12, 13]"]
    assert done.stderr == ""
