"""Core: the feature transformer encodes exactly the contract's columns."""

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    find_violations,
    iter_example_records,
)
from {{ cookiecutter.package_name }}_core.features import build_preprocessor


def test_the_preprocessor_outputs_one_column_per_number_and_category() -> None:
    import pandas as pd

    rows = [row for row in iter_example_records() if not find_violations(row)]
    frame = pd.DataFrame(rows)
    transformed = build_preprocessor().fit_transform(frame)
    expected = len(NUMERIC_COLUMNS) + sum(len(categories) for categories in CATEGORICAL_COLUMNS.values())
    assert transformed.shape == (len(rows), expected)
    # Standardised numeric columns are centred on zero.
    assert abs(float(transformed[:, 0].mean())) < 1e-9


def test_the_training_recipe_learns_the_example_data() -> None:
    import pandas as pd

    from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
    from {{ cookiecutter.package_name }}_core.features import build_model

    frame = pd.DataFrame([row for row in iter_example_records() if not find_violations(row)])
    model = build_model(c=1.0, seed=0).fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])
    assert model.score(frame[list(FEATURE_COLUMNS)], frame[TARGET]) > 0.95
