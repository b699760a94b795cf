"""Service (ML Engineers): micro-batching — single predictions that arrive together share one model call.

A model call costs about the same whatever its rows, so the records that reach the model in the same
event-loop turn are scored together on the next turn: no timer, so a lone request is not delayed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from {{ cookiecutter.package_name }}_core.contract import Features

from .model import OnnxModel
from .tasks import Answer


class MicroBatcher:
    """Queue records, flush them on the next loop turn as one `OnnxModel.predict` call."""

    def __init__(self, model: OnnxModel, *, max_records: int, on_flush: Callable[[int], None] | None = None) -> None:
        self._model = model
        self.card = model.card
        self._max_records = max_records
        self._on_flush = on_flush
        self._pending: list[tuple[Features, asyncio.Future[Answer]]] = []
        self._scheduled = False

    def submit(self, record: Features) -> asyncio.Future[Answer]:
        """The record's answer (`tasks.py`), once the batch it joined is scored."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._pending.append((record, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self._max_records):
            chunk = pending[start : start + self._max_records]
            if self._on_flush is not None:
                self._on_flush(len(chunk))
            try:
                answers = self._model.predict([record for record, _ in chunk])
            except Exception as error:  # every waiting request learns of it; none hangs
                for _, future in chunk:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), answer in zip(chunk, answers, strict=True):
                if not future.done():  # a client that went away has a cancelled future
                    future.set_result(answer)
