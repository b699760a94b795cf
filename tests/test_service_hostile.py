"""Generated tier: the baked service, run for real on loopback, holds up under hostile clients.

Each test reproduces one finding of a review against a live server and checks the safe outcome:
slow or silent clients are cut off within the configured timeouts, error floods get small
replies and do not starve liveness, a non-JSON body gets 415, a client that hangs up is a
disconnect (not a 500), a 500 carries its request id, API keys are enforced when configured,
/docs loads nothing from outside, metrics can live on their own port, and a SIGTERM under load
fails no request. Load goes to 127.0.0.1 only, bounded in requests and seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness import free_port, serve, stop
from service_project import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    TrainedProject,
    call,
    log_lines,
    stop_gracefully,
    trained_project,
)

pytestmark = [pytest.mark.generated, pytest.mark.xdist_group("service")]

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
SLACK = 1.5  # the server checks on its event loop; allow for a loaded machine
PROBE_TIMEOUT = 2.0  # the Deployment's livenessProbe.timeoutSeconds
API_KEY = "test-key-4f1c0e9a"
BOOM_ID = "trace-the-500"
BOOM_PREDICT_ID = "trace-the-predict-500"

# A test-only route that fails, and a scoring bug on the raw predict path for one request id,
# served by the real app and server: the only way to see a 500.
BOOM_APP = """
from {package}_service import batching, logs
from {package}_service.app import create_app as create_service_app

_submit = batching.MicroBatcher.submit


def submit(self, record):
    if logs.request_id_var.get() == "{boom_predict}":
        raise RuntimeError("a bug in scoring, for the test")
    return _submit(self, record)


batching.MicroBatcher.submit = submit


def create_app():
    app = create_service_app()

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a bug, for the test")

    return app
"""
LAUNCH = "from {package}_service.server import serve; from {package}_service.settings import Settings; serve(Settings(), app='boom_app:create_app')"


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    metrics_port: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def started(project: TrainedProject, folder: Path, **settings: str) -> Iterator[Server]:
    """The service as the image runs it (`python -m <package>_service` and its settings), plus /boom.

    Stopped with its process group when the block ends; a test that asserts the shutdown stops it inside.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boom_app.py").write_text(BOOM_APP.format(package=project.package, boom_predict=BOOM_PREDICT_ID))
    port = free_port()
    env = {
        **project.env,
        "PYTHONPATH": str(folder),
        "PORT": str(port),
        "MODEL_PATH": str(project.champion),
        "HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        **settings,
    }
    log = folder / "serve.log"
    base = f"http://127.0.0.1:{port}"
    command = [project.python, "-c", LAUNCH.format(package=project.package)]
    with serve(command, project.root, env, f"{base}/readyz", log=log, seconds=START_TIMEOUT) as process:
        metrics_port = int(settings["METRICS_PORT"]) if "METRICS_PORT" in settings else None
        yield Server(base=base, port=port, process=process, log=log, metrics_port=metrics_port)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> TrainedProject:
    return trained_project(tmp_path_factory)


