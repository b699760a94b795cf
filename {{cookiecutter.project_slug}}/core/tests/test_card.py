"""Core: the model card reads back what it wrote, and refuses a tampered model or card, naming the file and field."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}_core import (
    CARD_NAME,
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    MODEL_NAME,
    TARGET,
    TARGET_CLASSES,
    TASK,
    CardError,
    ModelCard,
    load_verified,
)
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

# Stand-in model bytes: the card vouches for bytes, whatever they hold.
MODEL_BYTES = b"an exported model"


@pytest.fixture
def model(valid_row: dict[str, Any], tmp_path: Path) -> Path:
    """MODEL_NAME and its card in a folder, as export writes them."""
    digest = hashlib.sha256(MODEL_BYTES).hexdigest()
    card = ModelCard(
        name="m",
        sha256=digest,
        version=digest[:12],
        contract=contract_fingerprint(),
        task=TASK,
        target=TARGET,
        estimator="Estimator",
        classes=list(TARGET_CLASSES),
        metrics={"score": 0.5},
        training_data={"sha256": "0" * 64, "rows": 10},
        input_schema={},
        inputs={column: "string" if column in CATEGORICAL_COLUMNS else "float" for column in FEATURE_COLUMNS},
        optional=[],
        missing_value={"float": "NaN", "string": ""},
        outputs={},
        example={column: valid_row[column] for column in FEATURE_COLUMNS},
        params={},
        parity={"max_abs_diff": 0.0},
    )
    (tmp_path / MODEL_NAME).write_bytes(MODEL_BYTES)
    card.write(tmp_path / CARD_NAME)
    return tmp_path / MODEL_NAME


def edit_card(model: Path, **changes: Any) -> None:
    """Change (or, given None, remove) fields of the card beside `model`."""
    path = model.with_name(CARD_NAME)
    card = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            card.pop(key)
        else:
            card[key] = value
    path.write_text(json.dumps(card))


def refusal(model: Path) -> CardError:
    with pytest.raises(CardError) as refused:
        load_verified(model)
    assert str(model.parent) not in str(refused.value)  # files are named, never their path
    return refused.value


def test_the_card_reads_back_what_was_written_and_vouches_for_its_model(model: Path) -> None:
    onnx_bytes, card = load_verified(model)
    assert onnx_bytes == MODEL_BYTES
    assert card == ModelCard.read(model.with_name(CARD_NAME))
    assert card.example_features().model_dump().keys() == set(FEATURE_COLUMNS)
    before = model.with_name(CARD_NAME).read_bytes()
    card.write(model.with_name(CARD_NAME))
    assert model.with_name(CARD_NAME).read_bytes() == before  # the same card, the same bytes


def test_a_changed_model_is_refused(model: Path) -> None:
    model.write_bytes(MODEL_BYTES + b"\0")
    error = refusal(model)
    assert (error.file, error.field) == (MODEL_NAME, "sha256")
    assert "does not match its card" in str(error)


def test_a_card_vouching_for_other_bytes_is_refused(model: Path) -> None:
    other = hashlib.sha256(b"another model").hexdigest()
    edit_card(model, sha256=other, version=other[:12])
    error = refusal(model)
    assert (error.file, error.field) == (MODEL_NAME, "sha256")
    assert other[:12] in str(error)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sha256": None}, "sha256"),
        ({"sha256": "not-a-hash"}, "sha256"),
        ({"version": "0" * 12}, "version"),
        ({"contract": None}, "contract"),
        ({"task": "clustering"}, "task"),
        ({"metrics": [1]}, "metrics"),
        ({"parity": {"max_abs_diff": "big"}}, "parity.max_abs_diff"),
        ({"classes": 3}, "classes"),
        ({"example": []}, "example"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=["no-hash", "bad-hash", "version", "no-contract", "task", "metrics", "parity", "classes", "example", "extra"],
)
def test_a_malformed_card_is_refused_naming_its_field(model: Path, changes: dict[str, Any], field: str) -> None:
    edit_card(model, **changes)
    error = refusal(model)
    assert (error.file, error.field) == (CARD_NAME, field)
    assert f"{CARD_NAME} is malformed" in str(error)


def test_a_card_that_is_not_json_is_refused(model: Path) -> None:
    model.with_name(CARD_NAME).write_text("{not json")
    error = refusal(model)
    assert error.file == CARD_NAME
    assert "malformed" in str(error)


@pytest.mark.parametrize("missing", [CARD_NAME, MODEL_NAME])
def test_a_missing_file_is_refused_by_name(model: Path, missing: str) -> None:
    model.with_name(missing).unlink()
    error = refusal(model)
    assert (error.file, error.field) == (missing, None)
    assert f"cannot read the model{' card' if missing == CARD_NAME else ''} {missing}" in str(error)


def test_an_example_that_breaks_the_contract_is_refused(model: Path) -> None:
    _, card = load_verified(model)
    column = FEATURE_COLUMNS[0]  # a list is no value of any field kind
    broken = card.model_copy(update={"example": {**card.example, column: [1]}})
    with pytest.raises(CardError) as refused:
        broken.example_features()
    assert (refused.value.file, refused.value.field) == (CARD_NAME, f"example.{column}")
