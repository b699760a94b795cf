"""Batch-scoring throughput: `make score` against the service's HTTP batch route, on the same rows, in one run.

    python bench/score.py                       # bakes the defaults, sets up, trains, measures
    python bench/score.py --project DIR/<slug>  # reuse a bake that already ran make setup && make repro
    python bench/score.py --rows 500000         # input size (default 200,000 contract-valid rows)
    python bench/score.py --quick --project DIR/<slug>  # 2,000 rows, one round (seconds)

Both sides score the same contract-valid rows (the example data repeated) with the same champion
model, on this machine, one after the other:
- `make score`: the whole command, from `make` to the written Parquet file (process start, model
  verification, contract check of every row, ONNX scoring, atomic write);
- HTTP: the service started on loopback with the champion, fed by one keep-alive client in
  batches of its largest allowed size (`max_batch_records`), until every row has an answer.
The two alternate for a few rounds; prints the median rows per second of each and the median of
the per-round ratios, and the peak memory of `make score`'s largest process (GNU time's maximum
resident set size, when /usr/bin/time exists: the whole input is held in memory, so this is what
the CronJob's memory limit must allow); asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, bake, free_port, project_env, run, serve

MAKE_ROWS = r"""
import sys
from itertools import cycle, islice
import pandas as pd
from {pkg}_core import FEATURE_COLUMNS, find_violations, iter_records
rows = [{{c: r[c] for c in FEATURE_COLUMNS}} for r in iter_records() if not find_violations(r, labelled=False)]
frame = pd.DataFrame(list(islice(cycle(rows), int(sys.argv[2]))))
frame.to_parquet(sys.argv[1] + ".parquet", index=False)
frame.to_json(sys.argv[1] + ".jsonl", orient="records", lines=True)
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

    def rows_per_second(self, records: list[dict[str, object]]) -> float:
        bodies = [
            json.dumps({"records": records[i : i + self.batch]}).encode() for i in range(0, len(records), self.batch)
        ]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        answered = 0
        started = time.perf_counter()
        for body in bodies:
            connection.request("POST", "/v1/predict/batch", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise SystemExit(f"batch route answered {response.status}: {payload[:300]!r}")
            answered += len(json.loads(payload)["predictions"])
        seconds = time.perf_counter() - started
        connection.close()
        if answered != len(records):
            raise SystemExit(f"the batch route answered {answered} of {len(records)} rows")
        return answered / seconds

    def stop(self) -> None:
        self._serving.__exit__(None, None, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a bake that ran make setup && make repro")
    parser.add_argument("--keep", type=Path, help="bake into this folder and keep it")
    parser.add_argument("--rows", type=int, help="contract-valid rows to score (default 200,000; 2,000 with --quick)")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small defaults for --rows and --rounds (seconds)")
    arguments = parser.parse_args()
    arguments.rows = arguments.rows or (2_000 if arguments.quick else 200_000)
    arguments.rounds = arguments.rounds or (1 if arguments.quick else 3)
    if arguments.project:
        project, env = arguments.project.resolve(), project_env(DEFAULTS["python_version"])
    else:
        work = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-score-"))
        project, env = prepare(work.resolve())
    package = project.name.replace("-", "_")
    logs = Path(tempfile.mkdtemp(prefix="bench-score-logs-"))
    stem = logs / "rows"
    run([str(project / ".venv" / "bin" / "python"), "-c", MAKE_ROWS.format(pkg=package), str(stem), str(arguments.rows)],
        project, env)  # fmt: skip

    rows = arguments.rows
    records = [json.loads(line) for line in stem.with_suffix(".jsonl").read_text().splitlines()]
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
            printed = run(f"{measure}make score INPUT={stem}.parquet OUTPUT={output}", project, env, timeout=1800)
            peak = re.search(r"peak-rss-kib=(\d+)", printed)
            if peak:
                peaks.append(int(peak.group(1)))
            made.append(rows / (time.perf_counter() - started))
            found = re.search(r"(\d+) of (\d+) rows scored.*\(([\d,]+) rows/s\)", printed)
            if not found or int(found.group(1)) != rows:
                raise SystemExit(f"make score did not score every row:\n{printed}")
            inside.append(float(found.group(3).replace(",", "")))
            served.append(service.rows_per_second(records))
    finally:
        service.stop()
    ratios = [m / h for m, h in zip(made, served, strict=True)]
    print(f"rows: {rows:,} contract-valid rows, champion model of {project.name}, {arguments.rounds} rounds (medians)")
    print(f"make score, whole command (make, uv, imports, Parquet in and out): {statistics.median(made):,.0f} rows/s")
    print(f"make score, its own figure (verify, contract, score, write): {statistics.median(inside):,.0f} rows/s")
    if peaks:
        mib = statistics.median(peaks) / 1024
        print(f"make score peak memory (largest process): {mib:,.0f} MiB, {mib / rows * 1e6:,.0f} MiB per million rows")
    print(f"HTTP /v1/predict/batch ({service.batch} records per request, 1 keep-alive client): "
          f"{statistics.median(served):,.0f} rows/s")  # fmt: skip
    print(f"ratio make score / HTTP batch route: {statistics.median(ratios):.2f}x "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    peak = f" make_score_peak_mib={statistics.median(peaks) / 1024:.0f}" if peaks else ""
    print(
        f"summary score: rows={rows} rounds={arguments.rounds} make_score_rows_per_s={statistics.median(made):.0f} "
        f"http_batch_rows_per_s={statistics.median(served):.0f} ratio={statistics.median(ratios):.2f}{peak}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
