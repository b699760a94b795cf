"""Template maintainers' checks of the test harness itself: servers stop with their whole group, interpreters are real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import (
    CHOICES,
    COMBINATIONS,
    INFRA_SET,
    StillRunning,
    ToolCrashRetried,
    find_interpreter,
    free_port,
    run,
    serve,
    setup,
    stop,
)


def live_members(group: int) -> list[str]:
    """`ps` lines of the processes of a group that still run (zombies left for init to reap do not)."""
    table = subprocess.run(["ps", "-e", "-o", "pgid=,stat=,args="], capture_output=True, text=True).stdout
    return [
        line for line in table.splitlines() if line.split()[0] == str(group) and not line.split()[1].startswith("Z")
    ]


def test_serve_waits_for_the_server_and_stops_its_whole_process_group(tmp_path: Path) -> None:
    port = free_port()
    # A shell that starts the server as a child: stopping must reach the grandchild too.
    command = ["sh", "-c", f"{sys.executable} -m http.server {port} --bind 127.0.0.1 & wait"]
    with serve(command, tmp_path, os.environ, ready_url=f"http://127.0.0.1:{port}/", log=tmp_path / "log") as process:
        group = os.getpgid(process.pid)
        assert group == process.pid  # a session of its own
    assert process.poll() is not None
    assert live_members(group) == []


def test_serve_fails_early_when_the_server_exits(tmp_path: Path) -> None:
    server = serve(["sh", "-c", "exit 3"], tmp_path, os.environ, ready_url=f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(RuntimeError, match="exited with 3"), server:
        pass


def test_stop_that_must_succeed_fails_on_a_group_that_ignores_the_signal_and_kills_it(tmp_path: Path) -> None:
    """A server that must shut down by itself (the service on Ctrl-C) fails the test when it lingers."""
    process = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60 & wait"], cwd=tmp_path, start_new_session=True)
    time.sleep(0.2)  # the trap is set
    with pytest.raises(StillRunning, match=r"still running 0.5s after SIGTERM"):
        stop(process, grace=0.5, must_stop=True)
    assert process.poll() == -signal.SIGKILL
    assert live_members(process.pid) == []


def test_stop_without_a_signal_waits_for_a_group_the_test_signalled_and_sends_nothing(tmp_path: Path) -> None:
    """A drain under test: the test sent SIGTERM itself; a second one would force the exit it is testing."""
    process = subprocess.Popen(
        ["sh", "-c", "trap 'echo once >> signals; sleep 0.5; exit 5' TERM; sleep 60 & wait"],
        cwd=tmp_path,
        start_new_session=True,
    )
    time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    assert stop(process, None, grace=10, must_stop=True) == 5
    assert (tmp_path / "signals").read_text() == "once\n"
    assert live_members(process.pid) == []


def test_stop_without_a_signal_fails_on_a_group_that_never_stops(tmp_path: Path) -> None:
    process = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60 & wait"], cwd=tmp_path, start_new_session=True)
    time.sleep(0.2)
    with pytest.raises(StillRunning, match=r"still running 0.5s after its signal"):
        stop(process, None, grace=0.5, must_stop=True)
    assert process.poll() == -signal.SIGKILL
    assert live_members(process.pid) == []


def test_serve_that_never_gets_ready_fails_with_the_end_of_its_log(tmp_path: Path) -> None:
    server = serve(
        ["sh", "-c", "echo the model file is missing; exit 4"],
        tmp_path,
        os.environ,
        ready_url=f"http://127.0.0.1:{free_port()}/",
        log=tmp_path / "log",
    )
    with pytest.raises(RuntimeError, match=r"(?s)exited with 4.*its log ends:\nthe model file is missing"), server:
        pass


def test_stop_returns_the_exit_code_of_a_group_that_shuts_down(tmp_path: Path) -> None:
    process = subprocess.Popen(
        ["sh", "-c", "trap 'exit 7' TERM; sleep 60 & wait"], cwd=tmp_path, start_new_session=True
    )
    time.sleep(0.2)
    assert stop(process, grace=10, must_stop=True) == 7
    assert live_members(process.pid) == []


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


def makefile_whose_setup(folder: Path, first_run: str) -> Path:
    """A Makefile whose `setup` runs `first_run` the first time (a crash or a refusal) and succeeds after."""
    recipe = f"if [ -e ran ]; then echo set up; else touch ran; {first_run}; fi"
    (folder / "Makefile").write_text(f"setup:\n\t@sh -c '{recipe}'\n")
    return folder


def test_setup_runs_again_after_a_tool_crash_and_says_so(tmp_path: Path) -> None:
    folder = makefile_whose_setup(tmp_path, "kill -SEGV $$$$")
    with pytest.warns(ToolCrashRetried, match=r"Segmentation fault; ran it again"):
        assert "set up" in setup(folder, os.environ).splitlines()


def test_setup_does_not_retry_a_refusal(tmp_path: Path) -> None:
    folder = makefile_whose_setup(tmp_path, "echo refused; exit 1")
    with pytest.raises(AssertionError, match=r"(?s)failed with exit 2.*refused.*Error 1"):
        setup(folder, os.environ)
    assert (folder / "ran").exists()


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path: Path) -> None:
    """What bake sharing rests on: `--dist loadgroup` keeps a group on one worker (pytest 9.2 broke it silently)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_grouped.py").write_text(
        "import os, pathlib, pytest\n"
        "@pytest.mark.xdist_group('one')\n"
        "@pytest.mark.parametrize('i', range(8))\n"
        "def test_record_the_worker(i):\n"
        "    pathlib.Path(f'ran-{i}').write_text(os.environ['PYTEST_XDIST_WORKER'])\n"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {path.read_text() for path in tmp_path.glob("ran-*")}
    assert len(list(tmp_path.glob("ran-*"))) == 8
    assert len(workers) == 1, f"one group ran on {sorted(workers)}"


def test_run_past_its_timeout_kills_the_whole_group_and_says_so(tmp_path: Path) -> None:
    """A grandchild that holds the output pipe open (a hung pytest worker under make) must not stall the caller."""
    marker = tmp_path / "grandchild.pid"
    with pytest.raises(AssertionError, match=r"timed out after 2 s"):
        run(f"sh -c 'sleep 600 & echo $! > {marker}; wait'", tmp_path, os.environ, timeout=2)
    state = subprocess.run(["ps", "-o", "stat=", "-p", marker.read_text().strip()], capture_output=True, text=True)
    assert state.stdout.strip() in {"", "Z"}  # gone, or a zombie left for init to reap
