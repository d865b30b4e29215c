"""tree_growth and boosting_stages: what they draw equals what scikit-learn fitted, their
sentences follow their rules, a user's fitted model renders, and bad input exits 2."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn import ensemble, tree
from sklearn.datasets import load_diabetes, load_iris, make_moons
from typer.testing import CliRunner

import mlanim.trees
from mlanim.cli import app
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.scenes.boosting_stages.story import BoostingStory
from mlanim.scenes.tree_growth.sentences import TreeSentences
from mlanim.scenes.tree_growth.story import TreeStory
from mlanim.trace import load_trace
from mlanim.trees.ensemble import Ensemble
from mlanim.trees.reading import read
from mlanim.trees.recording import ensemble_of
from tests.conftest import video_frames

MOONS = make_moons(300, noise=0.3, random_state=0)


def video(spec) -> VideoSettings:
    return VideoSettings.from_spec(spec.render.model_copy(update={"quality": "low",
                                                                  "duration": 2}))


def tree_story(recorded, text: str) -> TreeStory:
    spec, trace = recorded(text)
    return TreeStory(spec, trace, video(spec), load_theme("dark"))


def caption(story: TreeStory, view: str, p: float) -> str:
    """What tree_growth's caption says of ``view`` at progress ``p``."""
    return TreeSentences(story).caption(view, p)


def boosting_story(recorded, text: str) -> BoostingStory:
    spec, trace = recorded(text)
    return BoostingStory(spec, trace, video(spec), load_theme("dark"))


# -- every number from the fitted estimator --------------------------------------------------
@pytest.mark.parametrize("model", [
    tree.DecisionTreeClassifier(max_depth=5, random_state=0),
    ensemble.RandomForestClassifier(12, max_depth=4, random_state=0),
    ensemble.GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0),
    ensemble.HistGradientBoostingClassifier(max_iter=20, max_depth=3, random_state=0),
], ids=lambda m: type(m).__name__)
def test_predictions_from_the_arrays_equal_the_estimators(model):
    x, y = load_iris(return_X_y=True)
    model.fit(x, y)
    read_back = Ensemble.from_arrays(read(model).meta(), read(model).arrays())
    assert np.abs(read_back.predict(x) - model.predict_proba(x)).max() < 1e-9
    if read_back.family == "boosting":
        assert np.abs(read_back.scores(x) - model.decision_function(x)).max() < 1e-9


def test_drawn_split_curve_peaks_at_sklearns_root_split(recorded):
    story = tree_story(recorded, "scene: tree_growth\ndata: {name: moons}\n"
                                 "model: {type: tree, max_depth: 3}\n")
    chosen = int(story.tree.feature[0])
    curve = story.root_curves[chosen]
    best_threshold, best_decrease = curve.best()
    assert best_threshold == pytest.approx(float(story.tree.threshold[0]), abs=1e-9)
    assert best_decrease == pytest.approx(story.root_decrease(), abs=1e-9)
    assert best_decrease >= max(c.decrease.max() for c in story.root_curves) - 1e-12
    assert "the most of any threshold" in caption(story, "split", 0.9)


def test_regions_equal_predict_proba_on_the_grid(recorded):
    story = tree_story(recorded, "scene: tree_growth\ndata: {name: iris}\n"
                                 "model: {type: tree, max_depth: 4}\nshow: {plane: [2, 3]}\n")
    fitted = tree.DecisionTreeClassifier(max_depth=4, random_state=0).fit(
        story.x_train, story.y_train.astype(int))
    res = story.plane.resolution
    expected = fitted.predict_proba(story.plane.rows).reshape(res, res, -1)
    assert np.abs(story.regions() - expected).max() < 1e-12
    assert "held at their median" in story.held_note  # the model used the other two


def test_forest_out_of_bag_error_equals_sklearns(tmp_path):
    x, y = MOONS
    forest = ensemble.RandomForestClassifier(30, max_depth=5, oob_score=True,
                                             random_state=3).fit(x, y)
    run = mlanim.trees.record(forest, x, y, path=tmp_path / "forest.mlanim")
    trace = load_trace(run.path)
    assert trace.static("forest/oob_error")[-1] == pytest.approx(1 - forest.oob_score_)
    counts = trace.static("forest/bootstrap")
    assert counts.shape[1] == len(x) and (counts.sum(axis=1) == len(x)).all()


