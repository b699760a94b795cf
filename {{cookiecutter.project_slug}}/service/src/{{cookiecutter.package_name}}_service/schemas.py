"""Service (ML Engineers): request and response models, derived from core's contract (one source of truth)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from {{ cookiecutter.package_name }}_core.contract import Features, Species


class PredictRequest(Features):
    """One record to score: exactly the contract's fields, types, ranges and categories; nothing more."""


class BatchRequest(BaseModel):
    """Several records scored in one call; the most allowed is a setting (MAX_BATCH_RECORDS)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    records: list[PredictRequest] = Field(min_length=1, description="The records, in the order to score them.")


def batch_request_model(max_records: int) -> type[BatchRequest]:
    """`BatchRequest` with this deployment's limit, so the OpenAPI schema states it (maxItems)."""
    return create_model(
        "BatchRequest",
        __base__=BatchRequest,
        __doc__=BatchRequest.__doc__,
        records=(
            list[PredictRequest],
            Field(min_length=1, max_length=max_records, description="The records, in the order to score them."),
        ),
    )


class Prediction(BaseModel):
    """The predicted class and the probability of every class (they sum to 1)."""

    prediction: Species
    probabilities: dict[Species, float]


class PredictResponse(Prediction):
    """A prediction and the version of the model that made it."""

    model_version: str = Field(description="12 hex characters of the ONNX file's SHA-256, as on the model card.")


class BatchResponse(BaseModel):
    """Predictions in the order of the records sent."""

    predictions: list[Prediction]
    model_version: str


class ErrorDetail(BaseModel):
    """What is wrong with one value: where it is and why it was refused."""

    field: str = Field(description="Dotted path of the value, e.g. `records.3.body_mass_g`; `body` for the body.")
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
    target: str
    classes: list[Species]
    metrics: dict[str, float]
    parity_max_abs_diff: float | None
    max_batch_records: int
    input_schema: dict[str, Any]
    example: PredictRequest = Field(description="A valid record: send it to /v1/predict as it is.")
