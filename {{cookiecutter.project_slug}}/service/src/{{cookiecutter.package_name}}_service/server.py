"""Service (ML Engineers): uvicorn, bounded and graceful — header deadline, ports, drain on SIGTERM.

uvicorn already bounds idle keep-alive connections (KEEP_ALIVE_SECONDS) and the wait for
in-flight requests at shutdown (GRACEFUL_SHUTDOWN_SECONDS). In-flight requests are bounded by
the app (MAX_CONCURRENCY, `middleware.py`): uvicorn's own limit counts open connections, so idle
sockets would make the probes answer 503. Three things uvicorn leaves open are added here:

- A deadline for the request line and headers. uvicorn waits for them without limit, so a
  client that connects and sends nothing, or one header byte at a time, holds a connection (and
  a file descriptor) forever. `BoundedHttpToolsProtocol` closes the connection when the headers
  have not arrived HEADER_TIMEOUT_SECONDS after the connection opened or the last response
  ended. (The body has its own deadline, BODY_TIMEOUT_SECONDS, in `middleware.py`.)
- A size bound for the request line and headers. httptools has none, so one request could send
  hundreds of megabytes of headers, all kept in memory; beyond MAX_HEADER_BYTES it gets 431 and
  the connection is closed.
- A drain on SIGTERM. Kubernetes sends SIGTERM while the Service may still route new requests
  to the pod for a moment. `DrainingServer` first keeps serving for DRAIN_SECONDS with readiness
  503 and `Connection: close` on every response, then lets uvicorn stop accepting and finish
  what is in flight. SIGINT (Ctrl-C) stops at once, gracefully; a second signal forces the exit.
- One Ctrl-C, one signal. A terminal sends SIGINT to its whole foreground process group, and
  `uv run` (under `make serve`) forwards its own copy to us too: one keypress arrives twice.
  uvicorn would take the second as "force the exit" and re-raise both after shutdown, where the
  second one interrupts the shutdown and logs a traceback. A repeat of the same signal within
  SAME_SIGNAL_SECONDS is therefore dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.supervisors import Multiprocess

from .errors import error_body
from .logs import configure_logging
from .settings import Settings
from .state import DRAINING

logger = logging.getLogger(__name__)

APP = f"{__package__}.app:create_app"
# A repeat of the same signal this soon is the same event delivered twice (see the docstring).
SAME_SIGNAL_SECONDS = 0.5


def refusal(status: int, phrase: str, code: str, message: str) -> tuple[bytes, str]:
    """A raw HTTP/1.1 error reply that closes the connection, with a new request id (header and body).

    Written to the socket directly: the request never reached the app, so nothing else answers.
    """
    request_id = os.urandom(16).hex()
    body = error_body(status, message, code=code, request_id=request_id)
    head = (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\nconnection: close\r\n"
        f"x-request-id: {request_id}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body, request_id


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request line and headers."""

    # Set by `serve`; a worker process started by uvicorn's supervisor reads it from the environment.
    header_timeout: float | None = None
    max_header_bytes: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BoundedHttpToolsProtocol.header_timeout is None:
            settings = Settings()
            BoundedHttpToolsProtocol.header_timeout = settings.header_timeout_seconds
            BoundedHttpToolsProtocol.max_header_bytes = settings.max_header_bytes
        self._timeout: float = BoundedHttpToolsProtocol.header_timeout
        self._max_header_bytes = BoundedHttpToolsProtocol.max_header_bytes or Settings().max_header_bytes
        self._header_bytes = 0  # bytes received since the current request began, while its headers are awaited
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
        awaiting = self._awaiting_headers
        if awaiting:
            self._arm()  # the next request's first bytes (the keep-alive timer stops here)
        super().data_received(data)
        # Counted after parsing, and only while the headers are still incomplete, so a body that
        # arrives in the same read as its headers is never counted as header bytes.
        if awaiting and self._awaiting_headers and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self._max_header_bytes:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    "headers_too_large",
                    f"The request line and headers exceed {self._max_header_bytes} bytes.",
                )

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._awaiting_headers = True
        super().on_response_complete()  # arms uvicorn's keep-alive timer; ours starts with the next bytes

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or not self._awaiting_headers:
            return
        self._refuse(408, "Request Timeout", "request_timeout", "The request headers did not arrive in time.")

    def _refuse(self, status: int, phrase: str, code: str, message: str) -> None:
        reply, request_id = refusal(status, phrase, code, message)
        logger.info(
            f"{message} Connection closed.", extra={"client": self.client, "request_id": request_id, "status": status}
        )
        # uvicorn types `cycle` as always set, but it is None until the first request's headers arrive.
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is None or cycle.response_complete:
            self.transport.write(reply)
        self.transport.close()


class DrainingServer(uvicorn.Server):
    """uvicorn's server, draining for `drain_seconds` after SIGTERM before its graceful shutdown."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._timer: threading.Timer | None = None
        self._last_signal: int | None = None
        self._last_signal_at = 0.0  # time.monotonic() when the last signal was taken

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if sig == self._last_signal and now - self._last_signal_at < SAME_SIGNAL_SECONDS:
            return  # the same event, delivered twice
        self._last_signal, self._last_signal_at = sig, now
        if sig == signal.SIGTERM and self.drain_seconds > 0 and not DRAINING.is_set() and not self.should_exit:
            DRAINING.set()
            # The handler runs in whatever context the main thread was in, maybe a request's:
            # log from an empty one, so the line carries no stale request id.
            contextvars.Context().run(
                logger.info, "SIGTERM: draining before shutdown", extra={"drain_seconds": self.drain_seconds}
            )
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
    BoundedHttpToolsProtocol.max_header_bytes = settings.max_header_bytes
    return uvicorn.Config(
        app,
        factory=True,
        host=settings.bind_host,
        port=settings.port,
        workers=settings.workers,
        http=BoundedHttpToolsProtocol,
        timeout_keep_alive=int(max(1, settings.keep_alive_seconds)),
        timeout_graceful_shutdown=int(max(1, settings.graceful_shutdown_seconds)),
        log_config=None,
        access_log=False,  # the app logs each request itself, as JSON with its request id
        server_header=False,
        proxy_headers=False,
    )


def serve(settings: Settings, app: str = APP) -> None:
    """Run the app (an import string of a factory) on PORT and METRICS_PORT, in WORKERS processes."""
    config = config_of(settings, app)
    if settings.workers == 1:
        config.load()  # builds the app now: a model the gate refused is named on the first line
    else:
        configure_logging(settings.log_level, settings.log_format)
    host = f"[{settings.bind_host}]" if ":" in settings.bind_host else settings.bind_host
    base = f"http://{host}:{settings.port}"
    logger.info(f"listening on {base}  docs: {base}/docs  model: {settings.model_path}")
    sockets = [bind(settings.bind_host, settings.port)]
    if settings.metrics_port is not None:
        sockets.append(bind(settings.bind_host, settings.metrics_port))
    if settings.workers > 1:
        # uvicorn's supervisor runs its own server class in each worker: the header deadline
        # applies there too, the drain does not (prefer one worker per pod and more replicas).
        Multiprocess(config, sockets=sockets).run()
    else:
        DrainingServer(config, settings.drain_seconds).run(sockets=sockets)
