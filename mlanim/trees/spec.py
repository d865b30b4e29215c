"""The spec sections tree kinds share: the data they split (raw values by default), and the
model to fit (a tree, a forest, a booster) or the fitted model file to read."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlanim.spec.sections import DataSpec, Section

MAX_DEPTH = 30
MAX_MEMBERS = 5_000
Criterion = Literal["gini", "entropy", "squared_error"]
Library = Literal["sklearn", "xgboost", "lightgbm"]


class TreeDataSpec(DataSpec):
    """The data to fit; trees split the raw feature values, so nothing is standardized unless
    asked."""

    standardize: bool = Field(False, description="trees split raw values; true: zero mean, "
                              "unit variance first")


class FittedFields(Section):
    """What every tree model section may say instead of fitting: a model already fitted."""

    fitted: str | None = Field(None, description="a model you fitted, saved with joblib or "
                               "pickle (relative to the spec file); its data comes from data:")
    allow_pickle: bool = Field(False, description="loading a joblib/pickle file runs code from "
                               "it: true says you trust the file")

    @model_validator(mode="after")
    def _pickle_allowed(self) -> FittedFields:
        if self.fitted and not self.allow_pickle:
            raise ValueError(f"model.fitted {self.fitted} is a joblib/pickle file, and loading "
                             "one runs code stored in it: add model.allow_pickle: true (or "
                             "--allow-pickle) if you trust the file")
        return self


class TreeModelSpec(FittedFields):
    """A decision tree, or a random forest of them, fitted by scikit-learn."""

    type: Literal["tree", "forest"] = Field("tree", description="one tree, or a forest")
    max_depth: int | None = Field(None, ge=1, le=MAX_DEPTH, description="default: 4 for a "
                                  "tree, 6 for a forest's trees")
    criterion: Criterion | None = Field(None, description="default: gini (classification), "
                                        "squared_error (regression)")
    min_samples_leaf: int = Field(1, ge=1, le=1_000_000, description="rows a leaf keeps at "
                                  "least")
    trees: int = Field(25, ge=1, le=MAX_MEMBERS, description="forest: how many trees")
    max_features: Literal["sqrt", "log2", "all"] = Field(
        "sqrt", description="forest: features each split may try")

    @property
    def depth(self) -> int:
        """The depth limit, with the type's default."""
        return self.max_depth or (4 if self.type == "tree" else 6)


class BoostingModelSpec(FittedFields):
    """Gradient boosting of small trees, by scikit-learn, xgboost or lightgbm."""

    type: Literal["boosting"] = "boosting"
    stages: int = Field(100, ge=1, le=MAX_MEMBERS, description="trees added one after another "
                        "(one a class a stage for more than two classes)")
    learning_rate: float = Field(0.1, gt=0, le=10, description="how much of each tree's output "
                                 "is added")
    max_depth: int = Field(2, ge=1, le=MAX_DEPTH, description="depth of each small tree")
    library: Library = Field("sklearn", description="xgboost and lightgbm need their package "
                             "(pip install 'mlanim[xgboost]' or 'mlanim[lightgbm]')")
