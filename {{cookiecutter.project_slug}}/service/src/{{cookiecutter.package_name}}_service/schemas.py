"""Service (ML Engineers): request and response models, derived from core's contract (one source of truth).

The request is the contract's `Features`. The prediction follows the contract's `TASK` (the
answers themselves are made in `tasks.py`): a class and the probability of every class, or a
number. Those models are built here with `create_model` from the contract, so the OpenAPI
document names this dataset's classes and target.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from {{ cookiecutter.package_name }}_core.contract import (
    CATEGORICAL_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    TASK,
    Features,
    LabelledRecord,
)


def _middle(schema: dict[str, Any]) -> float:
    """The middle of a number's range in JSON Schema (either bound alone if only one is set, else 0)."""
    number: dict[str, Any] = next((part for part in schema.get("anyOf", [schema]) if part.get("type") != "null"), {})
    bounds = [number.get(f"{side}imum", number.get(f"exclusive{side.title()}imum")) for side in ("min", "max")]
    known = [float(bound) for bound in bounds if bound is not None]
    return sum(known) / len(known) if known else 0.0


def contract_example() -> dict[str, Any]:
    """A valid record made from the contract alone: each category's first value, each number mid-range."""
    properties = Features.model_json_schema()["properties"]
    return {
        name: CATEGORICAL_COLUMNS[name][0] if name in CATEGORICAL_COLUMNS else _middle(properties[name])
        for name in Features.model_fields
    }


class PredictRequest(Features):
    """One record to score: exactly the contract's fields, types, ranges and categories; nothing more.

    A field the contract marks optional may be null or left out: the model imputes it, as in training.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [contract_example()]})


class BatchRequest(BaseModel):
    """Several records scored in one call; the most allowed is a setting (MAX_BATCH_RECORDS)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    records: list[PredictRequest] = Field(min_length=1, description="The records, in the order to score them.")


def batch_request_model(max_records: int, request: type[PredictRequest] = PredictRequest) -> type[BatchRequest]:
    """`BatchRequest` of `request` records with this deployment's limit, so the OpenAPI schema states it (maxItems)."""
    return create_model(
        "BatchRequest",
        __base__=BatchRequest,
        __doc__=BatchRequest.__doc__,
        records=(
            list[request],  # type: ignore[valid-type]
            Field(min_length=1, max_length=max_records, description="The records, in the order to score them."),
        ),
    )


def _about_target() -> str:
    """The contract's own words on the target, if it has any."""
    described = LabelledRecord.model_fields[TARGET].description
    return f" `{TARGET}`: {described}" if described else ""


PREDICTIONS: dict[str, dict[str, Any]] = {
    "classification": {
        "__doc__": "The predicted class and the probability of every class (they sum to 1).",
        "prediction": (
            str,
            Field(
                description=f"The predicted `{TARGET}`: the most probable class.{_about_target()}",
                json_schema_extra={"enum": list(TARGET_CLASSES)},
            ),
        ),
        "probabilities": (
            dict[str, float],
            Field(
                description="The probability of every class the model knows, by class.",
                json_schema_extra={"propertyNames": {"enum": list(TARGET_CLASSES)}},
            ),
        ),
    },
    "regression": {
        "__doc__": "The predicted value of the target.",
        "value": (
            float,
            Field(description=f"The predicted `{TARGET}`, a number in the unit of the training data.{_about_target()}"),
        ),
    },
}
Prediction = create_model("Prediction", **PREDICTIONS[TASK])
PredictResponse = create_model(
    "PredictResponse",
    __base__=Prediction,
    __doc__="A prediction and the version of the model that made it.",
    model_version=(str, Field(description="12 hex characters of the ONNX file's SHA-256, as on the model card.")),
)
BatchResponse = create_model(
    "BatchResponse",
    __doc__="Predictions in the order of the records sent.",
    predictions=(list[Prediction], Field(description="One prediction per record, in the order of the records.")),
    model_version=(str, Field(description="12 hex characters of the ONNX file's SHA-256, as on the model card.")),
)


class ErrorDetail(BaseModel):
    """What is wrong with one value: where it is and why it was refused."""

    field: str = Field(description="Dotted path of the value, e.g. `records.3.<field>`; `body` for the body.")
    reason: str
    type: str = Field(description="Machine-readable error type, e.g. `less_than_equal`, `literal_error`.")


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: str = Field(description="Short error code, e.g. `invalid_record`, `body_too_large`.")
    message: str
    detail: list[ErrorDetail] = Field(
        default_factory=list, description="The first MAX_ERROR_DETAILS errors, in the order of the body."
    )
    error_count: int = Field(default=0, description="How many errors there are in all (`detail` may list fewer).")
    request_id: str


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "loading", "failed", "draining"]
    model_version: str | None = None
    reason: str | None = None


class ModelInfo(BaseModel):
    """The served model, from its card."""

    name: str
    version: str
    task: Literal["classification", "regression"]
    target: str
    classes: list[str] = Field(
        description="The classes, in the order of the model's probabilities; none for regression."
    )
    metrics: dict[str, float]
    parity_max_abs_diff: float | None
    max_batch_records: int
    input_schema: dict[str, Any]
    example: PredictRequest = Field(description="A valid record: send it to /v1/predict as it is.")
