"""Core: the contract fingerprint follows what the model's inputs and outputs mean, not their prose."""

from __future__ import annotations

from pydantic import Field, create_model

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, NUMERIC_COLUMNS, TARGET, TARGET_CLASSES, Features
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint


def _with_numeric_field(**field_options: object) -> type[Features]:
    """The contract with its first numeric column redefined (same name, type and default, other options)."""
    column = NUMERIC_COLUMNS[0]
    field = Features.model_fields[column]
    default = ... if field.is_required() else field.default
    return create_model(  # type: ignore[call-overload, no-any-return]
        "Changed", __base__=Features, **{column: (field.annotation, Field(default, **field_options))}
    )


def test_the_fingerprint_is_a_stable_sha256() -> None:
    assert contract_fingerprint() == contract_fingerprint()
    assert len(contract_fingerprint()) == 64


def test_a_changed_range_target_or_class_list_changes_the_fingerprint() -> None:
    original = contract_fingerprint()
    assert contract_fingerprint(features=_with_numeric_field(ge=-1.0)) != original
    assert contract_fingerprint(target=f"{TARGET}_v2") != original
    assert contract_fingerprint(classes=[*TARGET_CLASSES, "unseen"]) != original
    assert FEATURE_COLUMNS  # the contract has columns to fingerprint


def test_a_reworded_description_keeps_the_fingerprint() -> None:
    field = Features.model_fields[NUMERIC_COLUMNS[0]]
    bounds = {name: getattr(meta, name) for meta in field.metadata for name in ("ge", "le") if hasattr(meta, name)}
    assert bounds  # the column has a range, so the redefinition below keeps it
    assert contract_fingerprint(features=_with_numeric_field(**bounds, description="other words")) == (
        contract_fingerprint()
    )
