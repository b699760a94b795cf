"""Service (ML Engineers): micro-batching scores concurrent single predictions together, and correctly."""

from __future__ import annotations

import asyncio
from typing import Any

from {{ cookiecutter.package_name }}_core import Features
from {{ cookiecutter.package_name }}_service.batching import MicroBatcher
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.tasks import Answer


def records_of(records: list[dict[str, Any]], count: int) -> list[Features]:
    return [Features.model_validate(record) for record in records[:count]]


def test_requests_arriving_together_share_one_model_call(onnx_model: OnnxModel, records: list[dict[str, Any]]) -> None:
    chosen = records_of(records, 10)
    flushes: list[int] = []

    async def score_all() -> list[Answer]:
        batcher = MicroBatcher(onnx_model, max_records=4, on_flush=flushes.append)
        return list(await asyncio.gather(*(batcher.submit(record) for record in chosen)))

    scored = asyncio.run(score_all())
    assert flushes == [4, 4, 2]
    chunks = [chosen[:4], chosen[4:8], chosen[8:]]
    assert scored == [answer for chunk in chunks for answer in onnx_model.predict(chunk)]  # the same calls


def test_a_lone_request_is_scored_on_the_next_loop_turn(onnx_model: OnnxModel, records: list[dict[str, Any]]) -> None:
    record = records_of(records, 1)

    async def score_one() -> Answer:
        batcher = MicroBatcher(onnx_model, max_records=64)
        return await asyncio.wait_for(batcher.submit(record[0]), timeout=1)

    assert asyncio.run(score_one()) == onnx_model.predict(record)[0]


def test_a_model_failure_reaches_every_waiting_request(onnx_model: OnnxModel, records: list[dict[str, Any]]) -> None:
    class Broken(OnnxModel):
        def __init__(self) -> None:
            self.card = onnx_model.card

        def predict(self, records: Any) -> Any:
            raise RuntimeError("boom")

    async def score_all() -> list[Any]:
        batcher = MicroBatcher(Broken(), max_records=8)
        futures = [batcher.submit(record) for record in records_of(records, 3)]
        return await asyncio.gather(*futures, return_exceptions=True)

    outcomes = asyncio.run(score_all())
    assert [str(outcome) for outcome in outcomes] == ["boom", "boom", "boom"]
