"""Median time to bake the defaults through the `cookiecutter` command (5 runs after a warm-up).

python bench/bake.py           # 5 runs after a warm-up
python bench/bake.py --quick   # one run, no warm-up (the template test's check that this still runs)
"""

from __future__ import annotations

import argparse
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one bake, no warm-up (seconds)")
    options = parser.parse_args()
    runs = 1 if options.quick else RUNS
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder)
        if not options.quick:
            bake_once(output)  # warm-up: imports, file cache
        times = [bake_once(output) for _ in range(runs)]
        files = len(project_files(next(output.iterdir())))
    median = statistics.median(times)
    print(
        f"bake (defaults, `cookiecutter --no-input`): median {median:.2f} s over {runs} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); {files} files"
    )
    print(f"summary bake: median_s={median:.2f} runs={runs} files={files}")


if __name__ == "__main__":
    main()
