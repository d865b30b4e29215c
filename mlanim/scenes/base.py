"""What a scene kind declares: its spec model, what it records, and how it draws.

A kind is one package under ``mlanim/scenes/`` (found by `pkgutil`; a plugin's through the
``mlanim.scenes`` entry-point group) with one `SceneKind` instance named ``KIND`` in its
``__init__``. Nothing outside the package needs to change to add one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from mlanim.analysis.claims import run_diverged
from mlanim.analysis.derived import Analysis, Derived
from mlanim.data import Dataset
from mlanim.draw.theme import Theme
from mlanim.draw.video import VideoSettings
from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.spec.sections import SceneSpec
from mlanim.trace import Trace
from mlanim.train.plan import RecordingPlan


class Frames(Protocol):
    """A video as random-access frames: frame ``i`` is drawn on request, as RGB uint8."""

    count: int

    def frame(self, index: int) -> np.ndarray:
        """Draw frame ``index`` (0-based) and return it as an (height, width, 3) array."""

    def close(self) -> None:
        """Release figures or cameras."""


def iterate(frames: Frames) -> Iterator[np.ndarray]:
    """All frames in order."""
    for index in range(frames.count):
        yield frames.frame(index)


class SceneKind:
    """Base class of a scene kind; subclasses fill in the class attributes and methods."""

    Spec: ClassVar[type[SceneSpec]]
    backends: ClassVar[tuple[str, ...]] = ("matplotlib", "manim")
    default_backend: ClassVar[str] = "matplotlib"
    needs: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """What the kind draws from a trace recorded elsewhere: (channel or array name, what it
    is, how `mlanim.watch` records it), for a clear error when a run lacks one."""
    own_recording: ClassVar[str | None] = None
    """Why a run recorded with `mlanim.watch` cannot make this scene (it records something a
    user's loop does not have); None when it can."""
    live: ClassVar[bool] = False
    """Whether ``mlanim render --live`` can serve the page while the spec trains: its
    recording writes itself as it goes, and a run cut short draws."""
    keyed_by: ClassVar[tuple[str, ...]] = ("seed", "data", "model", "train")
    """The spec keys (dotted for a key inside a section: ``"flow.bins"``) whose values change
    the recording: with the kind's name, they are the trace cache key (`recording_key`)."""

    @property
    def name(self) -> str:
        """The kind's name in specs: its package's name (a plugin may set its own)."""
        return type(self).__module__.rsplit(".", 1)[-1]

    @property
    def description(self) -> str:
        """What the kind shows, in one line (``mlanim kinds``): its class's docstring."""
        return " ".join((type(self).__doc__ or "").split()).rstrip(".")

    def recording(self, spec: SceneSpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """What identifies this scene's recording (the trace cache key), and how to make it.

        The default trains the spec's model on its data with the kind's `plan`; kinds that
        record something else (an optimizer on an analytic surface) override this.
        """
        from mlanim import data, train

        dataset = data.load(spec.data, spec.seed, resolve)
        self.check(spec, dataset)
        plan = self.plan(spec, dataset)
        check_recording_memory(spec, dataset, plan)
        def make(progress: Progress) -> Trace:
            trace = train.record(spec, plan, dataset, progress,
                                 self.beside(spec, dataset, plan))
            self.complete(spec, dataset, plan, trace, progress)
            return trace

        return self.recording_key(spec, plan=plan.key()), make

    def check_trace(self, trace: Trace) -> None:
        """A `UsageError` naming what is missing, and the argument that records it, when a
        trace recorded elsewhere cannot make this scene."""
        from mlanim.errors import UsageError

        if not recorded_elsewhere(trace.meta):
            return  # the built-in recordings say which scene they are for
        if self.own_recording:
            raise UsageError(f"{self.name} {self.own_recording}, so it cannot draw a run "
                             "recorded with mlanim.watch",
                             hint=f"render it from a spec (mlanim new {self.name})")
        for name, what, how in self.needs:
            if name not in trace:
                raise UsageError(f"{self.name} draws {what}, which this run did not record",
                                 hint=how)

    def clock(self, spec: SceneSpec, trace: Trace) -> tuple[np.ndarray, np.ndarray] | None:
        """The steps and epochs of the snapshots the kind's timeline sweeps through evenly
        (a `SnapshotTimeline`), so that ``--at epoch=N`` finds its frame; None for kinds
        told as a sequence of views."""
        return None

    def recording_key(self, spec: SceneSpec, **computed: object) -> dict:
        """What identifies this kind's recording of ``spec``: its name, the values of the
        `keyed_by` keys, and what the kind ``computed`` from them (a plan, a held-out example)."""
        dumped = spec.model_dump(mode="json")
        key: dict = {"scene": self.name}
        for path in self.keyed_by:
            value: object = dumped
            for part in path.split("."):
                value = value[part]  # type: ignore[index]
            key[path] = value
        return {**key, **computed}

    def live_settings(self) -> dict[str, object]:
        """Spec keys a live page of a run sets: quick to build again at every snapshot, and
        steady as the run grows (a projection that needs no fitting). Default: none."""
        return {}

    def beside(self, spec: SceneSpec, dataset: Dataset, plan: RecordingPlan
               ) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        """Static arrays and metadata that belong with the recording and are known before it
        trains (a run served live carries them from its first snapshot). Default: none."""
        return {}, {}

    def complete(self, spec: SceneSpec, dataset: Dataset, plan: RecordingPlan, trace: Trace,
                 progress: Progress) -> None:
        """Add to a freshly recorded trace what belongs with it (derived in the recording
        stage, while the data is at hand). Default: nothing."""

    def describe(self, meta: dict) -> str:
        """One line on what a trace of this kind was recorded from (``mlanim inspect``)."""
        return describe_training(meta)

    def check(self, spec: SceneSpec, dataset: Dataset) -> None:
        """Raise a `SpecError` when the spec and data cannot make this scene."""

    def plan(self, spec: SceneSpec, dataset: Dataset) -> RecordingPlan:
        """What training must record for this scene."""
        raise NotImplementedError

    def analyses(self, spec: SceneSpec, trace: Trace) -> list[Analysis]:
        """What drawing derives from the trace at a cost (projections): the pipeline's analyse
        stage runs these or loads them from the cache, and hands the results to `frames` and
        `figure` as ``derived``. Default: nothing."""
        return []

    def findings(self, spec: SceneSpec, trace: Trace) -> list[str]:
        """What the user must hear about the run beyond the video (a diagnosis), one line
        each: the command line prints them on stderr. Default: whether the training loss
        diverged (`mlanim.analysis.claims.diverged`)."""
        verdict = run_diverged(trace)
        if not verdict.fired:
            return []
        return [f"training diverged: {verdict.text}; a smaller learning rate "
                "(train.optimizer.lr) keeps it stable"]

    def frames(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
               backend: str, derived: Derived | None = None) -> Frames:
        """The animation drawn by ``backend``."""
        raise NotImplementedError

    def figure(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
               path: Path, derived: Derived | None = None, frame: int | None = None) -> None:
        """A static vector figure of frame ``frame``, by default the last (svg or pdf, by
        ``path``'s suffix)."""
        raise NotImplementedError

    def page(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
             path: Path, derived: Derived | None = None) -> None:
        """The render as one interactive HTML page (kinds drawn as pictures have one)."""
        from mlanim.errors import UsageError

        raise UsageError(f"{self.name} has no page yet", key_path=("render", "formats"),
                         hint="render mp4, gif, webm or stills")

    def captions(self, spec: SceneSpec, trace: Trace, video: VideoSettings, theme: Theme,
                 derived: Derived | None = None) -> list[str]:
        """Each frame's caption (for subtitle files). Default: none."""
        return [""] * video.count


def check_recording_memory(spec: SceneSpec, dataset: Dataset, plan: RecordingPlan) -> None:
    """A `SpecError` before training when the snapshots the plan asks for would not fit in
    the memory this machine has free (they are kept in memory until the trace is written)."""
    import torch

    from mlanim import models
    from mlanim.train.schedule import Schedule

    with torch.device("meta"):
        model = models.architecture(spec.model, dataset)  # type: ignore[attr-defined]
    weights = sum(p.numel() for p in model.parameters())
    widest = max((m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)),
                 default=1)
    schedule = Schedule.of(spec.train, len(dataset.x_train))  # type: ignore[attr-defined]
    every = plan.every_steps or plan.every_epochs * schedule.steps_per_epoch
    snapshots = len(schedule.regular(every, plan.extra_steps)) + 1
    need = snapshots * plan.snapshot_bytes(weights, widest, len(dataset.x_train) +
                                           len(dataset.x_val), dataset.n_outputs)
    free = models.available_memory()
    if free and need > free * 0.8:
        raise SpecError(f"recording {snapshots:,} snapshots of this run needs about "
                        f"{models.size_text(need)}, and this machine has "
                        f"{models.size_text(free)} free", key_path=("train", "record_every"),
                        hint="record less often (train.record_every), train for fewer epochs, "
                             "or use a smaller model")


def require_mlp(kind: str, spec: SceneSpec) -> None:
    """A `SpecError` unless the spec's model is an MLP (kinds that draw or evaluate one)."""
    model_type = spec.model.type  # type: ignore[attr-defined]
    if model_type != "mlp":
        raise SpecError(f"{kind} draws MLPs, not model type '{model_type}'",
                        key_path=("model", "type"), hint="use type: mlp")


def require_classification(kind: str, dataset: Dataset,
                           key: tuple[str, ...] = ("data", "name")) -> None:
    """A `SpecError` (located at ``key``) unless ``dataset`` is a classification task."""
    if dataset.task != "classification":
        raise SpecError(f"{kind} needs a classification dataset", key_path=key,
                        hint="use moons, circles, iris, wine, digits, ... or a csv whose "
                             "target holds classes")


def describe_training(meta: dict) -> str:
    """The dataset and layer widths a trace was trained on, as one line."""
    if "dataset" not in meta:
        return "recorded elsewhere"
    if recorded_elsewhere(meta):
        return "recorded with mlanim.watch: " + join_parts(data_line(meta), model_line(meta),
                                                           optimizer_line(meta))
    data, model = meta["dataset"], meta.get("model", {})
    return (f"data {data.get('name')} ({data.get('task')}): {data.get('n_train')} train, "
            f"{data.get('n_val')} held out; model {model.get('widths')}")


def story_title(given: str | None, default: str, trace: Trace) -> str:
    """The spec's own title, else ``default``, which says so when the run diverged (by
    `mlanim.analysis.claims.run_diverged`): a title must not claim a run learns when it blew
    up."""
    if given:
        return given
    return f"{default}, until training diverged" if run_diverged(trace).fired else default


def recorded_elsewhere(meta: dict) -> bool:
    """Whether a trace was recorded from someone's own loop (`mlanim.watch`)."""
    return meta.get("source") == "watch"


def time_unit(meta: dict) -> str:
    """What a trace's ``epoch`` values count: ``epoch``, or ``step`` for a recorded run that
    never said how long an epoch is."""
    return str(meta.get("unit", "epoch"))


def model_line(meta: dict) -> str:
    """The model in a few words: ``MLP 2-16-16-2 tanh`` or ``DigitsCNN (2 conv, 2 linear)``."""
    model = meta.get("model", {})
    activation = (model.get("activation") or "").lower()
    summary = model.get("summary")
    if summary is None:
        summary = "MLP " + "-".join(str(w) for w in model.get("widths", []))
    if summary.startswith("MLP") and activation:
        summary += f" {activation}"
    return summary


def optimizer_line(meta: dict) -> str:
    """``adam lr=0.01`` (``lr=0.01→0.001`` when a schedule changed it); empty when the run
    did not record its optimizer."""
    optimizer = meta.get("train", {}).get("optimizer") or {}
    if "name" not in optimizer or "lr" not in optimizer:
        return ""
    final = optimizer.get("lr_final")
    rate = f"{optimizer['lr']:g}" + (f"→{final:g}" if final is not None else "")
    return f"{optimizer['name']} lr={rate}"


def data_line(meta: dict) -> str:
    """``moons · 300 train / 100 held out``, or ``digits · 1,400 rows an epoch`` for a
    recorded run (whose held-out data mlanim did not see)."""
    data = meta.get("dataset", {})
    if recorded_elsewhere(meta):
        rows = data.get("n_train") or 0
        per = "an epoch" if time_unit(meta) == "epoch" else "seen"
        name = data.get("name", "your data")
        return f"{name} · {rows:,} rows {per}" if rows else name  # a trainer hid its batches
    return f"{data.get('name')} · {data.get('n_train')} train / {data.get('n_val')} held out"


def training_line(meta: dict, rows_last: bool = False) -> str:
    """The data, model and optimizer of a run: ``moons · 300 train / 100 held out · MLP
    2-16-2 tanh · adam lr=0.01``; with ``rows_last``, the data's rows come last."""
    name, _, rows = data_line(meta).partition(" · ")
    if rows_last:
        return join_parts(name, model_line(meta), optimizer_line(meta), rows)
    return join_parts(name, rows, model_line(meta), optimizer_line(meta))


def join_parts(*parts: str) -> str:
    """Non-empty parts joined with `` · ``."""
    return " · ".join(part for part in parts if part)
