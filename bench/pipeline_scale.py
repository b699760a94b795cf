"""Pipeline at scale: per-stage wall time and peak RSS at 100k, 1M and 10M rows, and growth per 10x.

Bakes the defaults into a scratch folder, sets it up, then for each size resamples the bundled
example (rows drawn with replacement, Gaussian noise on every numeric column, gaps kept) into a
CSV, points `ingest.source` at it and measures:

- the whole pipeline forced (`dvc repro --force`, what a cold `make repro` runs), and
- every stage on its own (`python -m <pkg>_pipelines <stage>`), in the pipeline's order.

Peak RSS is the largest resident set of the measured process tree (getrusage of children, in a
fresh wrapper process per measurement). One run on the bundled example comes first, so that no
figure includes compiling the libraries' bytecode. The machine's load (`uptime`) is printed with each size,
because a shared machine makes every figure noisier.

    python bench/pipeline_scale.py                           # 100k, 1M and 10M rows
    python bench/pipeline_scale.py --sizes 100000 1000000    # skip the 10M run
    python bench/pipeline_scale.py --template /path/to/a/checkout --workdir /tmp/scale
    python bench/pipeline_scale.py --quick --project DIR/<slug>   # 1,000 rows on a copy of a trained bake

`--project` takes a bake that already ran `make setup && make repro` and measures a copy of it
(its files, with the bake's own environment linked in), so the bake itself is left as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
import harness
import yaml

GOALS = "goals on 2 cores: cold make repro <= 30 s at 1M rows, <= 300 s at 10M; peak RSS <= 4 GB at 10M"

# Runs inside a fresh process: the command's wall time, and the CPU time and peak RSS (KiB on Linux) of its
# whole tree. On a shared machine wall time follows the load; CPU time much less so.
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
figures = {"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss}
open(sys.argv[1], "w").write(json.dumps(figures))
"""

# Runs with the bake's own interpreter (pandas, numpy and pyarrow live there, not in the template's venv).
# Resamples in chunks so that generating 10M rows needs no more memory than 1M.
GENERATOR = """
import sys
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from {pkg}_core import NUMERIC_COLUMNS, data_path

rows, target = int(sys.argv[1]), sys.argv[2]
example = pd.read_csv(data_path())
spread = example[list(NUMERIC_COLUMNS)].std()
rng = np.random.default_rng(14)
chunk = 1_000_000
with pacsv.CSVWriter(target, pa.Schema.from_pandas(example, preserve_index=False)) as writer:
    for start in range(0, rows, chunk):
        size = min(chunk, rows - start)
        part = example.iloc[rng.integers(0, len(example), size)].reset_index(drop=True)
        for column in NUMERIC_COLUMNS:
            # Noise of 5% of the column's spread keeps the classes apart and values inside the contract.
            part[column] = (part[column] + rng.normal(0.0, 0.05 * spread[column], size)).round(2)
        writer.write_table(pa.Table.from_pandas(part, preserve_index=False))
"""


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def measure(command: list[str], root: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (GB) of one command, or an error with its output."""
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        completed = subprocess.run(
            [sys.executable, "-c", WRAPPER, result.name, *command],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        figures = json.loads(Path(result.name).read_text() or "{}")
    if completed.returncode != 0 or figures.get("code") != 0:
        raise SystemExit(f"`{' '.join(command)}` failed in {root}:\n{completed.stdout[-4000:]}")
    return figures["wall"], figures["cpu"], figures["peak_kib"] * 1024 / 1e9


def stages(root: Path) -> list[str]:
    """The pipeline's stages in file order (which is also its dependency order)."""
    return list(yaml.safe_load((root / "dvc.yaml").read_text())["stages"])


def set_params(root: Path, assignments: list[str]) -> None:
    """SECTION.KEY=VALUE pairs into params.yaml (e.g. a wider ONNX parity tolerance over millions of rows)."""
    params_file = root / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    for assignment in assignments:
        key, value = assignment.split("=", 1)
        section, name = key.split(".", 1)
        params[section][name] = yaml.safe_load(value)
    if assignments:
        params_file.write_text(yaml.safe_dump(params, sort_keys=False))


def point_ingest_at(root: Path, source: Path) -> None:
    params_file = root / "params.yaml"
    text = params_file.read_text()
    current = yaml.safe_load(text)["ingest"]["source"]
    params_file.write_text(text.replace(f"source: {current}", f"source: {source}", 1))


FORCED = "make repro (cold, forced)"


def bench_size(
    root: Path, env: dict[str, str], rows: int, data: Path, forced: bool = True
) -> dict[str, tuple[float, float, float]]:
    """Every stage on its own at `rows` rows, after the whole pipeline forced (unless `forced` is false)."""
    package = root.name.replace("-", "_")
    source = data / f"resampled-{rows}.csv"
    if not source.exists():
        harness.run(
            [str(root / ".venv/bin/python"), "-c", GENERATOR.format(pkg=package), str(rows), str(source)], root, env
        )
    point_ingest_at(root, source)
    print(f"\n## {rows:,} rows ({source.stat().st_size / 1e6:.0f} MB CSV); load: {load()}", flush=True)
    figures = {FORCED: measure(["uv", "run", "--no-sync", "dvc", "repro", "--force"], root, env)} if forced else {}
    for stage in stages(root):
        figures[stage] = measure([str(root / ".venv/bin/python"), "-m", f"{package}_pipelines", stage], root, env)
    print("| stage | wall s | CPU s | peak RSS GB |\n|---|---:|---:|---:|")
    for name, (wall, cpu, peak) in figures.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:.2f} |", flush=True)
    print(f"load after: {load()}")
    return figures


