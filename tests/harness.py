"""Template maintainers' test harness: bakes (pytest-cookies, session cache), combinations, interpreters, servers.

Tests get bakes through the fixtures in conftest.py (`baked`, `cookies`, `cookies_session`); bench scripts
and tests that need a bake outside a fixture call `bake()`. Everything that starts a process and waits
for it goes through `serve()`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property, partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
OPTIONS: dict[str, object] = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
CHOICES: dict[str, list[str]] = {
    key: value for key, value in OPTIONS.items() if isinstance(value, list) and not key.startswith("_")
}
DEFAULTS: dict[str, str] = {key: value[0] for key, value in CHOICES.items()}

# Named answer combinations shared by the test modules and benches (defaults elsewhere).
COMBINATIONS: dict[str, dict[str, str]] = {
    "defaults": {},
    "aws-github": {"cloud": "aws", "ci": "github"},
    "gcp-gitlab": {"cloud": "gcp", "ci": "gitlab"},
    "azure-no-ci-no-tracking": {"cloud": "azure", "ci": "none", "experiment_tracking": "none"},
    "no-cloud-github": {"cloud": "none", "ci": "github"},
    "no-cloud-no-ci-no-tracking": {"cloud": "none", "ci": "none", "experiment_tracking": "none"},
    # Each CI system's files with every cloud (CI security checks), and without MLflow.
    "gcp-github": {"cloud": "gcp", "ci": "github"},
    "azure-github": {"cloud": "azure", "ci": "github"},
    "aws-gitlab": {"cloud": "aws", "ci": "gitlab"},
    "azure-gitlab": {"cloud": "azure", "ci": "gitlab"},
    "no-cloud-gitlab": {"cloud": "none", "ci": "gitlab"},
    "aws-github-no-tracking": {"cloud": "aws", "ci": "github", "experiment_tracking": "none"},
    "aws-gitlab-no-tracking": {"cloud": "aws", "ci": "gitlab", "experiment_tracking": "none"},
    "aws-no-ci-no-tracking": {"cloud": "aws", "ci": "none", "experiment_tracking": "none"},
    "no-cloud-github-no-tracking": {"cloud": "none", "ci": "github", "experiment_tracking": "none"},
    # Other interpreters and licences (generated-project tier, local stack).
    "gcp-gitlab-no-tracking-py3.13": {
        "python_version": "3.13",
        "cloud": "gcp",
        "ci": "gitlab",
        "experiment_tracking": "none",
        "license": "Apache-2.0",
    },
    "azure-no-ci-py3.11": {"python_version": "3.11", "cloud": "azure", "ci": "none", "license": "BSD-3-Clause"},
    # The licence without an SPDX id (conventions: `LicenseRef-Proprietary`).
    "no-cloud-gitlab-no-tracking-proprietary": {
        "license": "Proprietary",
        "ci": "gitlab",
        "cloud": "none",
        "experiment_tracking": "none",
    },
}
# Every cloud and every CI value once, the static infra and monitoring checks bake these.
INFRA_SET = ("aws-github", "gcp-gitlab", "azure-no-ci-no-tracking", "no-cloud-github")


def combinations(*names: str) -> list[dict[str, str]]:
    """The named combinations, as fresh dicts in the order given."""
    return [dict(COMBINATIONS[name]) for name in names]


def combo_id(answers: Mapping[str, str]) -> str:
    """Readable test id such as `cloud:gcp-ci:gitlab`."""
    return "-".join(f"{key}:{value}" for key, value in answers.items()) or "defaults"


def grouped_param(combo: Mapping[str, str], group: str) -> object:
    """One answer combination as a pytest param, grouped so the tests sharing its bake run on one xdist worker."""
    name = combo_id(combo)
    return pytest.param(dict(combo), id=name, marks=pytest.mark.xdist_group(f"{group}-{name}"))


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


# Bakes
# ------------------------------------------------------------------------------------------------


class BakeError(AssertionError):
    """A bake that should have worked did not."""


class _Result(Protocol):
    exception: BaseException | None
    exit_code: int | str | None

    @property
    def project_path(self) -> Path | None: ...


class _Cookies(Protocol):
    def bake(self, extra_context: Mapping[str, Any] | None = ..., template: str | None = ...) -> _Result: ...


def bake(output_dir: Path, **answers: str) -> Path:
    """Bake the template with these answers (defaults elsewhere) outside pytest (benches, scripts)."""
    return Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def baked_path(result: _Result) -> Path:
    """The project folder of a pytest-cookies result, or fail with the bake's own error."""
    if result.exception is not None or result.project_path is None:
        raise BakeError(f"the bake failed (exit {result.exit_code}): {result.exception!r}") from result.exception
    return result.project_path


def git_init(root: Path) -> None:
    """Make a bake a git repository (actionlint, zizmor and `git ls-files` expect one)."""
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)


