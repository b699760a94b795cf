"""Helpers shared by the template's tests: bake a project, find interpreters, run commands."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
OPTIONS: dict[str, object] = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
CHOICES: dict[str, list[str]] = {
    key: value for key, value in OPTIONS.items() if isinstance(value, list) and not key.startswith("_")
}
DEFAULTS: dict[str, str] = {key: value[0] for key, value in CHOICES.items()}
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv"))


def bake(output_dir: Path, **answers: str) -> Path:
    """Bake the template with these answers (defaults elsewhere) and return the project folder."""
    return Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def combo_id(answers: Mapping[str, str]) -> str:
    """Readable test id such as `cloud:gcp-ci:gitlab`."""
    return "-".join(f"{key}:{value}" for key, value in answers.items()) or "defaults"


def find_interpreter(version: str) -> str | None:
    """An absolute path to a working python<version>, or None.

    pyenv shims fail on this kind of machine, so look inside the pyenv versions first.
    """
    candidates = sorted(PYENV_ROOT.glob(f"versions/{version}.*/bin/python3"), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        probe = subprocess.run([str(candidate), "-c", "import sys; print(sys.version)"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.startswith(version):
            return str(candidate)
    return None


def project_env(python_version: str) -> dict[str, str]:
    """Environment for commands run inside a bake: the right interpreter, no downloads, no outer venv."""
    interpreter = find_interpreter(python_version)
    if interpreter is None:
        raise LookupError(f"no Python {python_version} interpreter on this machine")
    # PYTHONDONTWRITEBYTECODE is dropped: a user's machine caches bytecode, and without it every
    # process of the bake re-compiles scikit-learn and friends (seconds per stage).
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(UV_PYTHON=interpreter, UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    # The template's own venv carries uv; pyenv shims would pick the bake's .python-version.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run(command: Sequence[str] | str, cwd: Path, env: Mapping[str, str], timeout: float = 900) -> str:
    """Run a command, return its combined output, and fail with that output when it fails."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env),
        shell=isinstance(command, str),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"`{command}` failed with exit {result.returncode} in {cwd}:\n{result.stdout[-8000:]}")
    return result.stdout


def project_files(root: Path) -> set[str]:
    """Every file of a bake as a posix path relative to its root (git internals excluded)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def pairwise(choices: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """A small, deterministic set of answer combinations covering every pair of choice values.

    Greedy: each new combination takes, option by option, the value that covers the most
    still-uncovered pairs with the values already chosen (ties go to the earlier value).
    """
    names = list(choices)
    uncovered = {
        ((a, va), (b, vb))
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        for va in choices[a]
        for vb in choices[b]
    }
    combos: list[dict[str, str]] = []
    while uncovered:
        first_pair = min(uncovered, key=lambda pair: (names.index(pair[0][0]), names.index(pair[1][0]), pair))
        combo = {first_pair[0][0]: first_pair[0][1], first_pair[1][0]: first_pair[1][1]}
        for name in names:
            if name in combo:
                continue
            combo[name] = max(
                choices[name],
                key=lambda value: (
                    sum(
                        (((other, combo[other]), (name, value)) in uncovered)
                        or (((name, value), (other, combo[other])) in uncovered)
                        for other in combo
                    ),
                    -list(choices[name]).index(value),
                ),
            )
        ordered = {name: combo[name] for name in names}
        uncovered -= {((a, ordered[a]), (b, ordered[b])) for i, a in enumerate(names) for b in names[i + 1 :]}
        combos.append(ordered)
    return combos


def grouped_param(combo: Mapping[str, str], group: str) -> object:
    """One answer combination as a pytest param, grouped so the tests sharing its bake run on one xdist worker."""
    name = combo_id(combo)
    return pytest.param(dict(combo), id=name, marks=pytest.mark.xdist_group(f"{group}-{name}"))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    """Wait until `url` answers 200; fail early if the server process has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {seconds}s")
