"""Service (ML Engineers): the one ASGI layer for what no library does here — limits, overload, bugs, metrics, access log.

Plain ASGI (not BaseHTTPMiddleware): it runs on every request and must cost microseconds. It sits
inside asgi-correlation-id's middleware, so every answer, its log lines and metrics carry the request id:
- more than MAX_CONCURRENCY requests in flight get 503 `overloaded`; the probes and /metrics never do;
- a body over MAX_BODY_BYTES (MAX_RECORD_BYTES on the single-record route) gets 413, one not arrived
  within BODY_TIMEOUT_SECONDS gets 408, and the connection is closed;
- with METRICS_PORT set, /metrics answers only on that port and nothing else does;
- a bug is logged once with its traceback and answered with the JSON 500; a client that hangs up is
  logged as a disconnect (499 in logs and metrics), not as an error;
- while the process drains after SIGTERM, every response says `Connection: close`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTimeout, BodyTooLarge, Overloaded, Refusal, error_body
from .logs import request_id_var
from .metrics import OTHER_ROUTE, ServiceMetrics
from .state import DRAINING

logger = logging.getLogger(f"{__package__}.errors")
access_logger = logging.getLogger(f"{__package__}.access")

METRICS_PATH = "/metrics"
# Never refused for overload: liveness and readiness must answer on a busy pod, and so must scrapes.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", METRICS_PATH})
CLIENT_CLOSED = 499  # nginx's code for "the client closed the connection before the answer"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CLOSE = (b"connection", b"close")


class ServiceMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        max_body_bytes: int,
        body_timeout_seconds: float,
        access_log: bool,
        max_in_flight: int,
        metrics_port: int | None = None,
        route_body_bytes: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout_seconds
        self.access_log = access_log
        self.max_in_flight = max_in_flight
        self.metrics_port = metrics_port
        self.route_body_bytes = dict(route_body_bytes or {})
        self.in_flight = 0  # requests being served, probes and /metrics excepted (one event loop: no lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        status = 500
        response_started = False
        limit = self.route_body_bytes.get(path, self.max_body_bytes)
        counted = path not in UNLIMITED_PATHS
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        received = 0

        async def send_tracked(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                if DRAINING.is_set():
                    message["headers"] = [*message.get("headers", ()), CLOSE]
            await send(message)

        async def receive_within_limits() -> Message:
            nonlocal received
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                logger.info("request body not received in time", extra={"seconds": self.body_timeout})
                raise BodyTimeout(self.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        if counted:
            self.in_flight += 1
        try:
            if counted and self.in_flight > self.max_in_flight:
                await self._refuse(send_tracked, Overloaded("Too many requests in flight; retry shortly."))
            elif not self._port_allows(scope):
                await self._answer(send_tracked, 404, error_body(404, "Not found."))
            elif _content_length(scope) > limit:
                await self._refuse(send_tracked, BodyTooLarge(limit))
            else:
                await self.app(scope, receive_within_limits, send_tracked)
        except Refusal as refusal:  # a limit hit outside a route (routes answer them through errors.py)
            if not response_started:
                await self._refuse(send_tracked, refusal)
        except ClientDisconnect:
            status = CLIENT_CLOSED
            logger.info("client disconnected before the response", extra={"path": path[:200]})
        except Exception:
            logger.exception("unhandled error", extra={"path": path[:200]})
            if response_started:
                raise  # too late for a clean answer: the server closes the connection
            await self._answer(send_tracked, 500, error_body(500, "Internal error; the request id is in the logs."))
        finally:
            if counted:
                self.in_flight -= 1
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        route = self.metrics.route_label(scope["path"])
        self.metrics.observe(route, method if route != OTHER_ROUTE else "ANY", status, elapsed)
        if self.access_log:
            access_logger.info(
                "request",
                extra={
                    "request_id": request_id_var.get(),
                    "method": scope["method"],
                    "path": scope["path"][:200],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )

    def _port_allows(self, scope: Scope) -> bool:
        """With a metrics port, /metrics lives there alone; without one, everything is on the main port."""
        if self.metrics_port is None:
            return True
        server = scope.get("server")
        on_metrics_port: bool = server is not None and server[1] == self.metrics_port
        return on_metrics_port is (scope["path"] == METRICS_PATH)

    async def _refuse(self, send: Send, refusal: Refusal) -> None:
        body = error_body(refusal.status, refusal.message, code=refusal.code)
        await self._answer(send, refusal.status, body, refusal.headers)

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