def test_equation_terms_are_the_trees_outputs(recorded):
    story = boosting_story(recorded, "scene: boosting_stages\ndata: {name: moons}\n"
                                     "model: {stages: 12}\nshow: {probe: 4}\n")
    terms = story.terms(12)
    total = terms[0] + story.ensemble.learning_rate * np.sum(terms[1:], axis=0)
    assert total[0] == pytest.approx(story.row_scores[12][4][0], abs=1e-9)
    assert story.equation(12).endswith(f"= {story.row_scores[12][4][0]:.4g}")


def test_same_seed_same_trees(recorded):
    text = "scene: tree_growth\ndata: {name: moons}\nmodel: {type: forest, trees: 5}\n"
    first = recorded(text, "a.yaml")[1]
    second = recorded(text, "b.yaml")[1]
    assert np.array_equal(first.static("trees/threshold"), second.static("trees/threshold"))


# -- sentences from rules ----------------------------------------------------------------
def test_depth_caption_says_overfitting_only_when_held_out_error_rises(recorded):
    noisy = tree_story(recorded, "scene: tree_growth\ndata: {name: moons, noise: 0.45, "
                                 "n_samples: 400}\nmodel: {type: tree, max_depth: 14}\n")
    clean = tree_story(recorded, "scene: tree_growth\ndata: {name: moons, noise: 0.05}\n"
                                 "model: {type: tree, max_depth: 4}\n")
    assert noisy.depth_curve.overfits_from is not None
    said = caption(noisy, "depth", 1.0)
    assert "overfit" in said and "not" not in said
    assert clean.depth_curve.overfits_from is None
    said = caption(clean, "depth", 1.0)
    assert "does not overfit" in said or "ties" in said


