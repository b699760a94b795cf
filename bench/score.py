"""Batch-scoring throughput and memory: `make score` against the service's HTTP batch route, on the same rows, in one run.

    python bench/score.py                       # bakes the defaults, sets up, trains, measures
    python bench/score.py --project DIR/<slug>  # reuse a bake that already ran make setup && make repro
    python bench/score.py --rows 1000000        # input size (default 200,000 contract-valid rows)
    python bench/score.py --rows 10000000 --http-rows 1000000  # the HTTP route on the first million of them
    python bench/score.py --format csv          # make score reads a CSV (default: Parquet)
    python bench/score.py --quick --project DIR/<slug>  # 2,000 rows, one round (seconds)

Both sides score the same contract-valid rows (the example data repeated) with the same champion
model, on this machine, one after the other:
- `make score`: the whole command, from `make` to the written output (process start, model
  verification, contract check of every row, ONNX scoring, atomic write of output and quarantine);
- HTTP: the service started on loopback with the champion, fed by one keep-alive client in
  batches of its largest allowed size (`max_batch_records`), until every row has an answer
  (`--http-rows` caps how many of the rows it is sent; rows per second is the figure compared).
The two alternate for a few rounds; prints the median rows per second of each and the median of
the per-round ratios, the peak memory of `make score`'s largest process (GNU time's maximum
resident set size, when /usr/bin/time exists: what the CronJob's memory limit must allow), and
the load average before and after (the figures depend on what else the machine runs); asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, bake, free_port, project_env, run, serve

# The rows, written a million at a time (the bench's own memory stays small at 10 M rows): Parquet or
# CSV for make score, JSON lines for the HTTP route.
MAKE_ROWS = r"""
import sys
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from {pkg}_core import FEATURE_COLUMNS, find_violations, iter_records
stem, total, form = sys.argv[1], int(sys.argv[2]), sys.argv[3]
valid = pd.DataFrame([{{c: r[c] for c in FEATURE_COLUMNS}} for r in iter_records()
                      if not find_violations(r, labelled=False)])
writer = None
with open(stem + ".jsonl", "w") as lines:
    for start in range(0, total, 1_000_000):
        chunk = valid.iloc[np.arange(start, min(total, start + 1_000_000)) % len(valid)].reset_index(drop=True)
        chunk.to_json(lines, orient="records", lines=True)
        if form == "csv":
            chunk.to_csv(stem + ".csv", index=False, header=start == 0, mode="w" if start == 0 else "a")
        else:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            writer = writer or pq.ParquetWriter(stem + ".parquet", table.schema)
            writer.write_table(table)
if writer is not None:
    writer.close()
"""


def prepare(work: Path) -> tuple[Path, dict[str, str]]:
    env = project_env(DEFAULTS["python_version"])
    project = bake(work)
    print(f"baked {project}; make setup && make repro ...", flush=True)
    run("make setup", project, env, timeout=1800)
    run("make repro", project, env, timeout=1800)
    return project, env


class Service:
    """The project's service on loopback with the champion model (its own process group, stopped by us)."""

    def __init__(self, project: Path, env: dict[str, str], logs: Path) -> None:
        package = project.name.replace("-", "_")
        self.port = free_port()
        champion = project / "models" / "champion" / "model.onnx"
        service_env = {**env, "PORT": str(self.port), "MODEL_PATH": str(champion), "ACCESS_LOG": "false"}
        service_env.pop("API_KEYS", None)
        self._serving = serve(
            [str(project / ".venv" / "bin" / "python"), "-m", f"{package}_service"],
            project, service_env, ready_url=f"http://127.0.0.1:{self.port}/readyz", log=logs / "service.log",
        )  # fmt: skip
        self.process = self._serving.__enter__()
        card = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/model", timeout=5).read())
        self.batch = int(card.get("max_batch_records", 1000))

    def rows_per_second(self, jsonl: Path, rows: int) -> float:
        """Send the first `rows` lines of `jsonl` (one record each) in batches; rows answered per second."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        answered = 0
        started = time.perf_counter()
        for body in self.bodies(jsonl, rows):
            connection.request("POST", "/v1/predict/batch", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise SystemExit(f"batch route answered {response.status}: {payload[:300]!r}")
            answered += len(json.loads(payload)["predictions"])
        seconds = time.perf_counter() - started
        connection.close()
        if answered != rows:
            raise SystemExit(f"the batch route answered {answered} of {rows} rows")
        return answered / seconds

    def bodies(self, jsonl: Path, rows: int) -> Iterator[bytes]:
        """Request bodies of `max_batch_records` records, joined from the file's lines as they are read."""
        with jsonl.open("rb") as handle:
            lines = islice(handle, rows)
            while batch := [line.rstrip(b"\n") for line in islice(lines, self.batch)]:
                yield b'{"records": [' + b",".join(batch) + b"]}"

    def stop(self) -> None:
        self._serving.__exit__(None, None, None)