@pytest.fixture(scope="module")
def server(project: TrainedProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with started(project, tmp_path_factory.mktemp("hostile")) as running:
        yield running
        stop_gracefully(
            running.process, running.log, signal.SIGINT, expected_errors=frozenset({BOOM_ID, BOOM_PREDICT_ID})
        )


@pytest.fixture(scope="module")
def example(server: Server) -> dict[str, Any]:
    return dict(call(server.base, "/v1/model").json()["example"])


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def read_until_closed(connection: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    connection.settimeout(limit)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        raise AssertionError(f"the server still held the connection after {limit:.1f}s") from None
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def open_files(pid: int) -> int:
    """Open descriptors of the server process (the launcher `python -c` is the server itself)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- slow clients ---------------------------------------------------------------------------


def test_a_client_that_connects_and_sends_nothing_is_cut_off(server: Server) -> None:
    with connect(server) as connection:
        _, waited = read_until_closed(connection, HEADER_TIMEOUT + SLACK)
    assert waited <= HEADER_TIMEOUT + SLACK


def test_partial_headers_are_cut_off_within_the_header_timeout(server: Server) -> None:
    with connect(server) as connection:
        connection.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        received, waited = read_until_closed(connection, HEADER_TIMEOUT + SLACK)
    assert waited <= HEADER_TIMEOUT + SLACK
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    head, _, body = received.partition(b"\r\n\r\n")
    request_id = re.search(rb"\r\nx-request-id: ([0-9a-f]{32})\r\n", head, re.IGNORECASE)
    assert request_id, head
    reply = json.loads(body)
    assert reply["error"] == "request_timeout"
    assert reply["request_id"] == request_id.group(1).decode()


def test_headers_larger_than_max_header_bytes_get_431_and_a_close(server: Server) -> None:
    """httptools keeps every header byte in memory and has no limit: one GET held 600 MB."""
    limit = 65_536  # MAX_HEADER_BYTES' default
    sent = 0
    received = b""
    with connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            while sent < 50 * limit:
                connection.sendall(b"X-Padding: " + b"a" * 8180 + b"\r\n")
                sent += 8193
                time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError):
            pass
        with contextlib.suppress(ConnectionResetError):
            received, _ = read_until_closed(connection, 5.0)
    assert sent < 4 * limit, sent  # cut off soon after the limit, not after megabytes
    assert received.startswith(b"HTTP/1.1 431"), received[:200]
    head, _, body = received.partition(b"\r\n\r\n")
    reply = json.loads(body)
    assert reply["error"] == "headers_too_large"
    assert f"x-request-id: {reply['request_id']}".encode() in head.lower()
    assert call(server.base, "/healthz").status == 200


def test_idle_connections_do_not_make_the_probes_fail(project: TrainedProject, tmp_path: Path) -> None:
    """uvicorn's limit_concurrency counted open connections: idle sockets made /healthz 503 (a restart)."""
    with started(project, tmp_path / "idle", MAX_CONCURRENCY="20", ACCESS_LOG="false") as server:
        connections = [connect(server) for _ in range(200)]  # idle: cut off after HEADER_TIMEOUT, not before
        try:
            time.sleep(0.3)
            health = call(server.base, "/healthz")
            model = call(server.base, "/v1/model")
            assert health.status == 200, health
            assert model.status == 200, model
        finally:
            for connection in connections:
                connection.close()
        stop_gracefully(server.process, server.log, signal.SIGINT)


def test_headers_trickled_a_byte_at_a_time_are_cut_off(server: Server) -> None:
    """A slowloris keeps sending, so an idle timer alone would never fire."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    started = time.monotonic()
    closed = False
    with connect(server) as connection:
        for byte in request:
            try:
                connection.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - started > HEADER_TIMEOUT + SLACK + 1:
                break
        if not closed:
            _, _ = read_until_closed(connection, 1.0)
    assert time.monotonic() - started <= HEADER_TIMEOUT + SLACK + 1


def test_a_body_that_stops_arriving_gets_408_within_the_body_timeout(server: Server) -> None:
    head = (
        b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    with connect(server) as connection:
        connection.sendall(head + b'{"a": 1, ')  # any record, cut off
        received, waited = read_until_closed(connection, BODY_TIMEOUT + SLACK)
    assert waited <= BODY_TIMEOUT + SLACK
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert json.loads(received.partition(b"\r\n\r\n")[2])["error"] == "request_timeout"


def test_hundreds_of_slow_connections_are_released(server: Server) -> None:
    before = open_files(server.pid)
    connections = []
    try:
        for _ in range(400):
            connection = connect(server)
            connection.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            connections.append(connection)
        time.sleep(0.5)
        assert open_files(server.pid) >= before + 300  # they are held, for now
        deadline = time.monotonic() + HEADER_TIMEOUT + SLACK + 2
        while open_files(server.pid) > before + 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert open_files(server.pid) <= before + 5, (before, open_files(server.pid))
    finally:
        for connection in connections:
            connection.close()
    assert call(server.base, "/healthz").status == 200


# --- error amplification and liveness -------------------------------------------------------

EMPTY_RECORDS = json.dumps({"records": [{}] * 1000}).encode()


def test_a_batch_of_empty_records_gets_a_small_reply(server: Server) -> None:
    required = call(server.base, "/v1/model").json()["input_schema"]["required"]
    answer = call(server.base, "/v1/predict/batch", EMPTY_RECORDS)
    assert answer.status == 422
    assert len(answer.body) < 64 * 1024, len(answer.body)
    reply = answer.json()
    assert reply["error_count"] == len(required) * 1000  # every required field missing in every record
    assert {item["type"] for item in reply["detail"]} == {"missing"}
    assert len(reply["detail"]) < reply["error_count"]


def raw_request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


@dataclass
class Flood:
    answered: list[int] = field(default_factory=list)  # statuses of the flood's requests
    cut_off: int = 0  # requests the server closed on before reading them whole (e.g. 413 then close)


def flood_and_probe(
    server: Server, request: bytes, seconds: float = 6.0, connections: int = 32
) -> tuple[Flood, list[float]]:
    """`connections` clients send `request` back to back for `seconds`; meanwhile /healthz is probed
    as the kubelet does. Returns what the flood got and how long each probe took."""
    stop_at = time.monotonic() + seconds
    flood = Flood()
    lock = threading.Lock()

    def client() -> None:
        connection: socket.socket | None = None
        while time.monotonic() < stop_at:
            try:
                if connection is None:
                    connection = connect(server)
                    reader = connection.makefile("rb")
                connection.sendall(request)
                status_line = reader.readline()
                length, close = 0, False
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                    close |= name.strip().lower() == "connection" and value.strip().lower() == "close"
                reader.read(length)
                with lock:
                    flood.answered.append(int(status_line.split()[1]))
            except (OSError, IndexError):
                with lock:
                    flood.cut_off += 1
                close = True
            if close and connection is not None:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    probes: list[float] = []
    with ThreadPoolExecutor(max_workers=connections) as pool:
        clients = [pool.submit(client) for _ in range(connections)]
        time.sleep(1.0)
        while time.monotonic() < stop_at - 0.5:
            started = time.monotonic()
            assert call(server.base, "/healthz").status == 200
            probes.append(time.monotonic() - started)
            time.sleep(0.3)
        for future in clients:
            future.result()
    return flood, probes


def test_liveness_answers_within_its_probe_timeout_during_an_error_flood(server: Server) -> None:
    flood, probes = flood_and_probe(server, raw_request("/v1/predict/batch", EMPTY_RECORDS))
    assert len(flood.answered) > 32, flood  # the flood was real
    assert set(flood.answered) == {422}, flood
    assert probes
    assert max(probes) < PROBE_TIMEOUT, probes


def unknown_keys(size: int) -> bytes:
    """One JSON object of unknown keys, about `size` bytes: the reviewer's ~92k keys in 1 MB."""
    keys = (f'"k{index}":0' for index in range(size // 8))
    return b"{" + ",".join(keys).encode()[:size].rpartition(b",")[0] + b"}"


def test_liveness_holds_while_single_records_of_a_megabyte_of_unknown_keys_flood_in(server: Server) -> None:
    """Unbounded, pydantic spent ~0.6 s of CPU on each on the event loop: /healthz timed out."""
    flood, probes = flood_and_probe(server, raw_request("/v1/predict", unknown_keys(1_000_000)))
    assert len(flood.answered) + flood.cut_off > 32, flood
    assert max(probes) < PROBE_TIMEOUT, probes
    assert set(flood.answered) <= {413}, flood  # refused by size before a byte is parsed


def test_liveness_holds_while_batches_of_a_record_of_unknown_keys_flood_in(server: Server) -> None:
    """The same keys inside a batch record: a worker thread does not help (pydantic holds the GIL),
    so the record is refused by its key count before pydantic sees it."""
    body = b'{"records": [' + unknown_keys(1_000_000 - 100) + b"]}"
    flood, probes = flood_and_probe(server, raw_request("/v1/predict/batch", body))
    assert len(flood.answered) > 32, flood
    assert max(probes) < PROBE_TIMEOUT, probes
    assert set(flood.answered) == {422}, flood
    answer = call(server.base, "/v1/predict/batch", body)
    reply = answer.json()
    assert [item["type"] for item in reply["detail"]] == ["too_many_keys"], reply
    assert len(answer.body) < 4096


# --- content types, methods, disconnects, request ids --------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_gets_415(server: Server, example: dict[str, Any], content_type: str) -> None:
    answer = call(server.base, "/v1/predict", json.dumps(example).encode(), {"Content-Type": content_type})
    assert answer.status == 415
    assert answer.json()["error"] == "unsupported_media_type"


def test_health_routes_answer_head(server: Server) -> None:
    assert call(server.base, "/healthz", method="HEAD").status == 200
    assert call(server.base, "/readyz", method="HEAD").status == 200


def test_a_client_that_hangs_up_mid_body_is_logged_as_a_disconnect_not_a_500(server: Server) -> None:
    head = b"POST /v1/predict/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    with connect(server) as connection:
        connection.sendall(head + b"Content-Length: 5000\r\n\r\n" + b'{"records": [')
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if any("disconnected" in line["message"] for line in log_lines(server.log)):
            break
        time.sleep(0.1)
    lines = log_lines(server.log)
    assert any("disconnected" in line["message"] for line in lines), server.log.read_text()[-2000:]
    assert not [line for line in lines if line["level"] in {"error", "critical"}]
    metrics = call(server.base, "/metrics").body.decode()
    assert 'status="500"' not in metrics


def test_a_500_carries_the_request_id_in_header_body_and_log(server: Server) -> None:
    answer = call(server.base, "/boom", headers={"X-Request-ID": BOOM_ID})
    assert answer.status == 500
    assert answer.headers["x-request-id"] == BOOM_ID
    assert answer.json()["request_id"] == BOOM_ID
    time.sleep(0.2)
    errors = [line for line in log_lines(server.log) if line["level"] == "error" and line["request_id"] == BOOM_ID]
    assert len(errors) == 1  # logged once (not again by uvicorn), with its id
    assert "a bug, for the test" in errors[0]["exception"]


def test_a_500_on_the_raw_predict_path_carries_the_request_id(server: Server, example: dict[str, Any]) -> None:
    """The prediction routes answer themselves (RawRoute): a bug while scoring is still a JSON 500 with the id."""
    answer = call(server.base, "/v1/predict", json.dumps(example).encode(), {"X-Request-ID": BOOM_PREDICT_ID})
    assert answer.status == 500
    assert answer.headers["x-request-id"] == BOOM_PREDICT_ID
    assert answer.json() == {
        "error": "internal_error",
        "message": "Internal error; the request id is in the logs.",
        "detail": [],
        "error_count": 0,
        "request_id": BOOM_PREDICT_ID,
    }
    time.sleep(0.2)
    errors = [line for line in log_lines(server.log) if line["level"] == "error"]
    mine = [line for line in errors if line["request_id"] == BOOM_PREDICT_ID]
    assert len(mine) == 1, errors
    assert "a bug in scoring, for the test" in mine[0]["exception"]
    assert not [line for line in errors if line["request_id"] == "-"]  # nothing logged without its id
    assert call(server.base, "/v1/predict", json.dumps(example).encode()).status == 200  # the next one is served


# --- offline docs ---------------------------------------------------------------------------


def test_the_docs_page_works_offline(server: Server) -> None:
    page = call(server.base, "/docs")
    assert page.status == 200
    html = page.body.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assets = set(re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)) | set(re.findall(r"url: '([^']+)'", html))
    assert "/openapi.json" in assets
    for asset in assets:
        answer = call(server.base, asset)
        assert answer.status == 200, asset
        assert answer.body, asset
    assert b"SwaggerUIBundle" in call(server.base, next(a for a in assets if a.endswith("bundle.js"))).body


# --- access control -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(project: TrainedProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Keys from a file, as the staging and prod overlays mount the Secret service-api-keys."""
    folder = tmp_path_factory.mktemp("secured")
    (folder / "API_KEYS").write_text(f"{API_KEY},next-key\n")
    metrics_port = free_port()
    settings = {"API_KEYS_FILE": str(folder / "API_KEYS"), "METRICS_PORT": str(metrics_port)}
    with started(project, folder, **settings) as running:
        yield running
        stop_gracefully(running.process, running.log, signal.SIGINT)


def test_with_api_keys_set_predictions_need_a_key(secured: Server) -> None:
    assert call(secured.base, "/v1/model").status == 401
    example = call(secured.base, "/v1/model", headers={"X-API-Key": API_KEY}).json()["example"]
    body = json.dumps(example).encode()
    refused = call(secured.base, "/v1/predict", body)
    assert refused.status == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert call(secured.base, "/v1/predict", body, {"Authorization": "Bearer wrong"}).status == 401
    assert call(secured.base, "/v1/predict", body, {"Authorization": f"Bearer {API_KEY}"}).status == 200
    assert call(secured.base, "/v1/predict", body, {"X-API-Key": "next-key"}).status == 200
    assert call(secured.base, "/healthz").status == 200  # probes need no key


def test_with_a_metrics_port_metrics_are_served_there_alone(secured: Server) -> None:
    assert call(secured.base, "/metrics").status == 404
    metrics = call(f"http://127.0.0.1:{secured.metrics_port}", "/metrics")
    assert metrics.status == 200
    assert b"http_request_duration_seconds" in metrics.body
    assert call(f"http://127.0.0.1:{secured.metrics_port}", "/v1/model", headers={"X-API-Key": API_KEY}).status == 404


# --- graceful shutdown ----------------------------------------------------------------------


@dataclass
class LoadResult:
    ok: int = 0
    ok_after_sigterm: int = 0
    failures: list[str] = field(default_factory=list)
    refused: int = 0


def test_sigterm_under_load_fails_no_request(project: TrainedProject, tmp_path: Path) -> None:
    """16 keep-alive clients behind a "load balancer" that stops opening connections once
    readiness says draining (as Kubernetes removes the pod's endpoint); SIGTERM mid-load."""
    with started(project, tmp_path / "graceful", DRAIN_SECONDS="2", ACCESS_LOG="false") as server:
        example = call(server.base, "/v1/model").json()["example"]
        body = json.dumps(example).encode()
        request = (
            b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        result = LoadResult()
        lock = threading.Lock()
        in_rotation = threading.Event()
        in_rotation.set()
        sigterm_at: list[float] = []
        stop_at = time.monotonic() + 20

        def balancer() -> None:
            """Poll readiness like a load balancer's health check; take the pod out when it says 503."""
            while time.monotonic() < stop_at and in_rotation.is_set():
                try:
                    if call(server.base, "/readyz").status != 200:
                        in_rotation.clear()
                except OSError:
                    in_rotation.clear()
                time.sleep(0.1)

        def client() -> None:
            connection: socket.socket | None = None
            reader = None
            while time.monotonic() < stop_at:
                if connection is None:
                    if not in_rotation.is_set():
                        return  # the balancer sends no new connection to a draining pod
                    try:
                        connection = connect(server)
                    except ConnectionRefusedError:
                        with lock:
                            result.refused += 1
                        return
                    reader = connection.makefile("rb")
                assert reader is not None
                try:
                    connection.sendall(request)
                    status_line = reader.readline()
                    headers = {}
                    while (line := reader.readline()) not in (b"\r\n", b""):
                        name, _, value = line.decode().partition(":")
                        headers[name.strip().lower()] = value.strip()
                    payload = reader.read(int(headers.get("content-length", "0")))
                    if b" 200 " not in status_line or not payload:
                        raise AssertionError(f"answer {status_line!r}")
                except (OSError, AssertionError, ValueError) as error:
                    with lock:
                        result.failures.append(repr(error))
                    return
                with lock:
                    result.ok += 1
                    if sigterm_at:
                        result.ok_after_sigterm += 1
                if headers.get("connection", "").lower() == "close":
                    connection.close()
                    connection = None

        with ThreadPoolExecutor(max_workers=17) as pool:
            futures = [pool.submit(client) for _ in range(16)] + [pool.submit(balancer)]
            time.sleep(2.0)
            sigterm_at.append(time.monotonic())
            os.killpg(server.pid, signal.SIGTERM)
            for future in futures:
                future.result()
        stop(server.process, None, grace=STOP_TIMEOUT, must_stop=True)  # signalled above: waits out the drain
    assert not result.failures, result.failures[:5]
    assert result.ok > 100, result
    assert result.ok_after_sigterm > 0, result  # served while draining
    lines = log_lines(server.log)
    assert "Finished server process" in " | ".join(line["message"] for line in lines)
    assert not [line for line in lines if line["level"] in {"error", "critical"}]


def test_a_request_in_flight_when_the_listener_closes_is_answered(project: TrainedProject, tmp_path: Path) -> None:
    """A slow upload that straddles the close: it began during the drain, its body ends after the
    listener closed (no new connection is accepted then), and it still gets its answer."""
    drain = 1.0
    with started(project, tmp_path / "straddle", DRAIN_SECONDS=str(drain), ACCESS_LOG="false") as server:
        example = call(server.base, "/v1/model").json()["example"]
        body = json.dumps(example).encode()
        half = len(body) // 2
        with connect(server) as connection:
            connection.sendall(raw_request("/v1/predict", body)[: -len(body) + half])  # headers and half the body
            os.killpg(server.pid, signal.SIGTERM)
            time.sleep(drain + 0.5)  # the drain is over: the listener is closed, this request is in flight
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            connection.sendall(body[half:])
            received, _ = read_until_closed(connection, 10.0)
        assert received.startswith(b"HTTP/1.1 200"), received[:300]
        assert set(json.loads(received.partition(b"\r\n\r\n")[2])) & {"prediction", "value"}  # either task's answer
        stop(server.process, None, grace=STOP_TIMEOUT, must_stop=True)  # signalled above
    lines = log_lines(server.log)
    assert "Finished server process" in " | ".join(line["message"] for line in lines)
    assert not [line for line in lines if line["level"] in {"error", "critical"}]
    (drain_line,) = [line for line in lines if line["message"].startswith("SIGTERM")]
    assert drain_line["request_id"] == "-"  # the signal handler's line belongs to no request
