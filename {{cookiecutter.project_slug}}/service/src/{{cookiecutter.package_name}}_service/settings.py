"""Service (ML Engineers): settings, read once from environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may change without touching code; each field is an env var of the same name."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    model_path: Path = Field(
        default=Path("models/model.onnx"),
        description="The exported ONNX model; its card is the sibling file model_card.json.",
    )
    max_batch_records: int = Field(default=1000, ge=1, le=100_000, description="Most records per batch.")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies get 413 before they are read."
    )
    micro_batch_records: int = Field(
        default=64, ge=1, le=10_000, description="Most single predictions scored in one model call."
    )
    onnx_threads: int = Field(
        default=1, ge=0, description="onnxruntime intra-op threads (0: one per core). Scale with replicas."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = Field(default=True, description="One JSON line per request, with its request id.")
    bind_host: str = Field(default="127.0.0.1", description="Interface uvicorn listens on (0.0.0.0 in a container).")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes (prefer more replicas).")
