"""The generated service against the model servers a team would pick instead, on this machine, in one run.

    python bench/peers.py                        # bakes the defaults, sets up, trains, measures
    python bench/peers.py --project DIR/<slug>   # reuse a bake that already ran make setup && make repro
    python bench/peers.py --peers-venv DIR       # reuse (or keep) the peers' virtualenv
    python bench/peers.py --profile              # profile our /v1/predict under load (py-spy) even if goals are met
    python bench/peers.py --quick --project DIR/<slug>  # ours only, a second per figure (no peers installed)

The same trained model (the classification example: the peers below serve labels and
probabilities) is served four ways, each by one worker process on 127.0.0.1:
- ours: the generated service (`python -m <package>_service`, its defaults, access log on);
- ours, ordinary route: the same app plus `/v1/predict-ordinary`, an ordinary FastAPI route
  with a `PredictRequest` body (the figure behind the raw fast path of the predict routes);
- LitServe, serving the same ONNX file with onnxruntime (a `LitAPI`, as its docs show);
- MLServer's scikit-learn runtime, serving the trained scikit-learn pipeline: core's
  `build_model()` fitted on the bake's train split inside the peers' virtualenv and saved with
  joblib, as MLServer's docs show (`parallel_workers: 0`, so it is one process too).

The peers are installed into a throwaway virtualenv under /tmp, never into the bake. Every
server gets the same payloads (one record; 100 records), the same wrk load (16 connections,
one wrk thread, the same seconds) after the same warm-up. wrk comes from Debian (`apt-get
install wrk`); it is installed when missing and this runs as root. Throughput counts 2xx
answers only: non-2xx answers and socket errors are reported per row and never add to req/s.
When a goal is missed (or with --profile), our server is profiled with py-spy under the
/v1/predict load and the functions it spends its time in are printed: what bounds the figure.
Asserts nothing on the figures; the line before the summary is the ratio of our single-record
throughput to the best peer's. `--quick` installs no peer and measures ours only (every route,
the ordinary one included, must answer 2xx): it says so, and its summary has no peer ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, answers_of, project_env, run
from service import Server, free_port, prepare

HOST = "127.0.0.1"
CONNECTIONS = 16
PEER_GOAL = 5.0  # ours/best-peer single-record throughput, with p99 at most half the peer's
HEALTHZ_GOAL = 0.85  # /v1/predict / /healthz throughput on our server


@dataclass(frozen=True)
class Load:
    """wrk seconds per figure, warm-up seconds before each, and /healthz-/v1/predict rounds: full or quick."""

    seconds: int = 10
    warmup_seconds: int = 2
    ratio_rounds: int = 3


FULL = Load()
QUICK = Load(seconds=1, warmup_seconds=1, ratio_rounds=1)
BATCH_RECORDS = 100
PEER_PACKAGES = [
    "mlserver==1.7.1",
    "mlserver-sklearn==1.7.1",
    "litserve==0.2.19",
    "onnxruntime>=1.20,<2",
    "scikit-learn>=1.5,<2",
    "pandas>=2.2,<3",
    "pyarrow>=17",
    "joblib",
    "py-spy==0.4.3",
]

LUA = """
local file = io.open("{body}", "rb")
wrk.method = "{method}"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
"""

# Our app plus an ordinary FastAPI route for one record, sharing the app's micro-batcher.
ORDINARY_APP = """
from fastapi import Request

from {package}_service.app import create_app as create_service_app
from {package}_service.schemas import PredictRequest, PredictResponse


def create_app():
    app = create_service_app()
    state = app.state.model_state

    @app.post("/v1/predict-ordinary", response_model=PredictResponse)
    async def predict_ordinary(record: PredictRequest) -> PredictResponse:
        answer = await state.batcher.submit(record)  # the task's answer dict (tasks.py), as the raw route gets
        return PredictResponse.model_validate({{**answer, "model_version": state.batcher.card.version}})

    return app
"""
ORDINARY_LAUNCH = (
    "from {package}_service.server import serve; from {package}_service.settings import Settings; "
    "serve(Settings(), app='bench_ordinary:create_app')"
)

LITSERVE_APP = """
import json
import sys

