"""Core (Data Scientists + ML Engineers): the data contract — columns, types, ranges, categories.

`Features` is the single source of truth. Pipeline validation, the feature code, the
service's request model and drift monitoring all read their column lists from it, so
training and serving cannot drift apart silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Island = Literal["Biscoe", "Dream", "Torgersen"]
Sex = Literal["female", "male"]
Species = Literal["Adelie", "Chinstrap", "Gentoo"]

# Ranges are wider than anything seen in the example data, narrow enough to catch unit
# mistakes (grams vs kilograms, centimetres vs millimetres).
BillLength = Annotated[float, Field(ge=25.0, le=70.0, description="Bill (culmen) length in millimetres.")]
BillDepth = Annotated[float, Field(ge=10.0, le=25.0, description="Bill (culmen) depth in millimetres.")]
FlipperLength = Annotated[float, Field(ge=150.0, le=250.0, description="Flipper length in millimetres.")]
BodyMass = Annotated[float, Field(ge=2000.0, le=7000.0, description="Body mass in grams.")]


class Features(BaseModel):
    """One penguin as the model sees it: what the pipeline validates and the service accepts."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    island: Island = Field(description="Island in the Palmer Archipelago where the bird was measured.")
    bill_length_mm: BillLength
    bill_depth_mm: BillDepth
    flipper_length_mm: FlipperLength
    body_mass_g: BodyMass
    sex: Sex = Field(description="Sex of the bird.")


class LabelledRecord(Features):
    """A training row: the features plus the label the model learns to predict."""

    species: Species = Field(description="Penguin species (the target).")


TARGET = "species"
TARGET_CLASSES: tuple[str, ...] = get_args(Species)
FEATURE_COLUMNS: tuple[str, ...] = tuple(Features.model_fields)
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    name: get_args(field.annotation)
    for name, field in Features.model_fields.items()
    if get_args(field.annotation) and all(isinstance(arg, str) for arg in get_args(field.annotation))
}
NUMERIC_COLUMNS: tuple[str, ...] = tuple(name for name in FEATURE_COLUMNS if name not in CATEGORICAL_COLUMNS)


@dataclass(frozen=True)
class Violation:
    """Why one value of one row breaks the contract."""

    column: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message} (rule {self.rule}, value {self.value!r})"


def _missing_to_none(value: Any) -> Any:
    """CSV readers give NaN for an empty cell; the contract calls that a missing value."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def find_violations(row: dict[str, Any], *, labelled: bool = True) -> list[Violation]:
    """Every contract violation in one row (empty when the row is valid).

    Columns that the contract does not name are ignored here (raw data may carry more);
    the service, which validates requests with `Features` directly, rejects them.
    """
    model = LabelledRecord if labelled else Features
    known = {name: _missing_to_none(row.get(name)) for name in model.model_fields}
    try:
        model.model_validate(known)
    except ValidationError as error:
        return [
            Violation(
                column=".".join(str(part) for part in issue["loc"]) or "<row>",
                rule="missing" if issue["input"] is None else issue["type"],
                value=issue["input"],
                message="missing value" if issue["input"] is None else issue["msg"],
            )
            for issue in error.errors(include_url=False)
        ]
    return []
