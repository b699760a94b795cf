"""Service (ML Engineers): micro-batching scores concurrent single predictions together, and correctly."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from {{ cookiecutter.package_name }}_core import Features
from {{ cookiecutter.package_name }}_service.batching import MicroBatcher, Scored
from {{ cookiecutter.package_name }}_service.model import OnnxModel


def records_of(trained: Any, count: int) -> list[Features]:
    rows = trained.test_frame.head(count).to_dict(orient="records")
    return [Features.model_validate({name: row[name] for name in Features.model_fields}) for row in rows]


def test_requests_arriving_together_share_one_model_call(onnx_model: OnnxModel, trained: Any) -> None:
    records = records_of(trained, 10)
    flushes: list[int] = []

    async def score_all() -> list[Scored]:
        batcher = MicroBatcher(onnx_model, max_records=4, on_flush=flushes.append)
        return list(await asyncio.gather(*(batcher.submit(record) for record in records)))

    scored = asyncio.run(score_all())
    assert flushes == [4, 4, 2]
    labels, probabilities = onnx_model.predict(records)
    assert [label for label, _ in scored] == labels
    assert np.allclose([row for _, row in scored], probabilities, atol=0, rtol=0)


def test_a_lone_request_is_scored_on_the_next_loop_turn(onnx_model: OnnxModel, trained: Any) -> None:
    async def score_one() -> Scored:
        batcher = MicroBatcher(onnx_model, max_records=64)
        return await asyncio.wait_for(batcher.submit(records_of(trained, 1)[0]), timeout=1)

    label, probabilities = asyncio.run(score_one())
    assert label in onnx_model.card.classes
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)


def test_a_model_failure_reaches_every_waiting_request(onnx_model: OnnxModel, trained: Any) -> None:
    class Broken(OnnxModel):
        def __init__(self) -> None:
            self.card = onnx_model.card

        def predict(self, records: Any) -> Any:
            raise RuntimeError("boom")

    async def score_all() -> list[Any]:
        batcher = MicroBatcher(Broken(), max_records=8)
        futures = [batcher.submit(record) for record in records_of(trained, 3)]
        return await asyncio.gather(*futures, return_exceptions=True)

    outcomes = asyncio.run(score_all())
    assert [str(outcome) for outcome in outcomes] == ["boom", "boom", "boom"]
