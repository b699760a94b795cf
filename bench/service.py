"""Figures for the generated service: HTTP floor, the tutorial baseline, tail latency, model time, memory.

    python bench/service.py                      # bakes the defaults, sets up, trains, measures
    python bench/service.py --keep DIR           # the same, keeping the bake in DIR
    python bench/service.py --project DIR/<slug> # reuse a bake that already ran make setup && make repro
    python bench/service.py --task regression    # the bundled regression example (default: classification)
    python bench/service.py --quick --project DIR/<slug>  # a few hundred requests per figure (seconds)

One run, one machine, one server process per app, loopback only. The load generator is wrk, run
as bench/peers.py runs it (16 keep-alive connections, 2xx answers only counted as throughput).
Prints each figure next to the goal from the service issue; asserts nothing. The
tutorial reference app (bench/_reference_app.py) serves the classification example only, so a
regression bake is measured without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, answers_of, bake, free_port, project_env, run, serve

BENCH_DIR = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Load:
    """How hard and how long each figure is measured: the full run, or the quick check that the bench still runs."""

    seconds: float = 40.0
    rounds: int = 4
    model_repeats: int = 1  # divisor of the model-time repetitions


FULL = Load()
QUICK = Load(seconds=4.0, rounds=2, model_repeats=20)

MODEL_TIME = r"""
import json, statistics, sys, time
from itertools import cycle, islice
from pathlib import Path
from {pkg}_core import TASK, find_violations, iter_records, Features, FEATURE_COLUMNS
from {pkg}_service.model import OnnxModel

model = OnnxModel.load(Path("models/model.onnx"))
rows = [r for r in iter_records() if not find_violations(r)]
records = [Features.model_validate({{c: r[c] for c in FEATURE_COLUMNS}}) for r in islice(cycle(rows), 1000)]
feed = model.feed(records)

def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000

