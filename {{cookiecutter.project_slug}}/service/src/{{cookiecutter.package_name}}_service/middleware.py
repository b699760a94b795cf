"""Service (ML Engineers): one ASGI layer for request ids, body limits and deadlines, errors, metrics, access logs.

Written as plain ASGI (not BaseHTTPMiddleware) because it runs on every request and must cost
microseconds: the HTTP floor is what /healthz measures and /v1/predict should stay close to it.

It is the outermost layer of the app, so it is where every request ends, whatever happened:
- the response, 500s included, carries `X-Request-ID`, and the access log line the same id;
- an unexpected exception is logged once (with its traceback and the request id) and answered
  with the JSON 500, instead of escaping to uvicorn (which would log it a second time);
- a client that hangs up mid-request is logged as a disconnect (status 499 in logs and metrics),
  not as a server error;
- more than MAX_CONCURRENCY requests in flight get a JSON 503 (`overloaded`, counted in the
  error metrics); the probes and /metrics are never refused, so a busy pod is not restarted;
- a body larger than MAX_BODY_BYTES (MAX_RECORD_BYTES on the single-record route) gets 413, and one that does not arrive within
  BODY_TIMEOUT_SECONDS gets 408 and the connection is closed (headers are bounded by the
  HTTP protocol class in `server.py`, before the app sees the request);
- with METRICS_PORT set, /metrics answers only on that port and nothing else does;
- while the process drains after SIGTERM, every response says `Connection: close`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body
from .logs import request_id_var
from .metrics import OTHER_ROUTE, ServiceMetrics
from .state import DRAINING

logger = logging.getLogger(f"{__package__}.errors")
access_logger = logging.getLogger(f"{__package__}.access")

REQUEST_ID_HEADER = b"x-request-id"
METRICS_PATH = "/metrics"
# Never refused for overload: liveness and readiness must answer on a busy pod, and so must scrapes.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", METRICS_PATH})
CLIENT_CLOSED = 499  # nginx's code for "the client closed the connection before the answer"
# A caller's id is kept only when it is short and plain, so it is safe to log and echo.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLOSE = (b"connection", b"close")


class BodyTooLarge(HTTPException):
    """The body grew past MAX_BODY_BYTES while it was read (a chunked body has no Content-Length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than the limit of {limit} bytes.", headers={"Connection": "close"})


class BodyTimeout(HTTPException):
    """The body did not arrive within BODY_TIMEOUT_SECONDS of the headers."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The body did not arrive within {seconds:g} s.", headers={"Connection": "close"})


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        max_body_bytes: int,
        body_timeout_seconds: float,
        access_log: bool,
        metrics_port: int | None = None,
        route_body_bytes: Mapping[str, int] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout_seconds
        self.access_log = access_log
        self.metrics_port = metrics_port
        self.route_body_bytes = dict(route_body_bytes or {})
        self.max_in_flight = max_in_flight
        self.in_flight = 0  # requests being served, probes and /metrics excepted (one event loop: no lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id, content_length = self._read_headers(scope)
        token = request_id_var.set(request_id)
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500
        response_started = False
        limit = self.route_body_bytes.get(scope["path"], self.max_body_bytes)
        counted = self.max_in_flight is not None and scope["path"] not in UNLIMITED_PATHS
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                extra = [id_header, _CLOSE] if DRAINING.is_set() else [id_header]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        async def receive_with_limits() -> Message:
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
            if counted and self.in_flight > (self.max_in_flight or 0):
                status = 503
                await self._refuse(
                    send_with_id,
                    503,
                    "Too many requests in flight; retry shortly.",
                    close=False,
                    code="overloaded",
                    retry_after=True,
                )
            elif not self._port_allows(scope):
                status = 404
                await self._refuse(send_with_id, 404, "Not found.", close=False)
            elif content_length is not None and content_length > limit:
                status = 413
                await self._refuse(send_with_id, 413, f"The body is larger than the limit of {limit} bytes.")
            else:
                await self.app(scope, receive_with_limits, send_with_id)
        except (BodyTooLarge, BodyTimeout) as refusal:  # raised outside a route (routes answer them themselves)
            if not response_started:
                await self._refuse(send_with_id, refusal.status_code, refusal.detail)
        except ClientDisconnect:
            status = CLIENT_CLOSED
            logger.info("client disconnected before the response", extra={"path": scope["path"][:200]})
        except Exception:
            logger.exception("unhandled error", extra={"path": scope["path"][:200]})
            if response_started:
                raise  # too late for a clean answer: uvicorn closes the connection
            await self._refuse(send_with_id, 500, "Internal error; the request id is in the logs.")
        finally:
            if counted:
                self.in_flight -= 1
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            route = self.metrics.route_label(scope["path"])
            self.metrics.observe(route, method if route != OTHER_ROUTE else "ANY", status, elapsed)
            if self.access_log:
                access_logger.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"][:200],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            request_id_var.reset(token)

    def _port_allows(self, scope: Scope) -> bool:
        """With a metrics port, /metrics lives there alone; without one, everything is on the main port."""
        if self.metrics_port is None:
            return True
        server = scope.get("server")
        on_metrics_port: bool = server is not None and server[1] == self.metrics_port
        return on_metrics_port is (scope["path"] == METRICS_PATH)

    @staticmethod
    def _read_headers(scope: Scope) -> tuple[str, int | None]:
        request_id: str | None = None
        content_length: int | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.fullmatch(value):
                request_id = value.decode()
            elif name == b"content-length" and value.isdigit():
                content_length = int(value)
        return request_id or os.urandom(16).hex(), content_length  # as random as uuid4, cheaper

    @staticmethod
    async def _refuse(
        send: Send, status: int, message: str, *, close: bool = True, code: str | None = None, retry_after: bool = False
    ) -> None:
        """Answer with the JSON error; `close` ends the connection (the rest of the body is never read)."""
        body = error_body(status, message, code=code)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if retry_after:
            headers.append((b"retry-after", b"1"))
        await send(
            {"type": "http.response.start", "status": status, "headers": [*headers, _CLOSE] if close else headers}
        )
        await send({"type": "http.response.body", "body": body})