import litserve as ls
import numpy as np
import onnxruntime as ort

from {package}_core import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

MODEL = sys.argv[1]


class ModelAPI(ls.LitAPI):
    def setup(self, device):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(MODEL, options, providers=["CPUExecutionProvider"])
        with open(MODEL.replace("model.onnx", "model_card.json")) as card:
            self.classes = json.load(card)["classes"]

    def decode_request(self, request):
        records = request["records"] if "records" in request else [request]
        inputs = {{c: np.array([[r[c]] for r in records], dtype=np.float32) for c in NUMERIC_COLUMNS}}
        inputs.update({{c: np.array([[r[c]] for r in records], dtype=object) for c in CATEGORICAL_COLUMNS}})
        return inputs, "records" in request

    def predict(self, decoded):
        inputs, batch = decoded
        labels, probabilities = self.session.run(["label", "probabilities"], inputs)
        return labels, probabilities, batch

    def encode_response(self, output):
        labels, probabilities, batch = output
        predictions = [
            {{"prediction": str(label), "probabilities": dict(zip(self.classes, map(float, row)))}}
            for label, row in zip(labels, probabilities)
        ]
        return {{"predictions": predictions}} if batch else predictions[0]


if __name__ == "__main__":
    server = ls.LitServer(ModelAPI(), accelerator="cpu", devices=1, workers_per_device=1)
    server.run(host="127.0.0.1", port=int(sys.argv[2]), generate_client_file=False)
"""

MLSERVER_FIT = """
import joblib
import pandas as pd

from {package}_core import FEATURE_COLUMNS, TARGET
from {package}_core.features import build_model

train = pd.read_parquet("{train}")
model = build_model().fit(train[list(FEATURE_COLUMNS)], train[TARGET])
joblib.dump(model, "{folder}/model.joblib")
print("fitted", type(model).__name__, len(train), "rows")
"""


@dataclass(frozen=True)
class Row:
    server: str
    scenario: str
    requests_per_second: float  # 2xx answers per second only
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    return found


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(tool: str, url: str, body: Path, seconds: int, work: Path, *, method: str = "POST") -> dict[str, float]:
    """One wrk run: 2xx answers per second, p50, p99, and the non-2xx answers and socket errors apart.

    wrk's own Requests/sec counts every answer, a 503 or a 413 as much as a 200: a server that
    refuses fast would look fast. Only the 2xx share of it is throughput here.
    """
    script = work / f"wrk-{body.stem}-{method}.lua"
    script.write_text(LUA.format(body=body, method=method))
    command = [tool, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    refused = int(non_2xx.group(1)) if non_2xx else 0
    failed = sum(int(group) for group in socket_errors.groups()) if socket_errors else 0
    answered_2xx = max(0, requests - refused)
    rps_2xx = rate * answered_2xx / requests if requests else 0.0
    return {"rps": rps_2xx, "p50": p50, "p99": p99, "non_2xx": refused, "socket_errors": failed}


def measure(
    tool: str, name: str, scenario: str, url: str, body: Path, work: Path, load: Load, method: str = "POST"
) -> Row:
    wrk(tool, url, body, load.warmup_seconds, work, method=method)
    result = wrk(tool, url, body, load.seconds, work, method=method)
    row = Row(
        name,
        scenario,
        result["rps"],
        result["p50"],
        result["p99"],
        int(result["non_2xx"]),
        int(result["socket_errors"]),
    )
    flag = f"  ({row.non_2xx} non-2xx, {row.socket_errors} socket errors)" if row.non_2xx or row.socket_errors else ""
    print(
        f"  {name:<26} {scenario:<14} {row.requests_per_second:>9.0f} req/s (2xx)  p99 {row.p99_ms:.2f} ms{flag}",
        flush=True,
    )
    return row


def peers_venv(project: Path, env: dict[str, str], venv: Path) -> Path:
    """A virtualenv under /tmp with the peers (and the bake's core, for its contract and build_model)."""
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        interpreter = env.get("UV_PYTHON", sys.executable)
        print(f"installing the peers into {venv} (once) ...", flush=True)
        run([interpreter, "-m", "venv", "--clear", str(venv)], project, env)
        run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], project, env, timeout=1800)
        run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(project / "core")], project, env)
        (venv / ".installed").write_text("\n".join(PEER_PACKAGES))
    return venv


