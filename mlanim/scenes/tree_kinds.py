"""What the tree kinds (``tree_growth``, ``boosting_stages``) share: they fit a scikit-learn
(or xgboost, lightgbm) model from the spec, or read the fitted model file the spec names, and
record it with `mlanim.trees.recording.trace_of`; or they draw a run `mlanim.trees.record`
wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from mlanim.data import Dataset
from mlanim.errors import SpecError, UsageError
from mlanim.progress import Progress
from mlanim.scenes.picture_scene import PictureScene
from mlanim.spec.sections import SceneSpec
from mlanim.trace import Trace


class TreeKind(PictureScene):
    """Base of the kinds that draw fitted tree models; ``families`` are the model families a
    kind draws (tree, forest, boosting)."""

    families: ClassVar[tuple[str, ...]] = ()
    keyed_by = ("seed", "data", "model")

    def recording(self, spec: Any, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """The model fitted from the spec (or read from its file) and recorded; keyed by the
        seed, data and model sections and the model file's content."""
        from mlanim import data
        from mlanim.trees.fit import build, check_model, fit, resolve_fitted
        from mlanim.trees.recording import trace_of

        dataset = data.load(spec.data, spec.seed, resolve)
        self.check(spec, dataset)
        check_model(spec.model, dataset)
        model_file = resolve_fitted(spec.model, resolve)
        fitted = self._read_fitted(model_file, dataset) if model_file else None

        def make(progress: Progress) -> Trace:
            model = fitted
            if model is None:
                with progress.task("fitting " + self._what(spec), total=1) as bar:
                    model = fit(build(spec.model, dataset.task, spec.seed), dataset)
                    bar.advance()
            return trace_of(model, dataset, progress)

        return self.recording_key(spec), make

    def _what(self, spec: Any) -> str:
        model = spec.model
        if model.type == "boosting":
            return f"{model.stages} boosting stages ({model.library})"
        return f"{model.trees} trees" if model.type == "forest" else "a decision tree"

    def _read_fitted(self, path: Path, dataset: Dataset) -> object:
        """The fitted model in ``path``, checked against the kind and the data."""
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        from mlanim.trees.ensemble import UnreadableModelError
        from mlanim.trees.fit import load_fitted
        from mlanim.trees.reading import family_of

        model = load_fitted(path)
        key = ("model", "fitted")
        try:  # the model is read once, when it is recorded; here only what it is
            family = family_of(model)
            check_is_fitted(model)
        except (UnreadableModelError, NotFittedError, TypeError) as error:
            raise SpecError(str(error).split("\n")[0], key_path=key,
                            hint="save a fitted tree model") from None
        if family not in self.families:
            raise SpecError(f"{path.name} holds a {family} model; {self.name} draws "
                            f"{' and '.join(self.families)} models", key_path=key,
                            hint="use tree_growth for trees and forests, boosting_stages "
                                 "for boosting")
        expected = getattr(model, "n_features_in_", dataset.n_features)
        if expected != dataset.n_features:
            raise SpecError(f"{path.name} was fitted on {expected} features and data: gives "
                            f"{dataset.n_features}", key_path=("data", "features"),
                            hint="give the data the features the model was fitted on")
        return model

    def check(self, spec: SceneSpec, dataset: Dataset) -> None:
        """The sample a picture follows must be a training row, and the plane's features
        the data's (a boosted regression of one feature is drawn as a curve instead)."""
        from mlanim.trees.plane import pick_features

        show = getattr(spec, "show", None)
        if "tree" in self.families or dataset.n_features > 1 or show.plane:
            pick_features(show.plane, dataset.feature_names)
        for name in ("sample", "probe"):
            index = getattr(show, name, None)
            if index is not None and index >= len(dataset.x_train):
                raise SpecError(f"show.{name} {index} is not a training row: there are "
                                f"{len(dataset.x_train)}", key_path=("show", name),
                                hint=f"use 0 to {len(dataset.x_train) - 1}")

    def check_trace(self, trace: Trace) -> None:
        """A recorded run must be a tree model of a family this kind draws."""
        family = trace.meta.get("trees", {}).get("family")
        if family is None:
            raise UsageError(f"{self.name} draws tree models, and this run recorded a "
                             "network", hint="record a fitted tree model with "
                                             "mlanim.trees.record(model, X, y)")
        if family not in self.families:
            other = "boosting_stages" if family == "boosting" else "tree_growth"
            raise UsageError(f"this run recorded a {family} model; {self.name} draws "
                             f"{' and '.join(self.families)} models",
                             hint=f"render it as {other}")

    def findings(self, spec: SceneSpec, trace: Trace) -> list[str]:
        """Nothing to warn about: a tree model does not diverge."""
        return []

    def describe(self, meta: dict) -> str:
        """The model and the data it was fitted on."""
        trees, data = meta.get("trees", {}), meta.get("dataset", {})
        return (f"{trees.get('estimator')} ({trees.get('library')}) on {data.get('name')}: "
                f"{data.get('n_train')} train, {data.get('n_val')} held out")
