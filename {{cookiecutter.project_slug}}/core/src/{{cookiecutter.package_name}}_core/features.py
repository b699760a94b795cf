"""Core (Data Scientists + ML Engineers): feature code and the training recipe the pipeline runs.

Needs the `features` extra (scikit-learn); the service never imports this module: it runs
the exported ONNX graph, which contains these same transformations.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .contract import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS


def build_preprocessor() -> ColumnTransformer:
    """Scale the numeric columns; one-hot encode the categorical ones with the contract's categories."""
    categorical = list(CATEGORICAL_COLUMNS)
    return ColumnTransformer(
        transformers=[
            ("numeric", StandardScaler(), list(NUMERIC_COLUMNS)),
            (
                "categorical",
                OneHotEncoder(categories=[list(CATEGORICAL_COLUMNS[c]) for c in categorical], handle_unknown="ignore"),
                categorical,
            ),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def build_model(*, c: float = 1.0, max_iter: int = 500, seed: int = 0) -> Pipeline:
    """The training recipe handed from research to the pipeline: features + a logistic regression.

    A linear model keeps ONNX parity exact to float precision and predicts in microseconds;
    swap the estimator here (and its hyperparameters in params.yaml) to try another.
    """
    return Pipeline(
        steps=[
            ("features", build_preprocessor()),
            ("classifier", LogisticRegression(C=c, max_iter=max_iter, random_state=seed)),
        ]
    )
