"""The baked project the service tests share: defaults, `make setup`, `make repro`, a champion model.

tests/test_service.py and tests/test_service_hostile.py both need a trained bake. They run in
one xdist group (one worker), so the bake is made once per worker and task and reused by both.
Set SERVICE_PROJECT to the folder of a bake that already ran `make setup && make repro` to reuse
it while iterating on these tests (its own answers file says which task it is).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import DEFAULTS, Project, bake, project_env, run, setup, stop

SETUP_TIMEOUT = 1800
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
CHAMPION = Path("models") / "champion"


class TrainedProject(Project):
    """A bake after `make setup` and `make repro`: the champion model the service serves is in place."""

    @property
    def champion(self) -> Path:
        return self.root / CHAMPION / "model.onnx"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


_BAKED: dict[str, TrainedProject] = {}


def broken(record: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """`record` with one field the contract refuses, the field's name and the error type the service must give.

    The field is found in the JSON schema the service publishes (`/v1/model`'s `input_schema`): the
    first with an upper bound gets a value above it, else the first with categories an unknown one.
    """
    for name, spec in schema["properties"].items():
        present = next((part for part in spec.get("anyOf", [spec]) if part.get("type") != "null"), spec)
        if "maximum" in present:
            return {**record, name: present["maximum"] + abs(present["maximum"]) + 1}, name, "less_than_equal"
        if "enum" in present:
            return {**record, name: "+".join(map(str, present["enum"]))}, name, "literal_error"
    raise AssertionError(f"no field of {sorted(schema['properties'])} has a range or categories to break")


def ensure_champion(root: Path) -> None:
    """The service serves models/champion/. Until `make repro` writes it, promote models/model.onnx."""
    folder = root / CHAMPION
    if (folder / "model.onnx").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "model_card.json"):
        shutil.copy2(root / "models" / name, folder / name)


def trained_project(tmp_path_factory: pytest.TempPathFactory, task: str = DEFAULTS["task"]) -> TrainedProject:
    """One trained bake of the defaults (with this `task`) per test worker."""
    if task in _BAKED:
        return _BAKED[task]
    try:
        env = project_env(DEFAULTS["python_version"])
    except LookupError as error:
        pytest.skip(str(error))
    reuse = os.environ.get("SERVICE_PROJECT")
    if reuse:
        root = Path(reuse).resolve()
    else:
        root = bake(tmp_path_factory.mktemp(f"service-{task}"), task=task)
        setup(root, env, timeout=SETUP_TIMEOUT)
        run("make repro", root, env, timeout=SETUP_TIMEOUT)
    ensure_champion(root)
    _BAKED[task] = TrainedProject(root=root, env=env)
    return _BAKED[task]


def call(
    base: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> Answer:
    """One HTTP request to the loopback server; error statuses are answers, not exceptions."""
    request = urllib.request.Request(f"{base}{path}", data=body, headers=headers or {}, method=method)
    if body is not None and not request.has_header("Content-type"):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def stop_gracefully(
    process: subprocess.Popen[bytes],
    log: Path,
    sig: signal.Signals = signal.SIGINT,
    expected_errors: frozenset[str] = frozenset(),
) -> None:
    """Stop the service's process group with `sig` (Ctrl-C in a terminal by default) and expect a graceful shutdown.

    The harness's `stop()` signals the group once and fails if it is still running after STOP_TIMEOUT. No error
    may be logged, except those of the requests whose ids are in `expected_errors`.
    """
    stop(process, sig, grace=STOP_TIMEOUT, must_stop=True)
    lines = log_lines(log)
    messages = " | ".join(line["message"] for line in lines)
    assert "Finished server process" in messages, log.read_text()[-4000:]
    errors = [line for line in lines if line["level"] in {"error", "critical"}]
    assert not [line for line in errors if line.get("request_id") not in expected_errors], log.read_text()[-4000:]