class BakeCache:
    """Session-wide bakes keyed by answers: each combination is baked once per worker and shared read-only.

    A test that writes into a bake takes `copy()` instead of the shared folder.
    """

    def __init__(self, cookies: _Cookies) -> None:
        self._cookies = cookies
        self._bakes: dict[tuple[tuple[str, str], ...], Path] = {}

    def __call__(self, answers: Mapping[str, str]) -> Path:
        key = tuple(sorted((k, str(v)) for k, v in answers.items()))
        if key not in self._bakes:
            root = baked_path(self._cookies.bake(extra_context=dict(answers)))
            git_init(root)
            self._bakes[key] = root
        return self._bakes[key]

    def copy(self, answers: Mapping[str, str], destination: Path) -> Path:
        """A private, writable copy of the shared bake (without its git folder)."""
        source = self(answers)
        target = destination / source.name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".git"))
        return target


def answers_of(root: Path) -> dict[str, Any]:
    """The answers a bake recorded (its one answers file, cruft's `.cruft.json`)."""
    return dict(json.loads((root / ".cruft.json").read_text())["context"]["cookiecutter"])


@dataclass
class Project:
    """A bake whose own commands the tests run: its folder, their environment, and the answers it recorded."""

    root: Path
    env: dict[str, str]

    @cached_property
    def answers(self) -> dict[str, Any]:
        """Every answer of the bake, defaults and derived names included (its `.cruft.json`)."""
        return answers_of(self.root)

    @property
    def slug(self) -> str:
        return str(self.answers["project_slug"])

    @property
    def package(self) -> str:
        return str(self.answers["package_name"])

    @property
    def task(self) -> str:
        return str(self.answers["task"])

    @property
    def python(self) -> str:
        """The interpreter of the bake's environment (after `make setup`)."""
        return str(self.root / ".venv" / "bin" / "python")

    def run(self, command: Sequence[str] | str, timeout: float = 900) -> str:
        return run(command, self.root, self.env, timeout=timeout)


def project_files(root: Path) -> set[str]:
    """Every file of a bake as a posix path relative to its root (git internals excluded)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


class AnyTagLoader(yaml.SafeLoader):
    """Parses YAML with application tags (mkdocs' !!python/name, GitLab's !reference) as plain nodes."""


AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)
DATA_SUFFIXES = {".json", ".ipynb", ".toml", ".yml", ".yaml"}


def parse_data_file(path: Path) -> Any:
    """A JSON, notebook or TOML file's content, or a YAML file's list of documents; fails naming the file."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in {".json", ".ipynb"}:
            return json.loads(text)
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return list(yaml.load_all(text, Loader=AnyTagLoader))  # noqa: S506 - a SafeLoader subclass
    except (ValueError, yaml.YAMLError) as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise AssertionError(f"{path} does not parse: {error}") from error


def data_files(root: Path) -> dict[str, Any]:
    """Every JSON, notebook, TOML and YAML file of a bake, parsed, by posix path relative to its root."""
    return {
        relative: parse_data_file(root / relative)
        for relative in sorted(project_files(root))
        if Path(relative).suffix in DATA_SUFFIXES
    }


# Interpreters and commands
# ------------------------------------------------------------------------------------------------


def _search_path() -> str:
    """PATH for interpreter discovery: pyenv's installed versions added, its shims (which fail here) dropped."""
    entries = [
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and "shims" not in Path(entry).parts
    ]
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        if root:
            entries[:0] = [str(p) for p in sorted(Path(root).glob("versions/*/bin"), reverse=True)]
    return os.pathsep.join(entries)


_INTERPRETERS: dict[str, str | None] = {}


def find_interpreter(version: str) -> str | None:
    """An absolute path to a system python<version> found by `uv python find` (no downloads), or None."""
    if version not in _INTERPRETERS:
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"
        env = {**os.environ, "PATH": _search_path(), "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        found = subprocess.run(
            [uv, "python", "find", "--system", "--no-project", version], capture_output=True, text=True, env=env
        )
        _INTERPRETERS[version] = found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None
    return _INTERPRETERS[version]


