"""Template maintainers' checks of the test harness itself: servers stop with their whole group, interpreters are real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import CHOICES, COMBINATIONS, INFRA_SET, find_interpreter, free_port, serve


def test_serve_waits_for_the_server_and_stops_its_whole_process_group(tmp_path: Path) -> None:
    port = free_port()
    # A shell that starts the server as a child: stopping must reach the grandchild too.
    command = ["sh", "-c", f"{sys.executable} -m http.server {port} --bind 127.0.0.1 & wait"]
    with serve(command, tmp_path, os.environ, ready_url=f"http://127.0.0.1:{port}/", log=tmp_path / "log") as process:
        group = os.getpgid(process.pid)
        assert group == process.pid  # a session of its own
    assert process.poll() is not None
    table = subprocess.run(["ps", "-e", "-o", "pgid=,stat=,args="], capture_output=True, text=True).stdout
    left = [
        line for line in table.splitlines() if line.split()[0] == str(group) and not line.split()[1].startswith("Z")
    ]
    assert left == [], left


def test_serve_fails_early_when_the_server_exits(tmp_path: Path) -> None:
    server = serve(["sh", "-c", "exit 3"], tmp_path, os.environ, ready_url=f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(RuntimeError, match="exited with 3"), server:
        pass


@pytest.mark.parametrize("version", CHOICES["python_version"])
def test_interpreters_found_by_uv_are_the_version_asked_for(version: str) -> None:
    interpreter = find_interpreter(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} on this machine (`uv python find`)")
    probe = subprocess.run(
        [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    )
    assert probe.stdout.strip() == version


def test_named_combinations_use_real_options_and_values() -> None:
    for name, answers in COMBINATIONS.items():
        for option, value in answers.items():
            assert value in CHOICES[option], (name, option, value)
    assert set(INFRA_SET) <= set(COMBINATIONS)
    assert {COMBINATIONS[name].get("cloud", CHOICES["cloud"][0]) for name in INFRA_SET} == set(CHOICES["cloud"])
