"""`make dataset` on big CSVs: peak memory of its whole process tree and wall time, per file size.

Bakes the defaults into a scratch folder (or reuses a bake given with --project), runs `make setup`
and commits the bake once (not measured), then per size writes a seeded CSV of that many megabytes
(penguin-like columns: numbers with one decimal, whole numbers, categories, gaps, a 3-class target)
and runs `make dataset CSV=… TARGET=species` on a clean checkout (cold: no data file, no DVC cache),
sampling the RSS of every process under make every 50 ms and counting their CPU seconds. The
machine's load is printed beside the figures: on a shared machine the wall time follows it.

    python bench/dataset.py                     # 200 MB and 2000 MB
    python bench/dataset.py --sizes-mb 200      # one size
    python bench/dataset.py --quick             # a 1 MB file: the script works (tens of seconds: the bake)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
import harness

SEED = 0
# Rows generated once and repeated until the file reaches its size (a repeat is cheap to write).
BLOCK_ROWS = 200_000
_PAGE = os.sysconf("SC_PAGE_SIZE")


def block(rows: int, seed: int = SEED) -> str:
    """`rows` CSV lines (no header) of penguin-like data, drawn with `seed`."""
    draw = random.Random(seed)
    species = draw.choices(["Adelie", "Chinstrap", "Gentoo"], weights=[45, 20, 35], k=rows)
    island = draw.choices(["Biscoe", "Dream", "Torgersen"], k=rows)
    sex = draw.choices(["female", "male", ""], weights=[48, 48, 4], k=rows)
    lines = [
        f"{species[row]},{island[row]},{draw.gauss(44.0, 5.0):.1f},{draw.gauss(17.0, 2.0):.1f},"
        f"{draw.randint(170, 231)},{draw.randint(2700, 6299)},{sex[row]}"
        for row in range(rows)
    ]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, megabytes: float) -> int:
    """A CSV of about `megabytes` MB; returns its number of data rows."""
    text = block(BLOCK_ROWS)
    per_row = len(text) / BLOCK_ROWS
    wanted = int(megabytes * 1_000_000 / per_row)
    with path.open("w", encoding="utf-8") as file:
        file.write("species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\n")
        written = 0
        while written < wanted:
            rows = min(BLOCK_ROWS, wanted - written)
            file.write(text if rows == BLOCK_ROWS else "".join(text.splitlines(keepends=True)[:rows]))
            written += rows
    return written


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and every process under it."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def measured(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run `command`; its wall seconds, the CPU seconds of its processes (user + system: what the machine's
    load does not change), the peak RSS of its process tree, and its output."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, output = [0], [""]

    def drain() -> None:
        output[0] = process.stdout.read() if process.stdout else ""

    reader = threading.Thread(target=drain)
    reader.start()
    while process.poll() is None:
        peak[0] = max(peak[0], tree_rss(process.pid))
        time.sleep(0.05)
    reader.join()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed ({process.returncode}):\n{output[0][-4000:]}")
    return seconds, cpu, peak[0], output[0]


def prepared(workdir: Path, project: Path | None, env: dict[str, str]) -> Path:
    """A bake with `make setup` run and everything committed: the clean checkout each run starts from."""
    if project is None:
        project = harness.bake(workdir / "bake")
        harness.git_init(project)
        harness.setup(project, env)
    subprocess.run(["git", "add", "--all"], cwd=project, check=True)
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "bench", "--no-verify"],
        cwd=project,
        check=False,
        capture_output=True,
    )
    return project


def clean(project: Path, *, ignored_too: bool) -> None:
    """Back to the committed checkout with no data file; `ignored_too` also empties the DVC cache (a cold run). A bake
    given with --project keeps its ignored files: its trained models, registry and cache serve the other benches."""
    subprocess.run(["git", "reset", "--hard", "-q"], cwd=project, check=True)
    subprocess.run(["git", "clean", "-fdxq" if ignored_too else "-fdq", "-e", ".venv"], cwd=project, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes-mb", nargs="+", type=float, default=[200.0, 2000.0])
    parser.add_argument("--project", type=Path, help="a bake to reuse (its changes are committed, then reset)")
    parser.add_argument("--workdir", type=Path, help="where the bake and the CSVs go (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="one 1 MB file: checks the script, measures little")
    args = parser.parse_args()
    sizes = [1.0] if args.quick else args.sizes_mb
    env = harness.project_env(harness.DEFAULTS["python_version"])
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        project = prepared(workdir, args.project, env)
        figures: list[str] = []
        for megabytes in sizes:
            csv = workdir / f"penguins_{megabytes:g}mb.csv"
            rows = write_csv(csv, megabytes)
            clean(project, ignored_too=args.project is None)
            load = os.getloadavg()[0]
            seconds, cpu, peak, _ = measured(["make", "dataset", f"CSV={csv}", "TARGET=species"], project, env)
            size = csv.stat().st_size
            print(
                f"{size / 1e6:8.0f} MB  {rows:>11,} rows  {seconds:7.1f} s wall  {cpu:7.1f} s CPU"
                f"  peak RSS {peak / 1e6:7.0f} MB"
                f"  ({peak / size:.2f}x the file)  load {load:.2f}",
                flush=True,
            )
            key = f"mb{megabytes:g}".replace(".", "_")
            figures += [
                f"{key}_seconds={seconds:.1f}",
                f"{key}_cpu_seconds={cpu:.1f}",
                f"{key}_peak_rss_mb={peak / 1e6:.0f}",
                f"{key}_rows={rows}",
            ]
            csv.unlink()
        clean(project, ignored_too=args.project is None)
        print(f"summary dataset: {' '.join(figures)} load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
