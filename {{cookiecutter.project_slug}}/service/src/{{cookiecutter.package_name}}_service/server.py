"""Service (ML Engineers): uvicorn, bounded and graceful — header deadline, ports, drain on SIGTERM.

uvicorn already bounds idle keep-alive connections (KEEP_ALIVE_SECONDS), open connections and
in-flight requests (MAX_CONCURRENCY, 503 beyond) and the wait for in-flight requests at shutdown
(GRACEFUL_SHUTDOWN_SECONDS). Two things it leaves open are added here:

- A deadline for the request line and headers. uvicorn waits for them without limit, so a
  client that connects and sends nothing, or one header byte at a time, holds a connection (and
  a file descriptor) forever. `BoundedHttpToolsProtocol` closes the connection when the headers
  have not arrived HEADER_TIMEOUT_SECONDS after the connection opened or the last response
  ended. (The body has its own deadline, BODY_TIMEOUT_SECONDS, in `middleware.py`.)
- A drain on SIGTERM. Kubernetes sends SIGTERM while the Service may still route new requests
  to the pod for a moment. `DrainingServer` first keeps serving for DRAIN_SECONDS with readiness
  503 and `Connection: close` on every response, then lets uvicorn stop accepting and finish
  what is in flight. SIGINT (Ctrl-C) stops at once, gracefully; a second signal forces the exit.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from {{ cookiecutter.package_name }}_service.settings import Settings
from {{ cookiecutter.package_name }}_service.state import DRAINING

logger = logging.getLogger(__name__)

APP = "{{ cookiecutter.package_name }}_service.app:create_app"
_TIMEOUT_BODY = (
    b'{"error":"request_timeout","message":"The request headers did not arrive in time.",'
    b'"detail":[],"error_count":0,"request_id":"-"}'
)
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    + f"content-length: {len(_TIMEOUT_BODY)}\r\n\r\n".encode()
    + _TIMEOUT_BODY
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request line and headers."""

    # Set by `serve`; a worker process started by uvicorn's supervisor reads it from the environment.
    header_timeout: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BoundedHttpToolsProtocol.header_timeout is None:
            BoundedHttpToolsProtocol.header_timeout = Settings().header_timeout_seconds
        self._timeout: float = BoundedHttpToolsProtocol.header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None
        self._awaiting_headers = True

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self._timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a client that connects and sends nothing is cut off too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers:
            self._arm()  # the next request's first bytes (the keep-alive timer stops here)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._awaiting_headers = True
        super().on_response_complete()  # arms uvicorn's keep-alive timer; ours starts with the next bytes

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or not self._awaiting_headers:
            return
        logger.info("request headers not received in time; connection closed", extra={"client": self.client})
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(REQUEST_TIMEOUT)
        self.transport.close()


class DrainingServer(uvicorn.Server):
    """uvicorn's server, draining for `drain_seconds` after SIGTERM before its graceful shutdown."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain_seconds > 0 and not DRAINING.is_set() and not self.should_exit:
            DRAINING.set()
            logger.info("SIGTERM: draining before shutdown", extra={"drain_seconds": self.drain_seconds})
            self._timer = threading.Timer(self.drain_seconds, super().handle_exit, args=(sig, frame))
            self._timer.daemon = True
            self._timer.start()
            return
        if self._timer is not None:
            self._timer.cancel()  # a second signal: stop draining, shut down now
        DRAINING.set()
        super().handle_exit(sig, frame)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def config_of(settings: Settings, app: str = APP) -> uvicorn.Config:
    BoundedHttpToolsProtocol.header_timeout = settings.header_timeout_seconds
    return uvicorn.Config(
        app,
        factory=True,
        host=settings.bind_host,
        port=settings.port,
        workers=settings.workers,
        http=BoundedHttpToolsProtocol,
        timeout_keep_alive=int(max(1, settings.keep_alive_seconds)),
        limit_concurrency=settings.max_concurrency,
        timeout_graceful_shutdown=int(max(1, settings.graceful_shutdown_seconds)),
        log_config=None,
        access_log=False,  # the app logs each request itself, as JSON with its request id
        server_header=False,
        proxy_headers=False,
    )


def serve(settings: Settings, app: str = APP) -> None:
    """Run the app (an import string of a factory) on PORT and METRICS_PORT, in WORKERS processes."""
    config = config_of(settings, app)
    sockets = [bind(settings.bind_host, settings.port)]
    if settings.metrics_port is not None:
        sockets.append(bind(settings.bind_host, settings.metrics_port))
    if settings.workers > 1:
        # uvicorn's supervisor runs its own server class in each worker: the header deadline
        # applies there too, the drain does not (prefer one worker per pod and more replicas).
        Multiprocess(config, sockets=sockets).run()
    else:
        DrainingServer(config, settings.drain_seconds).run(sockets=sockets)
