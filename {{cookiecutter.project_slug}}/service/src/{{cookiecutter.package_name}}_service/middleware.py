"""Service (ML Engineers): one ASGI layer for request ids, body limits, latency metrics and access logs.

Written as plain ASGI (not BaseHTTPMiddleware) because it runs on every request and must cost
microseconds: the HTTP floor is what /healthz measures and /v1/predict should stay close to it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}_service.errors import error_body
from {{ cookiecutter.package_name }}_service.logs import request_id_var
from {{ cookiecutter.package_name }}_service.metrics import OTHER_ROUTE, ServiceMetrics

access_logger = logging.getLogger("{{ cookiecutter.package_name }}_service.access")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept only when it is short and plain, so it is safe to log and echo.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics, max_body_bytes: int, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id, content_length = self._read_headers(scope)
        token = request_id_var.set(request_id)
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500
        limit = self.max_body_bytes
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        async def receive_with_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"The body is larger than the limit of {limit} bytes.")
            return message

        try:
            if content_length is not None and content_length > limit:
                await self._refuse_too_large(send_with_id)
            else:
                await self.app(scope, receive_with_limit, send_with_id)
        finally:
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

    @staticmethod
    def _read_headers(scope: Scope) -> tuple[str, int | None]:
        request_id: str | None = None
        content_length: int | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.fullmatch(value):
                request_id = value.decode()
            elif name == b"content-length" and value.isdigit():
                content_length = int(value)
        return request_id or uuid.uuid4().hex, content_length

    async def _refuse_too_large(self, send: Send) -> None:
        body = error_body(413, f"The body is larger than the limit of {self.max_body_bytes} bytes.")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