def load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a bake that ran make setup && make repro")
    parser.add_argument("--keep", type=Path, help="bake into this folder and keep it")
    parser.add_argument("--rows", type=int, help="contract-valid rows to score (default 200,000; 2,000 with --quick)")
    parser.add_argument("--http-rows", type=int, help="the first N of those rows for the HTTP route (default: all)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="make score's input")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small defaults for --rows and --rounds (seconds)")
    arguments = parser.parse_args()
    arguments.rows = arguments.rows or (2_000 if arguments.quick else 200_000)
    arguments.rounds = arguments.rounds or (1 if arguments.quick else 3)
    http_rows = min(arguments.http_rows or arguments.rows, arguments.rows)
    if arguments.project:
        project, env = arguments.project.resolve(), project_env(DEFAULTS["python_version"])
    else:
        work = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-score-"))
        project, env = prepare(work.resolve())
    package = project.name.replace("-", "_")
    logs = Path(tempfile.mkdtemp(prefix="bench-score-logs-"))
    stem = logs / "rows"
    python = str(project / ".venv" / "bin" / "python")
    run([python, "-c", MAKE_ROWS.format(pkg=package), str(stem), str(arguments.rows), arguments.format], project, env)

    rows = arguments.rows
    load_before = load()
    service = Service(project, env, logs)
    made: list[float] = []
    peaks: list[int] = []
    # GNU time reports the largest resident set of the processes it waited for (make, uv, python).
    measure = "/usr/bin/time -f peak-rss-kib=%M " if Path("/usr/bin/time").is_file() else ""
    inside: list[float] = []
    served: list[float] = []
    try:
        # make score and the HTTP route alternate, so a change in the machine's load (other
        # processes) hits both alike; each figure is the median over the rounds.
        for round_ in range(arguments.rounds):
            output = logs / f"scored-{round_}.parquet"
            started = time.perf_counter()
            command = f"{measure}make score INPUT={stem}.{arguments.format} OUTPUT={output}"
            printed = run(command, project, env, timeout=3600)
            peak = re.search(r"peak-rss-kib=(\d+)", printed)
            if peak:
                peaks.append(int(peak.group(1)))
            made.append(rows / (time.perf_counter() - started))
            found = re.search(r"(\d+) of (\d+) rows scored.*\(([\d,]+) rows/s\)", printed)
            if not found or int(found.group(1)) != rows:
                raise SystemExit(f"make score did not score every row:\n{printed}")
            inside.append(float(found.group(3).replace(",", "")))
            output.unlink()
            served.append(service.rows_per_second(stem.with_suffix(".jsonl"), http_rows))
    finally:
        service.stop()
    ratios = [m / h for m, h in zip(made, served, strict=True)]
    load_after = load()
    print(f"rows: {rows:,} contract-valid rows ({arguments.format} in, Parquet out), champion model of "
          f"{project.name}, {arguments.rounds} rounds (medians); the HTTP route was sent the first {http_rows:,}")  # fmt: skip
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}, on {os.cpu_count()} CPUs")
    print(
        f"make score, whole command (make, uv, imports, input and output files): {statistics.median(made):,.0f} rows/s"
    )
    print(f"make score, its own figure (verify, contract, score, write): {statistics.median(inside):,.0f} rows/s")
    if peaks:
        print(f"make score peak memory (largest process): {statistics.median(peaks) / 1024:,.0f} MiB at {rows:,} rows")
    print(f"HTTP /v1/predict/batch ({service.batch} records per request, 1 keep-alive client): "
          f"{statistics.median(served):,.0f} rows/s")  # fmt: skip
    print(f"ratio make score / HTTP batch route: {statistics.median(ratios):.2f}x "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    peak = f" make_score_peak_mib={statistics.median(peaks) / 1024:.0f}" if peaks else ""
    print(
        f"summary score: rows={rows} format={arguments.format} rounds={arguments.rounds} "
        f"make_score_rows_per_s={statistics.median(made):.0f} http_batch_rows_per_s={statistics.median(served):.0f} "
        f"http_rows={http_rows} ratio={statistics.median(ratios):.2f}{peak} load_avg={load_after.split('/')[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
