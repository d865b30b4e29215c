"""Datasets: generated, bundled with scikit-learn, and local files, with clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from mlanim import data
from mlanim.errors import DataError
from mlanim.spec.sections import DataSpec


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spiral", "gaussians"])
def test_generated_sets_are_2d_classification(name):
    ds = data.load(DataSpec(name=name, n_samples=90), seed=0)
    assert ds.task == "classification" and ds.n_features == 2
    assert len(ds.x_train) + len(ds.x_val) == 90 or name == "spiral"


@pytest.mark.parametrize(("name", "task", "features"), [
    ("iris", "classification", 4), ("wine", "classification", 13),
    ("breast_cancer", "classification", 30), ("digits", "classification", 64),
    ("diabetes", "regression", 10),
])
def test_bundled_sets_load_offline(name, task, features):
    ds = data.load(DataSpec(name=name), seed=0)
    assert ds.task == task and ds.n_features == features


def test_regression_trains_on_standardised_targets_kept_in_their_units():
    ds = data.load(DataSpec(name="diabetes"), seed=0)
    assert abs(ds.y_train.mean()) < 1e-5 and ds.y_train.std() == pytest.approx(1, abs=1e-5)
    units = data.TargetUnits.of(ds.describe())
    original = np.sort(load_diabetes().target)
    recovered = np.sort(np.concatenate([units.value(ds.y_train), units.value(ds.y_val)]))
    np.testing.assert_allclose(recovered, original, atol=1e-3)
    raw = data.load(DataSpec(name="diabetes", standardize=False), seed=0)
    assert data.TargetUnits.of(raw.describe()) == data.TargetUnits()
    assert raw.y_train.max() > 100


def test_split_is_seeded_and_standardized_on_train():
    a = data.load(DataSpec(name="iris"), seed=1)
    b = data.load(DataSpec(name="iris"), seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0, atol=1e-5)
    assert len(a.x_val) == round(150 * 0.25)


def test_features_pick_columns_by_name():
    ds = data.load(DataSpec(name="iris", features=["petal length (cm)", "petal width (cm)"]), 0)
    assert ds.feature_names == ("petal length (cm)", "petal width (cm)")
    assert ds.class_names == ("setosa", "versicolor", "virginica")


def write_csv(tmp_path, text):
    path = tmp_path / "penguins.csv"
    path.write_text(text)
    return path


def test_csv_with_text_classes(tmp_path):
    rows = "\n".join(f"{i},{i % 7},{'a' if i % 2 else 'b'}" for i in range(20))
    path = write_csv(tmp_path, "bill,flipper,species\n" + rows)
    ds = data.load(DataSpec(name="csv", path=str(path), target="species"), 0)
    assert ds.task == "classification" and ds.class_names == ("a", "b")
    assert ds.feature_names == ("bill", "flipper")


def test_csv_numeric_target_with_many_values_is_regression(tmp_path):
    rows = "\n".join(f"{i},{i * 0.37}" for i in range(40))
    ds = data.load(DataSpec(name="csv", path=str(write_csv(tmp_path, "x,y\n" + rows)),
                            target="y"), 0)
    assert ds.task == "regression" and ds.n_outputs == 1


def test_csv_missing_target_column_lists_columns(tmp_path):
    path = write_csv(tmp_path, "a,b\n1,2\n3,4\n5,6\n")
    with pytest.raises(DataError, match="no column 'species'") as caught:
        data.load(DataSpec(name="csv", path=str(path), target="species"), 0)
    assert "columns are: a, b" in str(caught.value)


def test_csv_non_numeric_feature_names_row_and_column(tmp_path):
    path = write_csv(tmp_path, "a,b,y\n1,2,0\n3,oops,1\n5,6,0\n")
    with pytest.raises(DataError) as caught:
        data.load(DataSpec(name="csv", path=str(path), target="y"), 0)
    err = caught.value
    assert err.line == 3 and "column 'b' is not numeric" in str(err)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="data file not found"):
        data.load(DataSpec(name="npz", path=str(tmp_path / "mnist.npz")), 0)


def test_npz_images_are_flattened(tmp_path):
    path = tmp_path / "tiny.npz"
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.random((30, 4, 4)), y=np.arange(30) % 3)
    ds = data.load(DataSpec(name="npz", path=str(path)), 0)
    assert ds.n_features == 16 and ds.class_names == ("0", "1", "2")


HOLES = "a,b,label\n1,2,0\n,3,1\n4,NA,0\n6,7,1\n8,9,\n10,11,0\n"


def test_a_missing_cell_is_named_and_can_be_dropped_or_filled(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text(HOLES)
    with pytest.raises(DataError, match="column 'a' has a missing value") as refused:
        data.load(DataSpec(name="csv", path=str(path), target="label", test_fraction=0), 0)
    assert refused.value.line == 3 and "data.missing: drop" in refused.value.hint
    dropped = data.load(DataSpec(name="csv", path=str(path), target="label", missing="drop",
                                 test_fraction=0, standardize=False), 0)
    assert sorted(dropped.x_train[:, 0].tolist()) == [1.0, 6.0, 10.0]
    filled = data.load(DataSpec(name="csv", path=str(path), target="label", missing="mean",
                                test_fraction=0, standardize=False), 0)
    # the means of the rows kept (the one without a target is dropped)
    assert sorted(filled.x_train[:, 0].tolist()) == [1.0, 4.0, 5.25, 6.0, 10.0]
    assert sorted(filled.x_train[:, 1].tolist()) == [2.0, 3.0, 5.75, 7.0, 11.0]


def test_a_text_column_left_out_by_features_may_hold_anything(tmp_path):
    path = tmp_path / "named.csv"
    path.write_text("name,a,b,label\n" + "".join(f"row {i},{i},{i % 3},{i % 2}\n"
                                                 for i in range(20)))
    ds = data.load(DataSpec(name="csv", path=str(path), target="label", features=["a", "b"]), 0)
    assert ds.feature_names == ("a", "b")


def test_validate_runs_the_checks_render_runs_before_training(write_spec, tmp_path):
    from typer.testing import CliRunner

    from mlanim.cli import app

    (tmp_path / "iris.csv").write_text("petal,sepal,species\n" + "".join(
        f"{i},{i % 4},{'ab'[i % 2]}\n" for i in range(20)))
    misspelt = write_spec("scene: decision_boundary\ndata: {name: csv, path: iris.csv, "
                          "target: Species}\n", "a.yaml")
    missing = write_spec("scene: decision_boundary\ndata: {name: csv, path: gone.csv, "
                         "target: species}\n", "b.yaml")
    result = CliRunner().invoke(app, ["validate", str(misspelt)])
    assert result.exit_code == 2 and "did you mean 'species'?" in result.stderr
    result = CliRunner().invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2 and "data file not found:" in result.stderr
    assert "gone.csv" in result.stderr
