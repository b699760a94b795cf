"""Research (Data Scientists): `make dataset` — make a team's CSV the project's dataset, contract and all.

Surveys the CSV in bounded chunks, infers the contract, writes core's schema.py, the data file (DVC-tracked)
and its git sample, and points params.yaml's `ingest.source` at it. Every file is swapped in at the end and
restored on any failure, so a refused CSV changes nothing; a new file name replaces the previous dataset.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import json
import os
import re
import shlex
import shutil
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from ruamel.yaml import YAML
from slugify import slugify

from {{ cookiecutter.package_name }}_core import data_path
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint
from {{ cookiecutter.package_name }}_core.rules import field_rules, violations

from .errors import DatasetError
from .infer import Plan, Task, infer_plan, survey_csv
from .physical import keep_physical, physical_bounds
from .previous import check_nothing_lost, delete_files, find_previous, stop_tracking
from .render import formatted, schema_source
from .sample import sample_rows
from .survey import read_chunks
from .workspace import run_tool

# Where this workspace's core package lives, relative to the project root (core/src/<package>_core).
_CORE = data_path().parents[1]
PROJECT = _CORE.parents[2]


@dataclass(frozen=True)
class Layout:
    """The files `make dataset` writes, in one project (this one, or a copy in a test)."""

    project: Path

    @property
    def core(self) -> Path:
        return self.project / _CORE.relative_to(PROJECT)

    @property
    def schema(self) -> Path:
        return self.core / "schema.py"

    @property
    def params(self) -> Path:
        return self.project / "params.yaml"


def data_file_name(csv: Path) -> str:
    """The data file's name in core's data/ folder: the CSV's name in snake_case."""
    return f"{slugify(csv.stem, separator='_') or 'data'}.csv"


def sample_file_name(data_file: str) -> str:
    """The sample's name beside the data file: `mpg.csv` -> `mpg.sample.csv`."""
    return f"{Path(data_file).stem}.sample.csv"


def csv_text(frame: pd.DataFrame) -> str:
    """A CSV file's text: the header, then the rows, cells as they are."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_data(csv: Path, headers: list[str], plan: Plan, path: Path) -> None:
    """The data file, a chunk at a time: the labelled rows, contract names, cells as they were."""
    with path.open("w", encoding="utf-8", newline="") as file:
        for number, chunk in enumerate(read_chunks(csv, headers)):
            labelled = chunk[chunk[plan.target.header] != ""].rename(columns=plan.names)
            labelled.to_csv(file, index=False, header=number == 0, lineterminator="\n")


def load_schema(text: str, path: Path) -> types.ModuleType:
    """The written schema.py as a module (not installed anywhere), to check it before anything is replaced."""
    module = types.ModuleType(f"{_CORE.name}._candidate_schema")
    sys.modules[module.__name__] = module
    try:
        exec(compile(text, str(path), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def check_rows(schema: types.ModuleType, frame: pd.DataFrame) -> None:
    """Every row of `frame` (contract names, text cells) must meet the inferred contract; otherwise the
    inference has a bug. It reads the survey's pool: every row of a file that fits in it."""
    rules = field_rules(schema.LabelledRecord)
    for index, row in enumerate(frame[list(rules)].to_dict("records")):
        found = violations(schema.LabelledRecord, {name: rules[name].parse(cell) for name, cell in row.items()})
        if found:
            raise AssertionError(f"row {index} breaks the inferred contract: {'; '.join(map(str, found))}")


# A `key: value  # comment` line of params.yaml: the value is what lies between the key and the comment.
_PARAM_LINE = re.compile(r"^(?P<key>\s*[A-Za-z_][\w-]*:)(?P<space>\s*)(?P<value>[^#\n]*?)(?P<rest>\s*(#.*)?)$")


def _set_value(lines: list[str], line: int, text: str) -> None:
    """Replace the scalar on line `line` (0-based) with `text`, keeping its key, spacing and comment."""
    match = _PARAM_LINE.match(lines[line].rstrip("\n"))
    if match is None:
        raise AssertionError(f"params.yaml line {line + 1} is not a `key: value` line: {lines[line]!r}")
    space = match["space"] or " "
    end = "\n" if lines[line].endswith("\n") else ""
    lines[line] = f"{match['key']}{space}{text}{match['rest']}{end}"


# Words YAML 1.1 readers take for booleans or null: never written plain.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
_PLAIN = re.compile(r"[\w./][\w ./-]*")


