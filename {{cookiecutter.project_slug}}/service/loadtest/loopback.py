"""Service (ML Engineers): `make bench` — load on this machine's loopback, req/s and latency per endpoint.

Drives a service already listening on 127.0.0.1:PORT, or starts one (and stops it after).
Standard library only: keep-alive HTTP/1.1 over asyncio streams, a fixed number of
connections, a bounded number of requests and a time limit. It refuses any address that is
not loopback: for a real cluster use `locustfile.py` beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    """What one scenario measured."""

    name: str
    connections: int
    requests: int
    errors: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def require_loopback(host: str) -> None:
    """Refuse to send load anywhere but this machine."""
    address = ipaddress.ip_address(socket.gethostbyname(host))
    if not address.is_loopback:
        raise SystemExit(f"loopback.py only sends load to 127.0.0.0/8, not {host} ({address})")


def http_request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: loopback-bench\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head[9:12])


class _Budget:
    def __init__(self, requests: int, deadline: float) -> None:
        self.remaining = requests
        self.deadline = deadline

    def take(self) -> bool:
        if self.remaining <= 0 or time.perf_counter() > self.deadline:
            return False
        self.remaining -= 1
        return True


async def _connection(host: str, port: int, request: bytes, budget: _Budget, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    try:
        while budget.take():
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            errors += status >= 400
    finally:
        writer.close()
        await writer.wait_closed()
    return errors


async def _load(host: str, port: int, request: bytes, connections: int, requests: int, seconds: float) -> Result:
    latencies: list[float] = []
    started = time.perf_counter()
    budget = _Budget(requests, started + seconds)
    workers = [_connection(host, port, request, budget, latencies) for _ in range(connections)]
    errors = sum(await asyncio.wait_for(asyncio.gather(*workers), timeout=seconds + 30))
    elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return Result(
        name="",
        connections=connections,
        requests=count,
        errors=errors,
        seconds=round(elapsed, 3),
        requests_per_second=round(count / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(latencies[count // 2] * 1000, 3) if count else float("nan"),
        p99_ms=round(latencies[min(count - 1, int(count * 0.99))] * 1000, 3) if count else float("nan"),
    )


def measure(
    name: str,
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    connections: int = 16,
    requests: int = 5000,
    seconds: float = 10.0,
    warmup: int = 200,
) -> Result:
    """Warm up, then send at most `requests` requests over `connections` connections within `seconds`."""
    require_loopback(host)
    request = http_request(method, path, body)
    asyncio.run(_load(host, port, request, min(connections, warmup), warmup, seconds))
    result = asyncio.run(_load(host, port, request, connections, requests, seconds))
    return Result(**{**asdict(result), "name": name})


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_ready(base: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll /readyz until 200; fail early if the server process died or said why it cannot be ready."""
    deadline = time.monotonic() + seconds
    reason = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the service exited with {process.returncode} before it was ready")
        try:
            get_json(f"{base}/readyz", timeout=1.0)
            return
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
            reason = str(body.get("reason") or body.get("status"))
            if body.get("status") == "failed":
                break
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the service at {base} is not ready: {reason}")


def start_service(port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PORT": str(port), "BIND_HOST": "127.0.0.1", "ACCESS_LOG": "false"}
    module = os.environ.get("SERVICE_MODULE", "{{ cookiecutter.package_name }}_service")
    return subprocess.Popen([sys.executable, "-m", module], env=environment)


def resident_memory_mb(base: str) -> float | None:
    """From /metrics, on METRICS_PORT when the service runs with one."""
    metrics_port = os.environ.get("METRICS_PORT")
    if metrics_port:
        base = f"{base.rsplit(':', 1)[0]}:{metrics_port}"
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("process_resident_memory_bytes"):
                    return round(float(line.split()[-1]) / 2**20, 1)
    except urllib.error.HTTPError:
        pass
    return None


def run(port: int, connections: int, requests: int, seconds: float, batch_size: int) -> dict[str, Any]:
    host = "127.0.0.1"
    base = f"http://{host}:{port}"
    process = None
    try:
        get_json(f"{base}/healthz", timeout=1.0)
    except OSError:
        process = start_service(port)
    try:
        wait_ready(base, 60.0, process)
        example = get_json(f"{base}/v1/model")["example"]
        single = json.dumps(example).encode()
        batch = json.dumps({"records": [example] * batch_size}).encode()
        scenarios = [
            ("GET /healthz", "GET", "/healthz", b"", requests),
            ("POST /v1/predict", "POST", "/v1/predict", single, requests),
            (f"POST /v1/predict/batch ({batch_size})", "POST", "/v1/predict/batch", batch, max(1, requests // 10)),
        ]
        results = [
            measure(name, host, port, method, path, body, connections=connections, requests=count, seconds=seconds)
            for name, method, path, body, count in scenarios
        ]
        return {"results": [asdict(result) for result in results], "rss_mb": resident_memory_mb(base)}
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=5000, help="most requests per endpoint")
    parser.add_argument("--seconds", type=float, default=10.0, help="most seconds per endpoint")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    report = run(options.port, options.connections, options.requests, options.seconds, options.batch_size)
    if options.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'endpoint':<32} {'conns':>5} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for row in report["results"]:
        print(
            f"{row['name']:<32} {row['connections']:>5} {row['requests']:>8} {row['errors']:>6} "
            f"{row['requests_per_second']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}"
        )
    print(f"service resident memory after the load: {report['rss_mb']} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