run_median, run_min = best(lambda: model.run(feed), 200 // {divisor})
full_median, full_min = best(lambda: model.predict(records), 100 // {divisor})
one = records[:1]
one_feed = model.feed(one)
one_median, _ = best(lambda: model.run(one_feed), 2000 // {divisor})

import skops.io as sio, pandas as pd
sk = sio.load("models/model.skops")
frame1 = pd.DataFrame([records[0].model_dump()])
sk_predict = sk.predict_proba if TASK == "classification" else sk.predict
sk_median, _ = best(lambda: sk_predict(frame1), 300 // {divisor})
print(json.dumps({{"onnx_run_1000_ms": run_median, "onnx_run_1000_min_ms": run_min,
                  "predict_1000_with_conversion_ms": full_median, "onnx_run_1_ms": one_median,
                  "sklearn_predict_1_row_ms": sk_median, "task": TASK}}))
"""


@dataclasses.dataclass(frozen=True)
class Result:
    """One route under wrk's load: 2xx answers per second, their count, latency, and the other answers."""

    name: str
    connections: int
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def measure_route(name: str, url: str, body: bytes, seconds: float, work: Path, method: str = "POST") -> Result:
    """wrk on one route for `seconds`, as bench/peers.py runs it."""
    import peers  # here, not at the top: peers imports this module

    payload = work / f"{name.replace('/', '_').replace(' ', '_')}.json"
    payload.write_bytes(body)
    whole = max(1, round(seconds))
    figures = peers.wrk(peers.ensure_wrk(), url, payload, whole, work, method=method)
    errors = int(figures["non_2xx"] + figures["socket_errors"])
    answered = round(figures["rps"] * whole)
    return Result(name, peers.CONNECTIONS, answered, errors, figures["rps"], figures["p50"], figures["p99"])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median_result(results: list[Any]) -> Any:
    """The round with the median throughput, its counts summed over all rounds."""
    ordered = sorted(results, key=lambda result: result.requests_per_second)
    middle = ordered[len(ordered) // 2]
    return dataclasses.replace(
        middle,
        requests=sum(result.requests for result in results),
        errors=sum(result.errors for result in results),
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
    )


class Server:
    """A server we start and stop ourselves, through the harness's `serve()` (own process group, bounded stop)."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], ready_url: str, log: Path) -> None:
        self._serving = serve(command, cwd, env, ready_url=ready_url, log=log)
        self.process = self._serving.__enter__()

    def stop(self) -> None:
        self._serving.__exit__(None, None, None)


def prepare(work: Path, task: str = DEFAULTS["task"]) -> tuple[Path, dict[str, str]]:
    env = project_env(DEFAULTS["python_version"])
    project = bake(work, task=task)
    print(f"baked {project}; make setup && make repro ...", flush=True)
    run("make setup", project, env, timeout=1800)
    run("make repro", project, env, timeout=1800)
    return project, env


def measure(project: Path, env: dict[str, str], load: Load = FULL) -> dict[str, Any]:
    answers = answers_of(project)
    package = answers["package_name"]
    figures_task = answers.get("task", "classification")
    python = str(project / ".venv" / "bin" / "python")
    logs = Path(tempfile.mkdtemp(prefix="bench-service-logs-"))
    host = "127.0.0.1"
    figures: dict[str, Any] = {"task": figures_task, "load": load}

    port = free_port()
    service_env = {**env, "PORT": str(port), "MODEL_PATH": str(project / "models" / "model.onnx")}
    service = Server(
        [python, "-m", f"{package}_service"], project, service_env, f"http://{host}:{port}/readyz", logs / "service.log"
    )
    try:
        example = json.loads(urllib.request.urlopen(f"http://{host}:{port}/v1/model", timeout=5).read())["example"]
        single = json.dumps(example).encode()
        batch = json.dumps({"records": [example] * 100}).encode()
        base = f"http://{host}:{port}"
        # /healthz and /v1/predict alternate in short rounds, so a change in the machine's load
        # (other processes) hits both alike; each figure is the median over the rounds.
        rounds: dict[str, list[Any]] = {"healthz": [], "predict": []}
        cpu: dict[str, list[float]] = {"healthz": [], "predict": []}
        for _ in range(load.rounds):
            for key, method, path, body in (
                ("healthz", "GET", "/healthz", b""),
                ("predict", "POST", "/v1/predict", single),
            ):
                before = cpu_seconds(service.process.pid)
                result = measure_route(f"{method} {path}", base + path, body, load.seconds / load.rounds, logs, method)
                cpu[key].append((cpu_seconds(service.process.pid) - before) / max(1, result.requests))
                rounds[key].append(result)
        for key in rounds:
            figures[f"service_{key}"] = median_result(rounds[key])
            figures[f"service_{key}_cpu_us"] = statistics.median(cpu[key]) * 1e6
        figures["ratio_rounds"] = [
            p.requests_per_second / h.requests_per_second
            for h, p in zip(rounds["healthz"], rounds["predict"], strict=True)
        ]
        figures["service_batch100"] = measure_route(
            "POST /v1/predict/batch (100)", f"{base}/v1/predict/batch", batch, load.seconds, logs
        )
        figures["service_rss_mb"] = rss_mb(service.process.pid)
    finally:
        service.stop()

    if figures_task != "classification":  # the reference app is the classification tutorial's
        output = run([python, "-c", MODEL_TIME.format(pkg=package, divisor=load.model_repeats)], project, env)
        figures["model"] = json.loads(output.strip().splitlines()[-1])
        return figures
    port = free_port()
    reference = Server(
        [python, str(BENCH_DIR / "_reference_app.py"), "--model", "models/model.skops", "--port", str(port)],
        project,
        env,
        f"http://{host}:{port}/healthz",
        logs / "reference.log",
    )
    try:
        figures["reference_predict"] = measure_route(
            "reference POST /v1/predict", f"http://{host}:{port}/v1/predict", single, load.seconds, logs
        )
        figures["reference_rss_mb"] = rss_mb(reference.process.pid)
    finally:
        reference.stop()

    output = run([python, "-c", MODEL_TIME.format(pkg=package, divisor=load.model_repeats)], project, env)
    figures["model"] = json.loads(output.strip().splitlines()[-1])
    return figures


def report(figures: dict[str, Any]) -> int:
    """Print the figures and the summary line; the number of error responses during the load."""
    load: Load = figures["load"]
    healthz, predict = figures["service_healthz"], figures["service_predict"]
    batch, reference = figures["service_batch100"], figures.get("reference_predict")
    model = figures["model"]
    measured = [row for row in (healthz, predict, batch, reference) if row is not None]
    print(f"\ntask: {figures['task']}")
    print(f"{'endpoint':<32} {'conns':>5} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for row in measured:
        print(
            f"{row.name:<32} {row.connections:>5} {row.requests:>8} {row.errors:>6} "
            f"{row.requests_per_second:>9.1f} {row.p50_ms:>8.2f} {row.p99_ms:>8.2f}"
        )
    print()
    ratios = ", ".join(f"{ratio:.2f}" for ratio in figures["ratio_rounds"])
    cpu_costs = f"{figures['service_healthz_cpu_us']:.0f} / {figures['service_predict_cpu_us']:.0f} us"
    rows = [
        (
            "/v1/predict throughput / /healthz throughput",
            f"{statistics.median(figures['ratio_rounds']):.2f}",
            ">= 0.85",
        ),
        (f"  (median of {load.rounds} alternating rounds: {ratios})", "", ""),
        ("server CPU per request, /healthz / /v1/predict", cpu_costs, ""),
        (
            "service / tutorial reference (/v1/predict req/s)",
            f"{predict.requests_per_second / reference.requests_per_second:.1f}x" if reference else "n/a",
            ">= 4x",
        ),
        (f"p99 /v1/predict at {predict.connections} connections", f"{predict.p99_ms:.2f} ms", "<= 15 ms"),
        ("onnxruntime, 1,000-row batch (median)", f"{model['onnx_run_1000_ms']:.2f} ms", "<= 5 ms"),
        ("  + JSON records -> arrays (median)", f"{model['predict_1000_with_conversion_ms']:.2f} ms", ""),
        ("onnxruntime, 1 row (median)", f"{model['onnx_run_1_ms'] * 1000:.0f} us", ""),
        ("scikit-learn predict(_proba), 1-row DataFrame", f"{model['sklearn_predict_1_row_ms'] * 1000:.0f} us", ""),
        ("service resident memory after the load", f"{figures['service_rss_mb']:.0f} MiB", ""),
    ]
    if reference:
        rows.append(("reference app resident memory after its load", f"{figures['reference_rss_mb']:.0f} MiB", ""))
    for name, value, goal in rows:
        print(f"{name:<50} {value:>14}   {goal}")
    errors = sum(row.errors for row in measured)
    average = os.getloadavg()[0]
    print(f"\nerror responses during the load: {errors}; load average now {average:.2f} on {os.cpu_count()} cores")
    versus = f" vs_reference={predict.requests_per_second / reference.requests_per_second:.1f}" if reference else ""
    print(
        f"summary service: task={figures['task']} predict_rps={predict.requests_per_second:.0f} "
        f"predict_p99_ms={predict.p99_ms:.2f} predict_to_healthz={statistics.median(figures['ratio_rounds']):.2f}"
        f"{versus} errors={errors} load={average:.2f}"
    )
    return int(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, help="a bake that already ran make setup && make repro")
    parser.add_argument("--keep", type=Path, help="bake into this folder and keep it (reuse it with --project)")
    parser.add_argument("--task", choices=["classification", "regression"], default=DEFAULTS["task"])
    parser.add_argument("--quick", action="store_true", help="a few hundred requests per figure (seconds)")
    options = parser.parse_args()
    load = QUICK if options.quick else FULL
    if options.project:
        errors = report(measure(options.project.resolve(), project_env(DEFAULTS["python_version"]), load))
    elif options.keep:
        errors = report(measure(*prepare(options.keep.resolve(), options.task), load))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-service-") as work:
            errors = report(measure(*prepare(Path(work), options.task), load))
    # The quick mode checks that the bench still works: an error response means it does not.
    return 1 if options.quick and errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
