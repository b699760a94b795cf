"""Service (ML Engineers): Prometheus metrics (prometheus_client) — latency per route, errors, predictions, model.

A classifier's predictions are counted per class; a regressor's values are observed in
`model_predicted_value`, whose buckets split the target's range in the contract into equal steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from {{ cookiecutter.package_name }}_core.contract import NUMERIC_RANGES, TARGET, TARGET_CLASSES, TASK

from .tasks import Answer

# Routes are labelled by their template; anything else (scanners, typos) shares one label.
OTHER_ROUTE = "other"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
VALUE_STEPS = 20


def value_buckets() -> tuple[float, ...]:
    """Upper bounds splitting the target's range in the contract into VALUE_STEPS equal steps."""
    low, high = NUMERIC_RANGES[TARGET]
    if not (math.isfinite(low) and math.isfinite(high)):  # an open range: Prometheus's default buckets
        return tuple(Histogram.DEFAULT_BUCKETS)
    step = (high - low) / VALUE_STEPS
    return tuple(low + step * index for index in range(VALUE_STEPS + 1))


class ServiceMetrics:
    """One registry per app, so two apps in one process (tests) never collide."""

    def __init__(self, routes: Iterable[str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.routes = frozenset(routes)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from the request's first byte to the end of the response, per route.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "http_request_errors_total",
            "Responses with a 4xx or 5xx status, per route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        classes = TASK == "classification"
        self.predictions = Counter(
            "model_predictions_total",
            "Records scored, per predicted class." if classes else "Records scored.",
            ["class"] if classes else [],
            registry=self.registry,
        )
        self.values: Histogram | None = None
        if not classes:
            self.values = Histogram(
                "model_predicted_value",
                f"Predicted {TARGET}, per record scored.",
                buckets=value_buckets(),
                registry=self.registry,
            )
        self.batch_records = Histogram(
            "model_batch_records", "Records per batch request.", buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.coalesced = Histogram(
            "model_coalesced_records",
            "Single-record predictions scored together in one model call (micro-batching).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "model_info", "The model being served (value 1).", ["name", "version"], registry=self.registry
        )
        self.model_ready = Gauge("model_ready", "1 once the model is loaded.", registry=self.registry)
        # Resolving label children costs a lock and a dict lookup: do it once, not per request.
        self._class_counters = {name: self.predictions.labels(name) for name in TARGET_CLASSES}  # () for regression
        self._latency_children: dict[tuple[str, str], Histogram] = {}

    def route_label(self, path: str) -> str:
        return path if path in self.routes else OTHER_ROUTE

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method)
        histogram = self._latency_children.get(key)
        if histogram is None:
            histogram = self._latency_children[key] = self.latency.labels(route, method)
        histogram.observe(seconds)
        if status >= 400:
            self.errors.labels(route, str(status)).inc()

    def count_predictions(self, answers: Sequence[Answer]) -> None:
        if self.values is not None:
            for answer in answers:
                self.values.observe(answer["value"])
            self.predictions.inc(len(answers))
            return
        counts: dict[str, int] = {}
        for answer in answers:
            label = answer["prediction"]
            counts[label] = counts.get(label, 0) + 1
        for label, count in counts.items():
            counter = self._class_counters.get(label) or self.predictions.labels(label)
            counter.inc(count)

    def model_loaded(self, name: str, version: str) -> None:
        self.model_info.labels(name, version).set(1)
        self.model_ready.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
