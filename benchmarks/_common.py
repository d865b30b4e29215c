"""Helpers shared by the benchmarks: a trained quickstart trace, a stopwatch, and 10,000 digit
images (scikit-learn's 1,797 plus noisy, shifted copies) with a spec that trains on them."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from mlanim import pipeline
from mlanim.progress import SilentProgress

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenes" / "quickstart.yaml"
MAIN_EXAMPLES = {  # each scene kind's main example in scenes/
    "network_pulses": "iris_pulses",
    "attention": "attention_reverse",
    "decision_boundary": "quickstart",
    "optimizer_paths": "optimizers_rosenbrock",
    "loss_landscape": "landscape_moons",
    "embedding_evolution": "embedding_digits",
    "loss_curves": "curves_overfit",
    "feature_space": "feature_space_circles",
    "gradient_flow": "gradients_vanishing",
    "bias_variance": "bias_variance_panels",
    "cnn_filters": "cnn_digits",
    "rnn_memory": "rnn_lstm_order",
    "tree_growth": "tree_moons",
    "boosting_stages": "boosting_moons",
}
POINTS = 10_000
EPOCHS = 44  # + the snapshot before training = 45 snapshots


def quickstart_trace(**render_overrides):
    """The quickstart spec (with render overrides) and its trace (trained once, cached)."""
    loaded = pipeline.load(QUICKSTART)
    spec = pipeline.RenderOptions(overrides=render_overrides).apply(loaded.spec)
    return loaded, spec, pipeline.obtain_trace(loaded, spec, False, SilentProgress())


def prepared_example(example: str, quality: str):
    """``scenes/EXAMPLE.yaml`` at ``quality``: its kind, spec, trace, derived data and video
    settings (trained and analysed once, then read from the cache)."""
    from mlanim import scenes
    from mlanim.draw.video import VideoSettings

    loaded = pipeline.load(ROOT / "scenes" / f"{example}.yaml")
    spec = pipeline.RenderOptions(overrides={"quality": quality}).apply(loaded.spec)
    kind = scenes.get(spec.scene)
    trace = pipeline.obtain_trace(loaded, spec, False, SilentProgress())
    derived = pipeline.analyse(kind, spec, trace, SilentProgress())
    return kind, spec, trace, derived, VideoSettings.from_spec(spec.render)


def cpu_model() -> str:
    """The CPU these figures were measured on (from /proc/cpuinfo), with its core count."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{platform.processor() or platform.machine()}"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{names[0] if names else platform.machine()}, {len(names) or '?'} cores"


def print_machine() -> None:
    """One line naming the machine, printed first by every benchmark."""
    print(f"machine: {cpu_model()}; torch threads {_torch_threads()}")


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    elapsed: list[float] = []
    start = time.perf_counter()
    yield elapsed
    elapsed.append(time.perf_counter() - start)


def against_encode_floor(spec, trace, name: str, target: float, serial: bool = False) -> None:
    """Draw and encode ``spec``'s video (matplotlib, from ``trace``) beside encoding the same
    frames alone (the floor): in this process with a drawing thread, on worker processes,
    and (``serial``) with no thread; print each rate and ``NAME: <ratio>x floor``."""
    import tempfile
    from functools import partial

    from mlanim import pipeline, scenes
    from mlanim.draw.theme import load_theme
    from mlanim.draw.video import VideoSettings
    from mlanim.encode import write_outputs
    from mlanim.executor import draw_in_order, prefetch, worker_count
    from mlanim.scenes.base import iterate

    video, theme = VideoSettings.from_spec(spec.render), load_theme(spec.render.theme)
    drawing = scenes.get(spec.scene).frames(spec, trace, video, theme, "matplotlib")
    out, n = Path(tempfile.mkdtemp()), video.count
    print(f"{n} frames at {video.width}x{video.height}, {video.fps} fps, {worker_count()} cores")
    with stopwatch() as t:
        frames = list(iterate(drawing))
    rates = {"draw only": n / t[0]}
    with stopwatch() as t:
        write_outputs(frames, video, {"mp4": out / "floor.mp4"})
    floor = rates["encode only (floor)"] = n / t[0]
    del frames
    if serial:
        with stopwatch() as t:
            write_outputs(iterate(drawing), video, {"mp4": out / "serial.mp4"})
        rates["draw+encode serial"] = n / t[0]
    with stopwatch() as t:
        write_outputs(prefetch(iterate(drawing)), video, {"mp4": out / "thread.mp4"})
    rates["draw+encode threaded"] = n / t[0]
    factory = partial(pipeline.draw_scene, spec.scene, spec, trace.path, video, theme,
                      "matplotlib")
    workers = max(2, worker_count())
    with stopwatch() as t:
        write_outputs(draw_in_order(factory, n, workers), video, {"mp4": out / "pool.mp4"})
    rates[f"draw+encode {workers} procs"] = n / t[0]
    drawing.close()
    for label, rate in rates.items():
        share = f"  ({rate / floor:.2f} of floor)" if label.startswith("draw+") else ""
        print(f"{label:21}{rate:7.1f} frames/s{share}")
    best = max(rate for label, rate in rates.items() if label.startswith("draw+"))
    print(f"{name}: {best / floor:.2f}x floor (target {target:.2f}x; processes include their "
          "start-up)")


def write_digits(folder: Path) -> Path:
    """``folder/digits10k.npz`` with ``images`` (10000, 8, 8) and ``labels``."""
    bunch = load_digits()
    rng = np.random.default_rng(0)
    copies = -(-POINTS // len(bunch.images))
    images, labels = [], []
    for k in range(copies):
        shifted = np.roll(bunch.images, shift=(k % 3) - 1, axis=2) if k else bunch.images
        images.append(np.clip(shifted + rng.normal(0, 1.5 * (k > 0), shifted.shape), 0, 16))
        labels.append(bunch.target)
    path = folder / "digits10k.npz"
    np.savez(path, images=np.concatenate(images)[:POINTS], labels=np.concatenate(labels)[:POINTS])
    return path


def write_spec(folder: Path, embed: str) -> Path:
    """A spec training the default MLP on the 10,000 images for `EPOCHS` epochs."""
    write_digits(folder)
    spec = folder / "digits10k.yaml"
    spec.write_text(
        "scene: embedding_evolution\n"
        "data: {name: npz, path: digits10k.npz, test_fraction: 0.0}\n"
        "model: {hidden: [64, 32]}\n"
        f"train: {{epochs: {EPOCHS}, batch_size: 256, optimizer: {{name: sgd, lr: 0.05}}}}\n"
        f"embed: {{{embed}, first_epoch: 0}}\n"
        "render: {quality: low, duration: 1, formats: [png]}\n")
    return spec


def interleaved_medians(first: Callable[[], float], second: Callable[[], float],
                        repeats: int) -> tuple[float, float]:
    """Each timing function run once to warm up, then ``repeats`` times in turn (so machine
    noise hits both alike); the median seconds of each."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        times[0].append(first())
        times[1].append(second())
    return statistics.median(times[0]), statistics.median(times[1])