def _yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar: plain for a path-like string every YAML reader reads back as it, else quoted."""
    plain = _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS and not value.endswith(" ")
    return value if plain and isinstance(YAML(typ="safe").load(value), str) else json.dumps(value)


def params_text(text: str, source: str) -> tuple[str, list[str]]:
    """params.yaml with `ingest.source` set, every other byte as it was, and a note per value the new data resets."""
    yaml = YAML()
    document: Any = yaml.load(text)
    lines = text.splitlines(keepends=True)
    notes = []
    _set_value(lines, document["ingest"].lc.value("source")[0], _yaml_scalar(source))
    register = document.get("register", {})
    # An absolute floor was chosen for the old data; the check against the baseline model carries over.
    if register.get("floor") is not None:
        notes.append(
            f"register.floor {register['floor']} was set for the old data: now null (register.beat_baseline applies)"
        )
        _set_value(lines, register.lc.value("floor")[0], "null")
    result = "".join(lines)
    written: Any = yaml.load(result)
    if written["ingest"]["source"] != source:
        raise AssertionError(f"params.yaml: ingest.source reads back as {written['ingest']['source']!r}")
    return result, notes


# Files up to this size are kept in memory by `all_or_nothing`; a larger one (the data file) through a hard link.
_IN_MEMORY_BYTES = 16 * 1024 * 1024


@contextmanager
def all_or_nothing(paths: Sequence[Path]) -> Iterator[None]:
    """Restore `paths` (content, or absence) if the block raises: no partial contract, no lost data. A large
    file (the data file, only ever replaced) is kept through a hard link, a small one in memory."""
    saved: dict[Path, bytes | Path | None] = {}
    try:
        for path in paths:
            saved[path] = None if not path.exists() else _keep(path)
        yield
    except BaseException:
        for path, kept in saved.items():
            if kept is None:
                path.unlink(missing_ok=True)
            elif isinstance(kept, bytes):
                path.write_bytes(kept)
            else:
                os.replace(kept, path)
        raise
    finally:
        for kept in saved.values():
            if isinstance(kept, Path):
                kept.unlink(missing_ok=True)


def _keep(path: Path) -> bytes | Path:
    """`path`'s current content: its bytes, or (a large file) a second name for it beside it."""
    if path.stat().st_size <= _IN_MEMORY_BYTES:
        return path.read_bytes()
    kept = path.with_name(f".{path.name}.kept")
    kept.unlink(missing_ok=True)
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)
    return kept


def replace(path: Path, text: str) -> bool:
    """Write `text` to `path` through a temporary file in the same folder; False when it was already so."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    return replace_with(path, temporary)


def replace_with(path: Path, temporary: Path) -> bool:
    """Move the finished `temporary` onto `path`; False (and `temporary` removed) when they were already equal."""
    if path.exists() and filecmp.cmp(path, temporary, shallow=False):
        temporary.unlink()
        return False
    os.replace(temporary, path)
    return True


def dvc_add(project: Path, path: Path) -> None:
    """Track the data file with DVC (its content hash in `<file>.dvc`, the file itself ignored by git)."""
    run_tool(project, "dvc", "add", "--quiet", str(path.relative_to(project)))


@dataclass(frozen=True)
class Options:
    """The options `make dataset` was given beside CSV and TARGET, as the report and schema.py repeat them."""

    task: Task | None = None
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()

    def words(self, **changed: tuple[str, ...]) -> list[str]:
        """`KEY=value` for each option given (with `changed` ones replaced), as make's command line takes them."""
        values = {"TASK": self.task or "", "KEEP": self.keep, "DROP": self.drop, "CATEGORICAL": self.categorical}
        values.update({key.upper(): value for key, value in changed.items()})
        return [
            f"{key}={value if isinstance(value, str) else ','.join(value)}" for key, value in values.items() if value
        ]


