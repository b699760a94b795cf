"""Core (Data Scientists + ML Engineers): feature code and the training recipe the pipeline runs.

Needs the `features` extra (scikit-learn, LightGBM); the service never imports this module: it runs
the exported ONNX graph, which contains these same transformations.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .contract import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, OPTIONAL_COLUMNS, TASK

# The estimator families the pipeline trains and exports to ONNX with parity (params.yaml `train.estimator`).
Estimator = Literal["linear", "random_forest", "hist_gradient_boosting", "lightgbm"]
ESTIMATORS: tuple[str, ...] = get_args(Estimator)
# Linear models need standardised inputs; trees split on raw values. Scaling in front of a tree would also
# cost ONNX parity: the graph scales in 32-bit floats, so a value next to a split can land on its other side.
SCALED: frozenset[str] = frozenset({"linear"})


def build_preprocessor(*, scale: bool = True) -> ColumnTransformer:
    """Impute the optional columns, scale the numeric columns (if `scale`), one-hot encode the categorical ones.

    Missing numbers become the training median, missing categories the most frequent one. Only the
    contract's OPTIONAL_COLUMNS are imputed: a gap anywhere else breaks the contract and never gets here.
    """
    transformers: list[tuple[str, Any, list[str]]] = []
    for optional in (False, True):
        numeric = [column for column in NUMERIC_COLUMNS if (column in OPTIONAL_COLUMNS) == optional]
        categorical = [column for column in CATEGORICAL_COLUMNS if (column in OPTIONAL_COLUMNS) == optional]
        suffix = "_optional" if optional else ""
        numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))] if optional else []
        if scale:
            numeric_steps.append(("scale", StandardScaler()))
        if numeric:
            transformers.append(
                (f"numeric{suffix}", Pipeline(numeric_steps) if numeric_steps else "passthrough", numeric)
            )
        if categorical:
            encode = OneHotEncoder(
                categories=[list(CATEGORICAL_COLUMNS[c]) for c in categorical], handle_unknown="ignore"
            )
            categorical_steps: list[tuple[str, Any]] = (
                [("impute", SimpleImputer(strategy="most_frequent"))] if optional else []
            )
            transformers.append(
                (f"categorical{suffix}", Pipeline([*categorical_steps, ("encode", encode)]), categorical)
            )
    # Always dense: with many categories the one-hot block is mostly zeros and scikit-learn would return a sparse
    # matrix, which HistGradientBoosting refuses (ggplot2's mpg does this). A tabular feature count fits densely.
    return ColumnTransformer(
        transformers=transformers, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
    )


def build_estimator(estimator: Estimator, *, seed: int, **hyperparameters: Any) -> BaseEstimator:
    """The classifier or regressor (by the contract's TASK) of one family, with its hyperparameters.

    `linear` takes `c` (inverse regularisation: LogisticRegression's C, Ridge's alpha = 1/c) and `max_iter`;
    the other families take their scikit-learn / LightGBM keyword arguments as they are.
    """
    classify = TASK == "classification"
    if estimator == "linear":
        from sklearn.linear_model import LogisticRegression, Ridge

        c, max_iter = hyperparameters.pop("c", 1.0), hyperparameters.pop("max_iter", 500)
        if classify:
            return LogisticRegression(C=c, max_iter=max_iter, random_state=seed, **hyperparameters)
        return Ridge(alpha=1.0 / c, max_iter=max_iter, random_state=seed, **hyperparameters)
    if estimator == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        forest = RandomForestClassifier if classify else RandomForestRegressor
        return forest(random_state=seed, **hyperparameters)
    if estimator == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        boosting = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return boosting(random_state=seed, **hyperparameters)
    if estimator == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        # Quiet (LightGBM logs every tree otherwise) and one thread, so the same data and parameters give the
        # same model, byte for byte (threads sum histograms in varying order); either can be overridden.
        gbm = LGBMClassifier if classify else LGBMRegressor
        return gbm(random_state=seed, **{"verbose": -1, "n_jobs": 1, **hyperparameters})
    raise ValueError(f"unknown estimator {estimator!r}; the supported ones are: {', '.join(ESTIMATORS)}")


def build_model(estimator: Estimator = "linear", *, seed: int = 0, **hyperparameters: Any) -> Pipeline:
    """The training recipe handed from research to the pipeline: features + an estimator of one family.

    The default, a linear model, keeps ONNX parity to float precision and predicts in microseconds;
    params.yaml `train.estimator` picks another family and `train.<family>` its hyperparameters.
    """
    return Pipeline(
        steps=[
            ("features", build_preprocessor(scale=estimator in SCALED)),
            ("estimator", build_estimator(estimator, seed=seed, **hyperparameters)),
        ]
    )