def project_env(python_version: str) -> dict[str, str]:
    """Environment for commands run inside a bake: the right interpreter, no downloads, no outer venv."""
    interpreter = find_interpreter(python_version)
    if interpreter is None:
        raise LookupError(f"no Python {python_version} interpreter on this machine (`uv python find`)")
    # PYTHONDONTWRITEBYTECODE is dropped: a user's machine caches bytecode, and without it every
    # process of the bake re-compiles scikit-learn and friends (seconds per stage).
    # MAKEFLAGS/MAKELEVEL/MFLAGS are dropped too: the bake's make runs as in a person's terminal, not as a
    # sub-make of the template's `make test` (which would add "Entering directory" lines to its output).
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(UV_PYTHON=interpreter, UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    # The template's own venv carries uv; pyenv shims would pick the bake's .python-version.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run(command: Sequence[str] | str, cwd: Path, env: Mapping[str, str], timeout: float = 900) -> str:
    """Run a command, return its combined output, and fail with that output when it fails.

    The command runs in its own process group: past `timeout` the whole group is killed (make, uv, pytest and its
    workers), so a hung grandchild cannot hold the output pipe open and stall the test past its timeout."""
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        shell=isinstance(command, str),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise AssertionError(f"`{command}` timed out after {timeout:g} s in {cwd}:\n{output[-8000:]}") from None
    if process.returncode != 0:
        raise AssertionError(f"`{command}` failed with exit {process.returncode} in {cwd}:\n{output[-8000:]}")
    return output


class ToolCrashRetried(UserWarning):
    """`make setup` was run again because a tool it runs died by a crash signal (shown in the warnings summary)."""


# make names a recipe's death by signal with strsignal(3): "make: *** [Makefile:21: setup] Segmentation fault".
# An exit status ("Error 1") is a refusal and is never retried.
_CRASHED = re.compile(r"^make(?:\[\d+\])?: \*\*\* \[.*\] (Segmentation fault|Bus error)", re.MULTILINE)


def setup(cwd: Path, env: Mapping[str, str], timeout: float = 900) -> str:
    """`make setup` in a bake, run once more if a tool crashed (uv 0.13.9's `uv sync` died by SIGSEGV in one of
    about 40 setups of one CI run); it is idempotent, so the second run checks the same thing."""
    try:
        return run("make setup", cwd, env, timeout=timeout)
    except AssertionError as failure:
        crash = _CRASHED.search(str(failure))
        if crash is None:
            raise
        warnings.warn(ToolCrashRetried(f"`make setup` in {cwd.name}: {crash.group(0)}; ran it again"), stacklevel=2)
        return run("make setup", cwd, env, timeout=timeout)


def debian_tool(executable: str, package: str) -> str:
    """A tool from PATH, installed from its Debian package when root with apt-get (as on CI); else skip."""
    found = shutil.which(executable)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{executable} is not installed (Debian package `{package}`) and this user cannot apt-get it")
    # Two xdist workers may get here at once: one installs, the other waits for the lock.
    with open(Path(tempfile.gettempdir()) / "mlroles-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shutil.which(executable) is None:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for command in (
                ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
            ):
                result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
                if result.returncode != 0:
                    pytest.skip(f"{executable} could not be installed with {' '.join(command)}: {result.stderr[-300:]}")
    found = shutil.which(executable)
    if found is None:
        pytest.skip(f"the Debian package `{package}` installed no {executable} on PATH")
    return found


# Servers
# ------------------------------------------------------------------------------------------------


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


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal is still a member
        return True
    return True


class StillRunning(AssertionError):
    """A process group that had not stopped by the end of its grace period (it has been killed since)."""


def stop(
    process: subprocess.Popen[bytes], sig: int | None = signal.SIGTERM, grace: float = 20.0, must_stop: bool = False
) -> int:
    """Signal the process group of a server we started and wait for all of it; kill what lingers.

    The group outlives its leader when the leader is `make` or a shell: uvicorn under it must stop too.
    With `must_stop`, lingering fails (StillRunning, after the kill): the server had to shut down on `sig`.
    `sig=None` sends nothing: the test signalled the group itself (mid-load) and a second signal would
    force an exit instead of the drain under test.
    """
    group = process.pid
    if process.poll() is None and sig is not None:
        os.killpg(group, sig)
    deadline = time.monotonic() + grace
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    lingered = _group_alive(group)
    if lingered:
        os.killpg(group, signal.SIGKILL)
    process.wait()
    if lingered and must_stop:
        after = signal.Signals(sig).name if sig is not None else "its signal"
        raise StillRunning(f"process group {group} was still running {grace:g}s after {after}")
    return int(process.returncode)


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """The files of `folder` over HTTP on 127.0.0.1 (a free port, a thread of this process): its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    ready_url: str | None = None,
    log: Path | None = None,
    seconds: float = 120.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group, wait for `ready_url` to answer 200, stop the group on exit.

    A test that asserts how the server shuts down stops it inside the block (`stop(…, must_stop=True)`);
    the exit then finds the group gone. A server that never answers fails with the end of its `log`.
    """
    output = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        list(command), cwd=cwd, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        if ready_url is not None:
            try:
                wait_http(ready_url, process, seconds)
            except RuntimeError as error:
                if log is None:
                    raise
                raise RuntimeError(f"{error}; its log ends:\n{log.read_text(errors='replace')[-4000:]}") from None
        yield process
    finally:
        stop(process)
        if log is not None and not isinstance(output, int):
            output.close()