def make_dataset(
    csv: Path,
    target: str,
    *,
    task: Task | None = None,
    keep: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    categorical: tuple[str, ...] = (),
    project: Path = PROJECT,
) -> list[str]:
    """Infer, check and write everything; returns the report's lines. Raises a DatasetError, writing nothing."""
    layout = Layout(project)
    options = Options(task, keep, drop, categorical)
    found = survey_csv(csv, target)
    inferred = infer_plan(found, target, task=task, keep=keep, drop=drop, categorical=categorical)
    plan = keep_physical(inferred, physical_bounds(layout.schema))
    name = data_file_name(csv)
    data_file = layout.core / "data" / name
    sample_file = data_file.with_name(sample_file_name(name))
    pool = found.pool.rename(columns=plan.names)
    sample_frame = sample_rows(pool, plan)
    sample = csv_text(sample_frame)
    rows, sampled = found.rows - plan.rows_without_target, len(sample_frame)
    schema_text = formatted(
        schema_source(
            plan,
            source=csv.name,
            rows=rows,
            data_file=name,
            sample_file=sample_file.name,
            sample_rows=sampled,
            options=" ".join(options.words()),
        ),
        project,
        layout.schema,
    )
    schema = load_schema(schema_text, layout.schema)
    check_rows(schema, pool)
    check_rows(schema, sample_frame)
    classes = plan.target.categories
    old, new = contract_fingerprint(), contract_fingerprint(schema.Features, schema.TARGET, classes)
    params, notes = params_text(layout.params.read_text(encoding="utf-8"), str(data_file.relative_to(project)))
    dvc_file, ignore = data_file.with_name(f"{name}.dvc"), data_file.with_name(".gitignore")
    previous = find_previous(layout.schema, data_file.parent, [data_file, sample_file, dvc_file, csv])
    check_nothing_lost(project, previous)
    restored = [data_file, sample_file, layout.schema, layout.params, dvc_file, ignore]
    written_data = data_file.with_name(f".{name}.tmp")
    try:
        write_data(csv, found.headers, plan, written_data)
        with all_or_nothing(restored + ([previous.pointer] if previous.pointer else [])):
            changed = [data_file.relative_to(project)] if replace_with(data_file, written_data) else []
            written = ((sample_file, sample), (layout.schema, schema_text), (layout.params, params))
            changed += [path.relative_to(project) for path, text in written if replace(path, text)]
            dvc_add(project, data_file)
            stop_tracking(project, previous)
    finally:
        written_data.unlink(missing_ok=True)
    delete_files(previous)
    replaced = previous.describe(project)
    sampled_from = f"{sampled} of {rows} rows" if sampled < rows else f"all {rows} rows"
    tracked = f"DVC tracks {data_file.relative_to(project)}; git tracks its sample {sample_file.relative_to(project)}"
    notes += [replaced] if replaced else []
    notes += code_notes(plan, csv, target, options)
    return report(plan, csv, f"{tracked} ({sampled_from}, what the tests read)", changed, notes, old, new)


def code_notes(plan: Plan, csv: Path, target: str, options: Options) -> list[str]:
    """A line per numeric feature of a few whole numbers, with the exact command that makes it categorical."""
    notes = []
    for name, values in plan.codes.items():
        words = options.words(categorical=(*options.categorical, name))
        command = shlex.join(["make", "dataset", f"CSV={csv}", f"TARGET={target}", *words])
        notes.append(
            f"{name} holds only the whole numbers {', '.join(values)}: if they are codes (1 = one group, 2 = another)"
            f" rather than amounts, make it categorical: {command}"
        )
    return notes


def report(plan: Plan, csv: Path, tracked: str, changed: list[Path], notes: list[str], old: str, new: str) -> list[str]:
    """What `make dataset` did and why, then the commands that come next."""
    lines = [f"make dataset: {csv} -> {plan.task} of {plan.target.name!r} with {len(plan.features)} features"]
    renamed = {header: name for header, name in plan.names.items() if header != name}
    lines += [f"  column {header!r} -> {name}" for header, name in renamed.items()]
    lines += [f"  left out {left.header!r}: {left.reason}" for left in plan.left_out]
    optional = [column.name for column in plan.features if column.optional]
    if optional:
        lines.append(f"  may be missing (imputed by the feature code): {', '.join(optional)}")
    if plan.rows_without_target:
        lines.append(f"  {plan.rows_without_target} rows without a target value are not in the data file")
    lines += [f"  {note}" for note in notes]
    wrote = ", ".join(map(str, changed)) or "nothing (already this dataset)"
    lines.append(f"  wrote: {wrote}; {tracked}")
    if old != new:
        lines.append(
            f"  contract {old[:12]} -> {new[:12]}: the registry starts a new model line, and drift is measured"
            " against the new training data; the old champion no longer competes"
        )
    lines += [
        "next:",
        "  make check      # the contract's consumers follow it: lint, types, tests",
        "  make repro      # train, evaluate, export and gate on the new data",
        f"  git add core params.yaml && git commit -m 'dataset: {csv.name}'",
        "  uv run dvc push # the data file to the DVC remote: a clone, and CI's training job, pull it from there",
        "  make serve      # then POST a record to /v1/predict",
    ]
    return lines


def _names(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dataset", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--csv", type=Path, required=True, help="the team's CSV (header row, one record per row)")
    parser.add_argument("--target", required=True, help="the column to predict (CSV header or its snake_case name)")
    parser.add_argument("--task", choices=["classification", "regression"], help="default: inferred from the target")
    parser.add_argument("--keep", type=_names, default=(), help="comma-separated columns to keep though left out")
    parser.add_argument("--drop", type=_names, default=(), help="comma-separated columns to leave out")
    parser.add_argument("--categorical", type=_names, default=(), help="comma-separated numeric columns that are codes")
    arguments = vars(parser.parse_args(argv))  # named as make_dataset's parameters
    try:
        lines = make_dataset(**arguments)
    except DatasetError as error:
        print(f"make dataset: {error}", file=sys.stderr)
        print("make dataset: nothing was changed", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
