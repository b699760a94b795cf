"""`make demo`: bake the defaults, set the project up, check it, train, serve, and predict once.

Prints each step as it runs (its command, then its own output as it comes) and its time, then where to look
next. Re-running replaces the demo folder. `--quick` stops after the setup; the last line is the summary.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import CHOICES, bake, find_interpreter, free_port, project_env, serve


def step(title: str, command: str, root: Path, env: dict[str, str]) -> float:
    """Run one step with its output shown as it comes (indented); its seconds, or exit naming the step."""
    started = time.perf_counter()
    print(f"==> {title}: {command}", flush=True)
    with subprocess.Popen(
        command, shell=True, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"    {line.rstrip()}", flush=True)
    if process.returncode != 0:
        sys.exit(
            f"make demo: {title} (`{command}`) failed with exit {process.returncode} in {root}; its output is above"
        )
    seconds = time.perf_counter() - started
    print(f"==> {title}: ok in {seconds:.1f} s", flush=True)
    return seconds


def request(url: str, body: object | None = None, timeout: float = 5) -> object:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=timeout) as response:
        return json.loads(response.read())


def predict_once(root: Path, env: dict[str, str]) -> None:
    port = free_port()
    print(f"==> serve: make serve PORT={port}", flush=True)
    # serve(): a session of its own, so stopping it reaches uvicorn under `make` and `uv run` too.
    base = f"http://127.0.0.1:{port}"
    with serve(["make", "serve", f"PORT={port}"], root, env, ready_url=f"{base}/readyz", seconds=60):
        example = request(f"{base}/v1/model")["example"]  # type: ignore[index]
        prediction = request(f"{base}/v1/predict", example)
        print(f"    POST /v1/predict {json.dumps(example)}")
        print(f"    -> {json.dumps(prediction)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("build/demo"))
    parser.add_argument("--quick", action="store_true", help="bake and set up only (no check, pipeline or server)")
    arguments = parser.parse_args()
    output = arguments.output.resolve()
    shutil.rmtree(output, ignore_errors=True)
    # The default Python first; another supported one if this machine lacks it.
    version = next((v for v in CHOICES["python_version"] if find_interpreter(v)), None)
    if version is None:
        sys.exit(f"make demo needs one of Python {', '.join(CHOICES['python_version'])} on this machine")
    started = time.perf_counter()
    root = bake(output, python_version=version)
    seconds = {"bake": time.perf_counter() - started}
    print(f"==> baked the defaults (python_version={version}) into {root} in {seconds['bake']:.1f} s", flush=True)
    env = project_env(version)
    seconds["setup"] = step("setup", "make setup", root, env)
    if not arguments.quick:
        commit = "git -c user.name=demo -c user.email=demo@example.com commit -qm 'First commit'"
        seconds["commit"] = step("first commit", commit, root, env)
        seconds["check"] = step("check", "make check", root, env)
        seconds["repro"] = step("pipeline", "make repro", root, env)
        predict_once(root, env)
        print(
            f"""
Done. Where to look next, in {root}:
  README.md                       the map: areas, owners, first-day commands
  make metrics                    the headline: the gate's metric and decision, rows kept, drift
  reports/metrics.json            test-split metrics      reports/plots/*.png  ROC, confusion matrix, importances
  models/champion/                the model that ships    reports/registry.json  the gate's decision, both scores
  models/model_card.json          the new model's card    reports/drift.json   drift of a simulated batch
  make serve                      the API on http://127.0.0.1:8000/docs
  uv run mlflow ui --backend-store-uri sqlite:///mlflow.db    the tracked run and the 'champion' alias
"""
        )
    total = time.perf_counter() - started
    print("summary demo: " + " ".join(f"{name}_s={value:.1f}" for name, value in {**seconds, "total": total}.items()))


if __name__ == "__main__":
    main()
