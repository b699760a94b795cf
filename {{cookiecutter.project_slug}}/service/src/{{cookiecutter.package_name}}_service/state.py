"""Service (ML Engineers): the model's lifecycle — loading in the background, then ready or failed.

With no model because the pipeline's gate refused it, the state fails at once, before the server
starts: the first log line and `/readyz` say that the gate refused the model, with its numbers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from .batching import MicroBatcher
from .errors import ModelLoadError
from .metrics import ServiceMetrics
from .model import OnnxModel, gate_refusal
from .settings import Settings

logger = logging.getLogger(__name__)

# Set when the process was asked to stop (SIGTERM, server.py): readiness turns 503 and every
# response closes its connection, while requests are still served. One per process, like the signal.
DRAINING = threading.Event()


class ModelState:
    """Holds the one model of the process. `model` is None until loaded; `failure` says why it never was."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics, model: OnnxModel | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.model: OnnxModel | None = None
        self.batcher: MicroBatcher | None = None
        self.failure: str | None = None
        if model is not None:
            self._set(model)
        else:
            self._explain_absence()

    def _explain_absence(self) -> None:
        """Fail now, saying why, when there is no model because the gate refused it (`gate_refusal`)."""
        refusal = gate_refusal(self.settings.model_path, self.settings.gate_record)
        if refusal is None:
            return
        self.failure = refusal
        logger.error(
            f"no model to serve: {refusal}",
            extra={"model_path": str(self.settings.model_path), "gate_record": str(self.settings.gate_record)},
        )

    def _set(self, model: OnnxModel) -> None:
        self.batcher = MicroBatcher(
            model, max_records=self.settings.micro_batch_records, on_flush=self.metrics.coalesced.observe
        )
        self.model = model
        self.metrics.model_loaded(model.card.name, model.card.version)

    async def load(self) -> None:
        """Load once, off the event loop, so /healthz answers (and /readyz says 503) meanwhile."""
        if self.model is not None or self.failure is not None:  # loaded, or known not to exist (the gate)
            return
        path = self.settings.model_path
        started = time.perf_counter()
        try:
            model = await asyncio.to_thread(OnnxModel.load, path, threads=self.settings.onnx_threads)
        except ModelLoadError as error:
            self.failure = str(error)  # names files, never paths: clients read it on /readyz
            logger.error(
                f"model not loaded, /readyz stays 503: {error}", extra={"model_path": str(path), "reason": str(error)}
            )
            return
        except Exception as error:  # a bug or a case ModelLoadError misses: still "failed", never "loading" forever
            self.failure = f"the model could not be loaded: {type(error).__name__}"  # the type only: no path
            logger.exception("model not loaded; /readyz stays 503", extra={"model_path": str(path)})
            return
        self._set(model)
        logger.info(
            "model loaded",
            extra={
                "model_path": str(path),
                "model_name": model.card.name,
                "model_version": model.card.version,
                "load_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
