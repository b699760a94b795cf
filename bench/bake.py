"""Median time to bake the defaults through the `cookiecutter` command (5 runs after a warm-up)."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import TEMPLATE_DIR, project_files

RUNS = 5


def bake_once(output: Path) -> float:
    cookiecutter = shutil.which("cookiecutter", path=str(Path(sys.executable).parent)) or "cookiecutter"
    started = time.perf_counter()
    subprocess.run(
        [cookiecutter, "--no-input", "-f", "-o", str(output), str(TEMPLATE_DIR)], check=True, capture_output=True
    )
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder)
        bake_once(output)  # warm-up: imports, file cache
        times = [bake_once(output) for _ in range(RUNS)]
        files = len(project_files(next(output.iterdir())))
    print(
        f"bake (defaults, `cookiecutter --no-input`): median {statistics.median(times):.2f} s over {RUNS} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); {files} files"
    )


if __name__ == "__main__":
    main()
