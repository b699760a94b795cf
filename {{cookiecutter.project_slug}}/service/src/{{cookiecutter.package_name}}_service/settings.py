"""Service (ML Engineers): settings, read once from environment variables (pydantic-settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from {{ cookiecutter.package_name }}_core import CARD_NAME, CATEGORICAL_COLUMNS, FEATURE_COLUMNS

# JSON a number takes at most (`-1.2345678901234567e-308`), and a field's colon, comma and their spaces.
_NUMBER_CHARS = 24
_FIELD_SYNTAX = 4


def _record_bytes() -> int:
    """The most bytes one record of the contract takes as JSON: every field named, with its longest value, text
    escaped to ASCII (`\\u00e9`: never shorter than UTF-8). The body limits below scale with it, so a contract of
    many or long-named columns is not refused as too large."""
    longest = {
        name: max((len(json.dumps(value)) for value in values), default=0)
        for name, values in CATEGORICAL_COLUMNS.items()
    }
    fields = (len(json.dumps(name)) + _FIELD_SYNTAX + longest.get(name, _NUMBER_CHARS) for name in FEATURE_COLUMNS)
    return 2 + sum(fields)


RECORD_BYTES = _record_bytes()


def _default_body_bytes(data: dict[str, Any]) -> int:
    """1 MiB, or a full batch of the longest records when that is more."""
    return max(1_048_576, int(data.get("max_batch_records", 1000)) * RECORD_BYTES + 64)


class Settings(BaseSettings):
    """Everything an operator may change without touching code; each field is an env var of the same name."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    model_path: Path = Field(
        default=Path("models/champion/model.onnx"),
        description=f"The exported ONNX model; its card is the sibling file {CARD_NAME}.",
    )
    gate_record: Path | None = Field(
        default=None,
        description="The pipeline's last gate decision (`make serve` sets reports/registry.json), read only when "
        "there is no model: a model the gate refused is named as such on /readyz and in the log, with its numbers.",
    )
    max_batch_records: int = Field(default=1000, ge=1, le=100_000, description="Most records per batch.")
    max_body_bytes: int = Field(
        default_factory=_default_body_bytes,
        ge=1024,
        description="Larger request bodies get 413 before they are read (default: 1 MiB, or MAX_BATCH_RECORDS of "
        "the contract's longest records when that is more).",
    )
    max_record_bytes: int = Field(
        default=max(16_384, 4 * RECORD_BYTES),
        ge=256,
        description="Larger bodies on the single-record route get 413 (default: 16 KiB, or four of the contract's "
        "longest records when that is more).",
    )
    max_header_bytes: int = Field(
        default=65_536, ge=1024, description="A request line and headers larger than this get 431 and a close."
    )
    micro_batch_records: int = Field(
        default=64, ge=1, le=10_000, description="Most single predictions scored in one model call."
    )
    max_error_details: int = Field(
        default=20, ge=1, le=1000, description="Most errors listed in a reply; `error_count` gives the total."
    )
    offload_body_bytes: int = Field(
        default=0,
        ge=0,
        description="Batch bodies larger than this are validated and scored on a worker thread, off the event "
        "loop (0: every batch; 4 KB of empty records already mean 6,000 errors).",
    )
    onnx_threads: int = Field(
        default=1, ge=0, description="onnxruntime intra-op threads (0: one per core). Scale with replicas."
    )
    api_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated keys; when set, the prediction and model routes need "
        "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Unset: no authentication.",
    )
    api_keys_file: Path | None = Field(
        default=None,
        description="A file holding API_KEYS (e.g. a mounted Kubernetes Secret); read once at start-up.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="`console`: aligned lines for a person; `json`: one object per line for a log collector; "
        "`auto`: console when stderr is a terminal, else JSON (the image sets `json`).",
    )
    access_log: bool = Field(default=True, description="One JSON line per request, with its request id.")
    bind_host: str = Field(default="127.0.0.1", description="Interface uvicorn listens on (0.0.0.0 in a container).")
    port: int = Field(default=8000, ge=1, le=65535)
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="When set, /metrics answers only on this port and nothing else does (the image sets 9000).",
    )
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes (prefer more replicas).")
    # Bounded work per connection: a slow or silent client is cut off, not held.
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A request's headers must arrive within this long, or the connection closes."
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request's body must arrive within this long after its headers, or 408."
    )
    keep_alive_seconds: float = Field(default=5.0, gt=0, description="Idle keep-alive connections close after this.")
    max_concurrency: int = Field(
        default=1000,
        ge=1,
        description="Most requests in flight; beyond it requests get a JSON 503 (the probes and /metrics never do). "
        "Idle connections do not count: they are bounded by the header and keep-alive timeouts.",
    )
    # Graceful shutdown on SIGTERM: keep serving (readiness 503, `Connection: close`) while the
    # load balancer forgets the pod, then stop accepting and let in-flight requests finish.
    drain_seconds: float = Field(
        default=3.0, ge=0, description="After SIGTERM, seconds of serving (readiness 503) before the listener closes."
    )
    graceful_shutdown_seconds: float = Field(
        default=20.0, gt=0, description="Then at most this long for in-flight requests to finish."
    )

    def accepted_keys(self) -> frozenset[bytes]:
        """The API keys as bytes, from API_KEYS and API_KEYS_FILE (empty: authentication is off).

        Either one, when given, must hold at least one key: a key file that cannot be read, or
        an API_KEYS or key file that parses to no key (blank, whitespace, only commas), stops the
        start-up, so a deployment meant to require keys never serves without them.
        """
        keys: set[bytes] = set()
        if self.api_keys is not None:
            from_env = _split(self.api_keys.get_secret_value())
            if not from_env:
                raise ValueError("API_KEYS is set but holds no key")
            keys |= from_env
        if self.api_keys_file is not None:
            try:
                text = self.api_keys_file.read_text(encoding="utf-8")
            except OSError as error:
                raise ValueError(f"API_KEYS_FILE cannot be read: {error.strerror}") from None
            from_file = _split(text)
            if not from_file:
                raise ValueError("API_KEYS_FILE holds no key")
            keys |= from_file
        return frozenset(keys)


def _split(text: str) -> set[bytes]:
    """Keys separated by commas or any whitespace (newlines, tabs, CRLF); empty pieces are dropped."""
    return {key.encode() for key in text.replace(",", " ").split()}
