"""What each moment of the boosting_stages scene shows, read from the trace: the stage each
frame stands at, the staged scores on the rows and the grid, the probe row's running sum, and
the sentences, each from a stated rule."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.claims import lowest
from mlanim.analysis.curves import overfitting_onset
from mlanim.draw.frame import Frame
from mlanim.draw.theme import Theme
from mlanim.draw.timeline import Segment, segment_at, split_frames
from mlanim.draw.video import VideoSettings
from mlanim.scenes.boosting_stages.spec import BoostingStagesSpec
from mlanim.trace import Trace
from mlanim.trees.plane import pick_features, plane
from mlanim.trees.recording import ensemble_of

WEIGHTS = {"prior": 1.5, "stages": 6.0, "sum": 2.5, "loss": 2.0}
STAGED = {"sklearn": "scikit-learn's staged predictions",
          "xgboost": "xgboost's margins stage by stage",
          "lightgbm": "lightgbm's raw scores stage by stage"}
"""Whose numbers the running sum equals (a test checks each)."""
CURVE_POINTS = 400
"""Points of the prediction curve of a one-feature regression."""


def signed(value: float) -> str:
    """``1.32``, or ``(−0.87)`` for a negative term of a sum."""
    return f"{value:.3g}" if value >= 0 else f"(−{-value:.3g})"


class BoostingStory:
    """The fitted booster, its data and staged predictions, and the views in turn."""

    def __init__(self, spec: BoostingStagesSpec, trace: Trace, video: VideoSettings,
                 theme: Theme) -> None:
        self.spec, self.video, self.theme = spec, video, theme
        meta = trace.meta
        self.ensemble = e = ensemble_of(trace)
        dataset = meta["dataset"]
        self.features, self.classes = dataset["feature_names"], tuple(dataset["class_names"])
        self.classify = e.task == "classification"
        self.x_train, self.y_train = trace.static("data/x_train"), trace.static("data/y_train")
        self.x_val = trace.static("data/x_val")
        self.curve_mode = len(self.features) == 1
        if self.curve_mode:
            low, high = float(self.x_train.min()), float(self.x_train.max())
            pad = (high - low) * 0.04 or 0.5
            self.curve_x = np.linspace(low - pad, high + pad, CURVE_POINTS)[:, None]
            self.grid_scores = e.staged_scores(self.curve_x)
            self.plane = None
        else:
            self.plane = plane(self.x_train, self.x_val,
                               pick_features(spec.show.plane, self.features,
                                         importance=e.importance(len(self.features))))
            self.grid_scores = e.staged_scores(self.plane.rows).astype(np.float32)
        self.row_scores = e.staged_scores(self.x_train)
        self.train_loss = trace.static("boosting/train_loss")
        self.val_loss = (trace.static("boosting/val_loss") if "boosting/val_loss" in trace
                         else None)
        self.probe = min(spec.show.probe, len(self.x_train) - 1)
        row = self.x_train[self.probe: self.probe + 1]
        self.probe_outputs = np.array([[tree.predict(row)[0, 0] for tree in e.stage_trees(s)]
                                       for s in range(e.stages)]).reshape(e.stages, -1)
        views = ["prior", "stages", "sum", "loss"]
        self.segments = split_frames(views, WEIGHTS, video.count)
        self.title = spec.title or "Gradient boosting: each tree fits what is still wrong"
        self.subtitle = self._subtitle(meta)
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"stage {e.stages} / {e.stages}")

    def _subtitle(self, meta: dict) -> str:
        e, data = self.ensemble, meta["dataset"]
        depth = meta.get("params", {}).get("max_depth")
        trees = f"{e.stages} stages" + (f" × {e.per_stage} trees" if e.per_stage > 1 else "")
        return " · ".join(part for part in [
            data["name"], f"{data['n_train']} train / {data['n_val']} held out",
            f"{e.estimator} ({e.library})", trees,
            f"depth {depth}" if depth else "", f"learning rate {e.learning_rate:g}"] if part)

    def segment(self, frame: int) -> Segment:
        """The view ``frame`` belongs to."""
        return segment_at(self.segments, frame)

    def stage_at(self, view: str, p: float) -> int:
        """Stages added by the frame: none in the prior view; in the stages view one at a
        time at first, faster later (the early stages change the most); all afterwards."""
        if view == "prior":
            return 0
        if view != "stages":
            return self.ensemble.stages
        return max(1, min(self.ensemble.stages,
                          round(self.ensemble.stages ** min(p / 0.9, 1.0))))

    # -- numbers the frames show -------------------------------------------------------------
    def prediction(self, stage: int, rows: str = "grid") -> np.ndarray:
        """Class probabilities (…, K) or values after ``stage`` stages, on the grid (or
        curve) or the training rows."""
        scores = (self.grid_scores if rows == "grid" else self.row_scores)[stage]
        return self.ensemble.link(np.asarray(scores, np.float64))

    def residuals(self, stage: int) -> np.ndarray:
        """What the next tree fits on each training row: y - p of class 1 (two classes), of
        the row's own class (more), or y - prediction (regression)."""
        predicted = self.prediction(stage, "rows")
        if not self.classify:
            return self.y_train - predicted
        labels = self.y_train.astype(int)
        if len(self.classes) == 2:
            return (labels == 1) - predicted[:, 1]
        return 1.0 - predicted[np.arange(len(labels)), labels]

    def terms(self, stage: int) -> list[np.ndarray]:
        """The probe's running sum: the prior, then each stage's raw tree outputs (K each)."""
        return [np.asarray(self.ensemble.prior, np.float64), *self.probe_outputs[:stage]]

    def equation(self, stage: int, most: int = 3) -> str:
        """``F = 0.000 + 0.1×1.32 + 0.1×0.87 + … = 1.53`` for the probe (for more than two
        classes, the sum of the probe's own class)."""
        e = self.ensemble
        k = int(self.y_train[self.probe]) if self.classify and e.per_stage > 1 else 0
        terms = self.terms(stage)
        if stage == 0:
            return f"F = {terms[0][k]:.4g}, the prior"
        rate = f"{e.learning_rate:g}"
        shown = [f"{terms[0][k]:.3g}"] + [f"{rate}×{signed(t[k])}" for t in terms[1:most + 1]]
        if stage > most + 1:
            shown.append("…")
        if stage > most:
            shown.append(f"{rate}×{signed(terms[-1][k])}")
        score = float(self.row_scores[stage][self.probe][k])
        return "F = " + " + ".join(shown) + f" = {score:.4g}"

    def probability(self, stage: int) -> str:
        """``p(class 1) = 0.82``: the probe's score through the link (empty for regression)."""
        if not self.classify:
            return ""
        e = self.ensemble
        k = 1 if e.per_stage == 1 else int(self.y_train[self.probe])
        return f"p({self.classes[k]}) = {self.prediction(stage, 'rows')[self.probe][k]:.3f}"

    def best_stages(self) -> list[int]:
        """The stages of lowest held-out loss (or training loss without held-out rows)."""
        losses = self.val_loss if self.val_loss is not None else self.train_loss
        return lowest(list(losses))

    # -- sentences ---------------------------------------------------------------------------
    def caption(self, view: str, p: float) -> str:
        """One line on what ``view`` shows at progress ``p``, from the fitted numbers."""
        e = self.ensemble
        if view == "prior":
            if self.classify and e.per_stage == 1:
                return (f"Before any tree every row gets the prior: the log-odds of "
                        f"{self.classes[1]}, {e.prior[0]:.3g} (p = "
                        f"{1 / (1 + np.exp(-e.prior[0])):.2f}); dots show y − p")
            if self.classify:
                return ("Before any tree every row gets the prior: each class's log share of "
                        "the training rows")
            return (f"Before any tree every row gets the prior, the mean target "
                    f"{e.prior[0]:.4g}; stems show what is left: y − prediction")
        if view == "stages":
            fits = "the residuals y − p" if self.classify else "the residuals y − prediction"
            each = (f"{e.per_stage} trees, one a class, fit" if e.per_stage > 1
                    else "a small tree fits")
            return (f"Each stage, {each} {fits}; the prediction moves by "
                    f"{e.learning_rate:g} × its output")
        if view == "sum":
            return (f"Row {self.probe}'s score is the prior plus {e.learning_rate:g} × each "
                    f"tree's output: the same numbers as {STAGED[e.library]}")
        return self._say_loss()

    def _say_loss(self) -> str:
        if self.val_loss is None:
            return "Training loss after every stage (no held-out rows were given)"
        best = self.best_stages()
        if len(best) > 1:
            return "Held-out loss ties for lowest at stages " + " and ".join(map(str, best))
        onset = overfitting_onset(self.train_loss, self.val_loss)
        if onset is not None:
            return (f"Held-out loss is lowest after stage {best[0]} and rises for good from "
                    f"stage {onset}: later trees fit noise (overfitting)")
        return (f"Held-out loss is lowest after stage {best[0]}; it does not rise for good "
                "after it, so more stages do not overfit here")