def growth(results: dict[int, dict[str, tuple[float, float, float]]]) -> None:
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:], strict=False):
        factor = large / small
        print(f"\n## growth {small:,} -> {large:,} rows (x{factor:g}): wall, CPU and peak RSS ratios")
        print("| stage | wall | CPU | RSS |\n|---|---:|---:|---:|")
        for name, (wall, cpu, peak) in results[large].items():
            base_wall, base_cpu, base_peak = results[small][name]
            print(f"| {name} | {wall / base_wall:.1f}x | {cpu / base_cpu:.1f}x | {peak / base_peak:.1f}x |")


def copy_of(project: Path, folder: Path) -> Path:
    """A copy of a set-up bake to measure in: its files without the DVC cache, its `.venv` linked, not copied."""
    target = folder / project.name
    if not target.exists():

        def ignore(folder: str, names: list[str]) -> set[str]:
            if Path(folder) == project:
                return {".venv"}  # linked below
            return {"cache", "tmp"} & set(names) if Path(folder) == project / ".dvc" else set()

        shutil.copytree(project, target, symlinks=True, ignore=ignore)
        (target / ".venv").symlink_to(project / ".venv")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", help="rows per run (default: 100k, 1M and 10M)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 rows unless --sizes says otherwise, each stage once, no forced repro",
    )
    parser.add_argument("--project", type=Path, help="a bake that ran make setup && make repro: measure a copy")
    parser.add_argument("--template", type=Path, default=harness.TEMPLATE_DIR, help="template checkout to bake")
    parser.add_argument("--workdir", type=Path, help="scratch folder to keep (default: a temporary one)")
    parser.add_argument("--python", default="3.12", help="the bake's Python version (default: %(default)s)")
    parser.add_argument(
        "--param", action="append", default=[], metavar="SECTION.KEY=VALUE", help="set a params.yaml value first"
    )
    arguments = parser.parse_args()
    sizes = arguments.sizes or ([1_000] if arguments.quick else [100_000, 1_000_000, 10_000_000])
    harness.TEMPLATE_DIR = arguments.template.resolve()
    env = harness.project_env(arguments.python)
    with tempfile.TemporaryDirectory() as scratch:
        work = arguments.workdir.resolve() if arguments.workdir else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        baked = sorted((work / "bake").glob("*/dvc.yaml"))
        if arguments.project:
            root = copy_of(arguments.project.resolve(), work / "bake")
            print(f"measuring a copy of {arguments.project} in {root} (its environment linked, not copied)")
        elif baked:  # a kept workdir: reuse its bake and environment
            root = baked[0].parent
            print(f"reusing the bake in {root} (baked by an earlier run; --template is ignored)")
        else:
            root = harness.bake(work / "bake", python_version=arguments.python)
            harness.run("make setup", root, env)
            # Warm-up on the bundled example: the first run compiles every library's bytecode
            # (tens of seconds), which is a cost of a fresh environment, not of the rows.
            harness.run("make repro", root, env)
        set_params(root, arguments.param)
        print(f"# pipeline at scale: {harness.TEMPLATE_DIR} baked into {root}; {GOALS}; {os.cpu_count()} CPUs")
        if arguments.param:
            print(f"params changed for this run: {', '.join(arguments.param)}")
        if arguments.quick:
            print("quick mode: each stage once on its own; the forced `dvc repro` of the whole pipeline is skipped")
        results = {rows: bench_size(root, env, rows, work, forced=not arguments.quick) for rows in sorted(sizes)}
        growth(results)
    largest = max(results)
    stage_figures = [figures for name, figures in results[largest].items() if name != FORCED]
    wall, cpu = sum(f[0] for f in stage_figures), sum(f[1] for f in stage_figures)
    repro = f"repro_s={results[largest][FORCED][0]:.1f} " if FORCED in results[largest] else ""
    print(
        f"summary pipeline_scale: rows={largest} {repro}stages_s={wall:.1f} stages_cpu_s={cpu:.1f} "
        f"peak_rss_gb={max(f[2] for f in results[largest].values()):.2f}"
    )


if __name__ == "__main__":
    main()
