"""Core: the contract fingerprint follows what the model's inputs and outputs mean, not their prose."""

from __future__ import annotations

from pydantic import Field, create_model

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, NUMERIC_COLUMNS, TARGET, TARGET_CLASSES, Features
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint


def _bounded_number() -> tuple[type[Features], str]:
    """The contract's features and its first numeric column with a range; a contract without one (only categories,
    or open ranges) gains a synthetic bounded number, so the tests hold for every contract."""
    for column in NUMERIC_COLUMNS:
        if any(hasattr(meta, "ge") or hasattr(meta, "le") for meta in Features.model_fields[column].metadata):
            return Features, column
    synthetic = create_model(  # type: ignore[call-overload]
        "Synthetic", __base__=Features, synthetic_number=(float, Field(ge=0.0, le=1.0, description="A number."))
    )
    return synthetic, "synthetic_number"


def _with_numeric_field(**field_options: object) -> type[Features]:
    """The features with their bounded numeric column redefined (same name, type and default, other options)."""
    features, column = _bounded_number()
    field = features.model_fields[column]
    default = ... if field.is_required() else field.default
    return create_model(  # type: ignore[call-overload, no-any-return]
        "Changed", __base__=features, **{column: (field.annotation, Field(default, **field_options))}
    )


def test_the_fingerprint_is_a_stable_sha256() -> None:
    assert contract_fingerprint() == contract_fingerprint()
    assert len(contract_fingerprint()) == 64


def test_a_changed_range_target_or_class_list_changes_the_fingerprint() -> None:
    original = contract_fingerprint()
    features, _ = _bounded_number()
    assert contract_fingerprint(features=_with_numeric_field(ge=-1.0)) != contract_fingerprint(features=features)
    assert contract_fingerprint(target=f"{TARGET}_v2") != original
    assert contract_fingerprint(classes=[*TARGET_CLASSES, "unseen"]) != original
    assert FEATURE_COLUMNS  # the contract has columns to fingerprint


def test_a_reworded_description_keeps_the_fingerprint() -> None:
    features, column = _bounded_number()
    field = features.model_fields[column]
    bounds = {name: getattr(meta, name) for meta in field.metadata for name in ("ge", "le") if hasattr(meta, name)}
    assert bounds  # the column has a range, so the redefinition below keeps it
    assert contract_fingerprint(features=_with_numeric_field(**bounds, description="other words")) == (
        contract_fingerprint(features=features)
    )