def version_of(venv: Path, package: str) -> str:
    probe = f"import importlib.metadata as m; print(m.version('{package}'))"
    return subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True).stdout.strip()


def v2_request(records: list[dict[str, Any]], numeric: set[str]) -> dict[str, Any]:
    """The V2 inference protocol body MLServer's docs show for a DataFrame (content type `pd`)."""
    inputs = []
    for column in records[0]:
        kind = "FP64" if column in numeric else "BYTES"
        inputs.append({"name": column, "shape": [len(records)], "datatype": kind, "data": [r[column] for r in records]})
    return {"parameters": {"content_type": "pd"}, "inputs": inputs, "outputs": [{"name": "predict_proba"}]}


def check_answer(url: str, body: Path) -> dict[str, Any]:
    """One request's JSON answer; an HTTP error stops the run with the server's own words."""
    request = urllib.request.Request(url, data=body.read_bytes(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{url} answered HTTP {error.code}: {error.read()[:500]!r}") from error


def profile(venv: Path, pid: int, tool: str, url: str, body: Path, work: Path, load: Load) -> list[tuple[str, float]]:
    """py-spy samples our server under the /v1/predict load; the share of samples per leaf function."""
    raw = work / "profile.txt"
    spy = subprocess.Popen(
        [str(venv / "bin" / "py-spy"), "record", "--pid", str(pid), "--format", "raw", "--output", str(raw),
         "--duration", str(load.seconds), "--rate", "200", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    wrk(tool, url, body, load.seconds, work)
    spy.wait(timeout=60)
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        leaf = stack.split(";")[-1]
        leaf = re.sub(r"\s*\(/.*/site-packages/", " (", leaf)
        leaf = re.sub(r"\s*\(/.*/(src|lib/python[\d.]+)/", " (", leaf)
        leaves[leaf] += int(count)
        total += int(count)
    return [(name, count / total) for name, count in leaves.most_common(15)] if total else []


@dataclass
class Bench:
    """What every server of one run shares: the bake, its champion model, the payload files, wrk and the load."""

    project: Path
    env: dict[str, str]
    load: Load
    tool: str
    work: Path
    files: dict[str, Path]

    @property
    def package(self) -> str:
        return str(answers_of(self.project)["package_name"])

    @property
    def champion(self) -> Path:
        return self.project / "models" / "champion" / "model.onnx"

    def measure(self, name: str, scenario: str, url: str, body: str, method: str = "POST") -> Row:
        return measure(self.tool, name, scenario, url, self.files[body], self.work, self.load, method)


def prepare_bench(project: Path, env: dict[str, str], load: Load) -> Bench:
    """wrk, the champion model (promoted from models/ on bakes before the champion stage) and the payload files."""
    tool = ensure_wrk()
    champion = project / "models" / "champion" / "model.onnx"
    if not champion.exists():
        champion.parent.mkdir(parents=True, exist_ok=True)
        for name in ("model.onnx", "model_card.json"):
            shutil.copy2(project / "models" / name, champion.parent / name)
    example = json.loads(champion.with_name("model_card.json").read_text())["example"]
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    numeric = {key for key, value in example.items() if isinstance(value, int | float)}
    bodies = {
        "single": example,
        "batch": {"records": [example] * BATCH_RECORDS},
        "v2-single": v2_request([example], numeric),
        "v2-batch": v2_request([example] * BATCH_RECORDS, numeric),
    }
    files = {"empty": work / "empty.json"}
    files["empty"].write_text("")
    for name, payload in bodies.items():
        files[name] = work / f"{name}.json"
        files[name].write_text(json.dumps(payload))
    return Bench(project, env, load, tool, work, files)


def start_ours(bench: Bench) -> tuple[Server, str]:
    """Ours: the defaults, as `make serve` and the image run it, plus the ordinary route for its figure."""
    (bench.work / "bench_ordinary.py").write_text(ORDINARY_APP.format(package=bench.package))
    port = free_port()
    base = f"http://{HOST}:{port}"
    ours_env = {**bench.env, "PORT": str(port), "MODEL_PATH": str(bench.champion), "PYTHONPATH": str(bench.work)}
    launch = [str(bench.project / ".venv" / "bin" / "python"), "-c", ORDINARY_LAUNCH.format(package=bench.package)]
    return Server(launch, bench.project, ours_env, f"{base}/readyz", bench.work / "ours.log"), base


def bench_ours(bench: Bench) -> tuple[list[Row], list[float]]:
    """Our rows (/healthz and /v1/predict alternating, the batch route, the ordinary route) and the ratio rounds.

    Every predict route is asked once first and must answer 2xx with a prediction (an HTTP error stops the run)."""
    server, base = start_ours(bench)
    rows: list[Row] = []
    ratios: list[float] = []
    rounds = bench.load.ratio_rounds
    try:
        for route, body in (("/v1/predict", "single"), ("/v1/predict-ordinary", "single")):
            answer = check_answer(f"{base}{route}", bench.files[body])
            if "prediction" not in answer or "model_version" not in answer:
                raise SystemExit(f"{route} answered without a prediction and model version: {answer}")
        if len(check_answer(f"{base}/v1/predict/batch", bench.files["batch"])["predictions"]) != BATCH_RECORDS:
            raise SystemExit(f"/v1/predict/batch did not answer {BATCH_RECORDS} predictions")
        healthz_rows, predict_rows = [], []
        for _ in range(rounds):  # alternate, so a change in the machine's load hits both alike
            healthz_rows.append(bench.measure("ours", "GET /healthz", f"{base}/healthz", "empty", "GET"))
            predict_rows.append(bench.measure("ours", "1 record", f"{base}/v1/predict", "single"))
            ratios.append(predict_rows[-1].requests_per_second / healthz_rows[-1].requests_per_second)
        rows.append(sorted(healthz_rows, key=lambda r: r.requests_per_second)[rounds // 2])
        rows.append(sorted(predict_rows, key=lambda r: r.requests_per_second)[rounds // 2])
        rows.append(bench.measure("ours", f"{BATCH_RECORDS} records", f"{base}/v1/predict/batch", "batch"))
        rows.append(bench.measure("ours, ordinary route", "1 record", f"{base}/v1/predict-ordinary", "single"))
    finally:
        server.stop()
    return rows, ratios


def profile_ours(bench: Bench, venv: Path) -> list[tuple[str, float]]:
    """Our server started alone, warmed up, and profiled with py-spy under the /v1/predict load."""
    server, base = start_ours(bench)
    try:
        wrk(bench.tool, f"{base}/v1/predict", bench.files["single"], bench.load.warmup_seconds, bench.work)
        return profile(
            venv, server.process.pid, bench.tool, f"{base}/v1/predict", bench.files["single"], bench.work, bench.load
        )
    finally:
        server.stop()


def bench_litserve(bench: Bench, venv: Path) -> list[Row]:
    """LitServe: the same ONNX model and card."""
    (bench.work / "litserve_app.py").write_text(LITSERVE_APP.format(package=bench.package))
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = Server(
        [str(venv / "bin" / "python"), str(bench.work / "litserve_app.py"), str(bench.champion), str(port)],
        bench.work, bench.env, f"{base}/health", bench.work / "litserve.log",
    )  # fmt: skip
    try:
        assert check_answer(f"{base}/predict", bench.files["single"])["prediction"]
        name = f"LitServe {version_of(venv, 'litserve')}"
        return [
            bench.measure(name, "1 record", f"{base}/predict", "single"),
            bench.measure(name, f"{BATCH_RECORDS} records", f"{base}/predict", "batch"),
        ]
    finally:
        server.stop()


def bench_mlserver(bench: Bench, venv: Path) -> list[Row]:
    """MLServer: its scikit-learn runtime on the trained pipeline."""
    models = bench.work / "mlserver"
    (models / "model").mkdir(parents=True)
    train = bench.project / "data" / "split" / "train.parquet"
    fit = MLSERVER_FIT.format(package=bench.package, train=train, folder=models / "model")
    run([str(venv / "bin" / "python"), "-c", fit], bench.work, bench.env)
    (models / "model" / "model-settings.json").write_text(
        json.dumps({"name": "model", "implementation": "mlserver_sklearn.SKLearnModel",
                    "parameters": {"uri": "./model.joblib", "version": "v1"}})
    )  # fmt: skip
    port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    (models / "settings.json").write_text(
        json.dumps({"host": HOST, "http_port": port, "grpc_port": grpc_port, "metrics_port": metrics_port,
                    "parallel_workers": 0})
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    server = Server(
        [str(venv / "bin" / "mlserver"), "start", str(models)], models, bench.env, f"{base}/v2/health/ready",
        bench.work / "mlserver.log",
    )  # fmt: skip
    try:
        url = f"{base}/v2/models/model/infer"
        assert check_answer(url, bench.files["v2-single"])["outputs"]
        name = f"MLServer {version_of(venv, 'mlserver')} (sklearn)"
        return [
            bench.measure(name, "1 record", url, "v2-single"),
            bench.measure(name, f"{BATCH_RECORDS} records", url, "v2-batch"),
        ]
    finally:
        server.stop()


def bench_all(project: Path, env: dict[str, str], venv_folder: Path, with_profile: bool) -> None:
    """Ours, LitServe and MLServer, one after the other; a profile of ours when asked or when a goal is missed."""
    bench = prepare_bench(project, env, FULL)
    venv = peers_venv(project, env, venv_folder)
    print(f"load average at the start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    print(
        f"wrk: {CONNECTIONS} connections, {FULL.seconds} s per figure after {FULL.warmup_seconds} s of warm-up",
        flush=True,
    )
    rows, ratios = bench_ours(bench)
    rows += bench_litserve(bench, venv) + bench_mlserver(bench, venv)
    missed = statistics.median(ratios) < HEALTHZ_GOAL or not peer_goal_met(rows)
    top = profile_ours(bench, venv) if with_profile or missed else []
    report(rows, ratios, top)


def bench_quick(project: Path, env: dict[str, str]) -> None:
    """Ours only, a second per figure: every route of ours answers, and the figures' lines are printed."""
    bench = prepare_bench(project, env, QUICK)
    print(
        "quick mode: ours only; the peers (LitServe, MLServer) are not installed, so there is no peer ratio", flush=True
    )
    rows, ratios = bench_ours(bench)
    print_rows(rows)
    refused = [f"{r.server} {r.scenario}" for r in rows if r.non_2xx or r.socket_errors]
    if refused:
        raise SystemExit(f"non-2xx answers or socket errors from our server: {', '.join(refused)}")
    ours, healthz = row_of(rows, "ours", "1 record"), row_of(rows, "ours", "GET /healthz")
    ordinary = row_of(rows, "ours, ordinary route", "1 record")
    print(
        f"summary peers: mode=quick_ours_only peers=none predict_rps={ours.requests_per_second:.0f} "
        f"predict_p99_ms={ours.p99_ms:.2f} healthz_rps={healthz.requests_per_second:.0f} "
        f"predict_to_healthz={statistics.median(ratios):.2f} "
        f"raw_to_ordinary={ours.requests_per_second / ordinary.requests_per_second:.2f} "
        f"load={os.getloadavg()[0]:.2f}"
    )


def row_of(rows: list[Row], server: str, scenario: str) -> Row:
    return next(r for r in rows if r.server == server and r.scenario == scenario)


def single_rows(rows: list[Row]) -> tuple[Row, Row]:
    """Our single-record row and the best peer's (by 2xx throughput)."""
    ours = next(r for r in rows if r.server == "ours" and r.scenario == "1 record")
    peers = [r for r in rows if not r.server.startswith("ours") and r.scenario == "1 record"]
    return ours, max(peers, key=lambda r: r.requests_per_second)


def peer_goal_met(rows: list[Row]) -> bool:
    ours, best = single_rows(rows)
    ratio = ours.requests_per_second / best.requests_per_second if best.requests_per_second else float("inf")
    return ratio >= PEER_GOAL and ours.p99_ms <= best.p99_ms / 2


def print_rows(rows: list[Row]) -> None:
    print()
    print(f"{'server':<30} {'scenario':<14} {'2xx/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}")
    for row in rows:
        print(
            f"{row.server:<30} {row.scenario:<14} {row.requests_per_second:>9.0f} {row.p50_ms:>8.2f} "
            f"{row.p99_ms:>8.2f} {row.non_2xx:>8} {row.socket_errors:>8}"
        )


def report(rows: list[Row], ratios: list[float], top: list[tuple[str, float]]) -> None:
    print_rows(rows)
    failing = [f"{r.server} ({r.scenario})" for r in rows if r.non_2xx or r.socket_errors]
    if failing:
        print(f"WARNING: non-2xx answers or socket errors (not counted as throughput): {', '.join(failing)}")
    ours, best = single_rows(rows)
    ordinary = row_of(rows, "ours, ordinary route", "1 record")
    ratio = ours.requests_per_second / best.requests_per_second
    missed = [
        goal
        for goal, met in (
            (f"ours/best-peer >= {PEER_GOAL}", peer_goal_met(rows)),
            (f"/v1/predict / /healthz >= {HEALTHZ_GOAL}", statistics.median(ratios) >= HEALTHZ_GOAL),
        )
        if not met
    ]
    if top:
        because = f"goal not met ({'; '.join(missed)}): what bounds it" if missed else "profile asked for"
        print(f"\nwhere our server spends /v1/predict ({because}; py-spy, share of samples by function):")
        for name, share in top:
            print(f"  {share:>6.1%}  {name}")
    print()
    print(f"raw predict route / ordinary FastAPI route throughput: "
          f"{ours.requests_per_second / ordinary.requests_per_second:.2f}")  # fmt: skip
    print(f"best peer (1 record): {best.server}, p99 {best.p99_ms:.2f} ms; ours p99 {ours.p99_ms:.2f} ms "
          f"(goal: at most half, {best.p99_ms / 2:.2f} ms)")  # fmt: skip
    print(f"goal ours/best-peer >= {PEER_GOAL}: {'met' if peer_goal_met(rows) else 'NOT met'}")
    rounds = ", ".join(f"{value:.2f}" for value in ratios)
    print(
        f"/v1/predict / /healthz throughput ratio: {statistics.median(ratios):.2f} (rounds: {rounds}; goal >= {HEALTHZ_GOAL})"
    )
    load = os.getloadavg()[0]
    print(f"load average now {load:.2f} on {os.cpu_count()} cores")
    print(f"ours/best-peer throughput ratio: {ratio:.2f}")
    print(
        f"summary peers: mode=full ours_to_best_peer={ratio:.2f} ours_p99_ms={ours.p99_ms:.2f} "
        f"best_peer_p99_ms={best.p99_ms:.2f} predict_to_healthz={statistics.median(ratios):.2f} "
        f"raw_to_ordinary={ours.requests_per_second / ordinary.requests_per_second:.2f} "
        f"peer_goal_met={str(peer_goal_met(rows)).lower()} load={load:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, help="a bake that already ran make setup && make repro")
    parser.add_argument("--keep", type=Path, help="bake into this folder and keep it (reuse it with --project)")
    parser.add_argument("--peers-venv", type=Path, help="the peers' virtualenv: made here once, then reused")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of our server under /v1/predict load")
    parser.add_argument("--quick", action="store_true", help="ours only, a second per figure: no peers installed")
    options = parser.parse_args()
    if options.quick and options.profile:
        parser.error("--profile needs py-spy from the peers' virtualenv, which --quick does not install")
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as throwaway:
        venv = options.peers_venv.resolve() if options.peers_venv else Path(throwaway) / "venv"
        if options.project:
            project, env = options.project.resolve(), project_env(DEFAULTS["python_version"])
        else:
            project, env = prepare((options.keep or Path(throwaway) / "bake").resolve())
        if options.quick:
            bench_quick(project, env)
        else:
            bench_all(project, env, venv, options.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