# -- renders, and a user's own model -----------------------------------------------------
@pytest.mark.parametrize("text", [
    "scene: tree_growth\ndata: {name: moons}\nmodel: {type: tree, max_depth: 4}\n",
    "scene: boosting_stages\ndata: {name: diabetes, features: [bmi]}\nmodel: {stages: 20}\n",
], ids=["tree", "boosting_regression"])
def test_render_decodes_with_the_expected_frames(write_spec, tmp_path, text):
    spec = write_spec(text + "render: {quality: low, duration: 2, formats: [mp4]}\n")
    result = CliRunner().invoke(app, ["render", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    frames = video_frames(next((tmp_path / "o").glob("*.mp4")))
    assert len(frames) == 30 and frames[0].shape == (480, 854, 3)
    assert "layout:" not in result.output


def test_a_fitted_model_renders_from_the_python_api(tmp_path):
    x, y = MOONS
    booster = ensemble.GradientBoostingClassifier(n_estimators=15, random_state=0).fit(
        x[:200], y[:200])
    run = mlanim.trees.record(booster, x[:200], y[:200], x[200:], y[200:],
                              feature_names=["a", "b"], path=tmp_path / "b.mlanim")
    files = run.render("boosting_stages", duration=1, quality="low", formats=["mp4"],
                       out=tmp_path / "o")
    assert [f.suffix for f in files] == [".mp4"]
    with pytest.raises(mlanim.UserError, match="render it as boosting_stages"):
        run.render("tree_growth", duration=1, quality="low", formats=["mp4"])


def test_a_fitted_model_file_needs_allow_pickle(write_spec, tmp_path, render_fails):
    x, y = MOONS
    joblib.dump(tree.DecisionTreeClassifier(max_depth=3).fit(x, y), tmp_path / "m.joblib")
    spec = write_spec("scene: tree_growth\ndata: {name: moons}\nmodel: {fitted: m.joblib}\n")
    assert "allow_pickle" in render_fails(spec)
    allowed = write_spec("scene: tree_growth\ndata: {name: moons}\n"
                         "model: {fitted: m.joblib, allow_pickle: true}\n"
                         "render: {quality: low, duration: 1, formats: [png]}\n", "ok.yaml")
    result = CliRunner().invoke(app, ["render", str(allowed), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("yaml", "message"), [
    ("scene: tree_growth\ndata: {name: diabetes}\nmodel: {criterion: gini}\n",
     "cannot split a regression target"),
    ("scene: tree_growth\nmodel: {max_depth: 0}\n", "max_depth"),
    ("scene: tree_growth\nmodel: {max_depth: 31}\n", "max_depth"),
    ("scene: tree_growth\nmodel: {type: forest, trees: 5001}\n", "trees"),
    ("scene: boosting_stages\nmodel: {stages: 6000}\n", "stages"),
    ("scene: boosting_stages\nmodel: {learning_rate: 0}\n", "learning_rate"),
    ("scene: tree_growth\nshow: {sample: 100000}\n", "not a training row"),
    ("scene: tree_growth\nshow: {plane: [x1, nope]}\n", "not a feature"),
    ("scene: tree_growth\nmodel: {fitted: missing.joblib, allow_pickle: true}\n",
     "missing.joblib"),
    ("scene: tree_growth\nmodel: {fitted: junk.joblib, allow_pickle: true}\n",
     "cannot load the fitted model"),
])
def test_bad_input_exits_2(write_spec, tmp_path, render_fails, yaml, message):
    (tmp_path / "junk.joblib").write_bytes(b"not a pickle at all")
    assert message in render_fails(write_spec(yaml))


def test_a_missing_library_names_its_extra(write_spec, render_fails, monkeypatch):
    import mlanim.extras

    monkeypatch.setattr(mlanim.extras, "installed", lambda module: module != "xgboost")
    error = render_fails(write_spec("scene: boosting_stages\nmodel: {library: xgboost}\n"))
    assert "mlanim[xgboost]" in error


def test_a_network_run_is_refused_by_the_tree_kinds(tmp_path):
    from mlanim.trace import TraceWriter

    writer = TraceWriter(meta={"source": "watch"})
    writer.add("metrics/train_loss", 1.0, 0, 0.0)
    path = writer.freeze().save(tmp_path / "net.mlanim")
    with pytest.raises(mlanim.UserError, match="draws tree models"):
        mlanim.Run(path).render("tree_growth", duration=1)


def test_ensemble_of_a_trace_round_trips(recorded):
    _, trace = recorded("scene: boosting_stages\ndata: {name: iris}\nmodel: {stages: 5}\n")
    booster = ensemble_of(trace)
    assert booster.per_stage == 3 and len(booster.trees) == 15


def test_allow_pickle_flag_trusts_the_file(write_spec, tmp_path):
    x, y = MOONS
    joblib.dump(tree.DecisionTreeClassifier(max_depth=2).fit(x, y), tmp_path / "m.joblib")
    spec = write_spec("scene: tree_growth\ndata: {name: moons}\nmodel: {fitted: m.joblib}\n"
                      "render: {quality: low, duration: 1, formats: [png]}\n")
    result = CliRunner().invoke(app, ["render", str(spec), "--allow-pickle", "--out",
                                      str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


def rows_with(classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Moons (two classes), iris (three), or diabetes (0: a regression)."""
    if not classes:
        return load_diabetes(return_X_y=True)
    return load_iris(return_X_y=True) if classes == 3 else MOONS


@pytest.mark.parametrize("classes", [2, 3, 0], ids=["binary", "multiclass", "regression"])
def test_xgboost_stage_sums_equal_its_margins(classes):
    xgboost = pytest.importorskip("xgboost")
    x, y = rows_with(classes)
    model = (xgboost.XGBClassifier if classes else xgboost.XGBRegressor)(
        n_estimators=15, max_depth=2, learning_rate=0.1, n_jobs=1, random_state=0).fit(x, y)
    staged = read(model).counted(x).staged_scores(x)
    scale = 1.0 + np.abs(staged).max()
    for stage in (1, 7, 15):
        margin = model.predict(x, output_margin=True, iteration_range=(0, stage))
        # xgboost sums in float32: equal to its precision, relative to the scores' size
        assert np.abs(staged[stage] - np.reshape(margin, (len(x), -1))).max() < 1e-6 * scale


@pytest.mark.parametrize("classes", [2, 3, 0], ids=["binary", "multiclass", "regression"])
def test_lightgbm_stage_sums_equal_its_raw_scores(classes):
    lightgbm = pytest.importorskip("lightgbm")
    x, y = rows_with(classes)
    model = (lightgbm.LGBMClassifier if classes else lightgbm.LGBMRegressor)(
        n_estimators=15, max_depth=2, num_leaves=4, learning_rate=0.1, n_jobs=1,
        random_state=0, verbose=-1).fit(x, y)
    staged = read(model).staged_scores(x)
    for stage in (1, 7, 15):
        raw = model.predict(x, raw_score=True, num_iteration=stage)
        assert np.abs(staged[stage] - np.reshape(raw, (len(x), -1))).max() < 1e-9


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_boosting_from_either_library_renders(write_spec, tmp_path, library):
    pytest.importorskip(library)
    spec = write_spec(f"scene: boosting_stages\nmodel: {{stages: 10, library: {library}}}\n"
                      "render: {quality: low, duration: 1, formats: [png]}\n")
    result = CliRunner().invoke(app, ["render", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


def test_a_forest_too_big_for_memory_is_refused_before_fitting(write_spec, render_fails,
                                                               monkeypatch):
    from mlanim import models

    monkeypatch.setattr(models, "available_memory", lambda: 50_000_000)
    error = render_fails(write_spec("scene: tree_growth\ndata: {name: moons, n_samples: "
                                    "5000}\nmodel: {type: forest, trees: 5000, max_depth: 30}\n"))
    assert "nodes" in error and "free" in error


def test_a_recorded_forest_renders_as_tree_growth(tmp_path):
    x, y = load_iris(return_X_y=True)
    forest = ensemble.RandomForestClassifier(8, max_depth=3, random_state=0).fit(x, y)
    run = mlanim.trees.record(forest, x, y, feature_names=load_iris().feature_names,
                              path=tmp_path / "f.mlanim")
    files = run.render("tree_growth", duration=1, quality="low", formats=["png"],
                       out=tmp_path / "o")
    assert [f.suffix for f in files] == [".png"]


def test_a_tree_that_is_one_leaf_says_so_and_shows_no_growth(recorded):
    story = tree_story(recorded, "scene: tree_growth\ndata: {name: moons}\n"
                                 "model: {min_samples_leaf: 1000}\n")
    assert story.tree.max_depth == 0 and [s.view for s in story.segments] == ["split"]
    assert caption(story, "split", 0.9) == ("No split lowers the impurity here: the tree is a "
                                           "single leaf")


@pytest.mark.parametrize("text", [
    "scene: tree_growth\ndata: {name: iris}\nmodel: {type: tree, max_depth: 3}\n",
    "scene: boosting_stages\ndata: {name: moons}\nmodel: {stages: 8}\n",
], ids=["tree_growth", "boosting_stages"])
def test_the_manim_backend_draws_both_kinds(write_spec, tmp_path, text):
    spec = write_spec(text + "render: {quality: low, duration: 1, formats: [mp4], "
                             "backend: manim}\n")
    result = CliRunner().invoke(app, ["render", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    frames = video_frames(next((tmp_path / "o").glob("*.mp4")))
    assert len(frames) == 15 and np.ptp(frames[-1]) > 50


def test_a_boosted_leaf_says_what_it_adds(recorded):
    story = boosting_story(recorded, "scene: boosting_stages\ndata: {name: moons}\n"
                                     "model: {stages: 3, learning_rate: 0.5}\n")
    from mlanim.scenes.boosting_stages.picture import BoostingPicture

    diagram = BoostingPicture(story).diagrams[0][0]
    leaf = int(np.flatnonzero(diagram.tree.left < 0)[0])
    head, _, (tail,) = diagram.lines(leaf, split=False)
    assert head[0].startswith("→ ")
    assert tail == f"adds {0.5 * diagram.tree.value[leaf, 0]:+.3g}"
