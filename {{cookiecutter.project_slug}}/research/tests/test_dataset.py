"""Research: `make dataset` infers a contract from a CSV, writes it once, and refuses bad input writing nothing.

Every CSV here is made from the sample of the contract's data in git (read as text), so the tests hold
for whatever dataset the project has, in any checkout.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
from annotated_types import Ge, Le

from {{ cookiecutter.package_name }}_core import (
    FEATURE_COLUMNS,
    RULES,
    TARGET,
    data_path,
    find_violations,
    iter_records,
    sample_path,
    schema,
)
from {{ cookiecutter.package_name }}_research import dataset, survey
from {{ cookiecutter.package_name }}_research.dataset import PROJECT, Layout, load_schema, main, make_dataset
from {{ cookiecutter.package_name }}_research.errors import (
    ColumnError,
    DatasetError,
    SourceError,
    TargetError,
    WorkspaceError,
)
from {{ cookiecutter.package_name }}_research.infer import (
    Plan,
    default_task,
    infer_plan,
    read_csv,
    snake_name,
    survey_frame,
    why_left_out,
)
from {{ cookiecutter.package_name }}_research.previous import declared_files
from {{ cookiecutter.package_name }}_research.sample import SAMPLE_ROWS

# The slow tier (`make test-slow`): a test that runs `make dataset` to its end runs DVC, a second or more a command.
# The fast tier keeps the inference and every refusal, which stop before DVC.
runs_dvc = pytest.mark.slow


def _snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` except git's and DVC's own bookkeeping."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not {".git", ".dvc"} & set(path.relative_to(root).parts)
    }


@pytest.fixture
def frame() -> pd.DataFrame:
    """The sample of the contract's data as text cells."""
    return read_csv(sample_path())


def _csv(frame: pd.DataFrame, tmp_path: Path, name: str = "team data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _plan(frame: pd.DataFrame, target: str, **options: Any) -> Plan:
    """The plan `make dataset` makes of `frame` (text cells, gaps as "")."""
    return infer_plan(survey_frame(frame, target), target, **options)


def test_the_inferred_contract_covers_the_hand_written_one(frame: pd.DataFrame) -> None:
    inferred = _plan(frame, TARGET)
    assert inferred.target.name == TARGET
    assert set(FEATURE_COLUMNS) <= {column.name for column in inferred.features}
    for column in inferred.features:
        cells = frame[column.header][frame[column.header] != ""]
        if column.kind == "numeric":
            assert column.low <= cells.astype(float).min() <= cells.astype(float).max() <= column.high
        else:
            assert set(cells) == set(column.categories)


@runs_dvc
def test_a_run_writes_contract_data_and_params_and_a_second_run_changes_nothing(
    project: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    headers = {header: f"{header.replace('_', ' ').title()}" for header in frame.columns}  # `Bill Length Mm`
    csv = _csv(frame.rename(columns=headers), tmp_path)
    lines = make_dataset(csv, headers[TARGET], project=project)
    layout = Layout(project)
    data = layout.core / "data" / "team_data.csv"
    assert data.is_file()
    assert (data.parent / "team_data.csv.dvc").is_file()
    assert "/team_data.csv" in (data.parent / ".gitignore").read_text().splitlines()
    assert f"  column {headers[TARGET]!r} -> {TARGET}" in lines
    schema = load_schema(layout.schema.read_text(), layout.schema)
    assert schema.TARGET == TARGET
    assert schema.DATA_FILE == "team_data.csv"
    # The sample beside it is for git: not ignored, the contract's columns, at most SAMPLE_ROWS rows of the data.
    assert schema.SAMPLE_FILE == "team_data.sample.csv"
    sample = pd.read_csv(data.with_name(schema.SAMPLE_FILE), dtype=str, keep_default_na=False)
    assert "/team_data.sample.csv" not in (data.parent / ".gitignore").read_text().splitlines()
    assert list(sample.columns) == [*(name for name in schema.Features.model_fields), TARGET]
    assert 0 < len(sample) <= min(SAMPLE_ROWS, len(frame))
    assert list(pd.read_csv(data, nrows=0).columns) == [snake_name(header) for header in headers.values()]
    assert f"source: {data.relative_to(project)}" in layout.params.read_text()
    ruff = subprocess.run(["ruff", "check", "--quiet", str(layout.schema)], cwd=project, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout
    before = _snapshot(project)
    again = make_dataset(csv, headers[TARGET], project=project)
    assert _snapshot(project) == before
    assert any("wrote: nothing" in line for line in again)


def _target_cells(frame: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    """`frame` with the target column's cells replaced by `values`, repeated."""
    return frame.assign(**{TARGET: [values[index % len(values)] for index in range(len(frame))]})


ALL_BUT_TARGET = ("<every column but the target>",)
REJECTIONS = {
    # name: (how the CSV is made from the contract's data, target, options, error type, column named)
    "missing file": (None, TARGET, {}, SourceError, None),
    "no such column": (lambda f: f, "<no such column>", {}, TargetError, "<no such column>"),
    "target all missing": (lambda f: _target_cells(f, [""]), TARGET, {}, TargetError, TARGET),
    "one class": (lambda f: _target_cells(f, ["only"]), TARGET, {"task": "classification"}, TargetError, TARGET),
    "text for regression": (
        lambda f: _target_cells(f, ["a", "b"]),
        TARGET,
        {"task": "regression"},
        TargetError,
        TARGET,
    ),
    "too many classes": (
        lambda f: _target_cells(f, [f"class {n}" for n in range(len(f))]),
        TARGET,
        {"task": "classification"},
        TargetError,
        TARGET,
    ),
    "unknown KEEP": (lambda f: f, TARGET, {"keep": ("<nothing>",)}, ColumnError, "<nothing>"),
    "unknown DROP": (lambda f: f, TARGET, {"drop": ("<nothing>",)}, ColumnError, "<nothing>"),
    "every feature dropped": (lambda f: f, TARGET, {"drop": ALL_BUT_TARGET}, ColumnError, None),
    "names that clash in snake_case": (
        lambda f: f.assign(**{"Extra.Column": "1", "extra_column": "2"}),
        TARGET,
        {},
        ColumnError,
        "extra_column",
    ),
    "a header twice": (
        lambda f: pd.concat([f, f[[FEATURE_COLUMNS[0]]]], axis=1),
        TARGET,
        {},
        ColumnError,
        FEATURE_COLUMNS[0],
    ),
    "unknown CATEGORICAL": (lambda f: f, TARGET, {"categorical": ("<nothing>",)}, ColumnError, "<nothing>"),
    "the target in CATEGORICAL": (lambda f: f, TARGET, {"categorical": (TARGET,)}, TargetError, TARGET),
    "CATEGORICAL and DROP": (
        lambda f: f.assign(code=["1", "2"] * (len(f) // 2) + ["1"] * (len(f) % 2)),
        TARGET,
        {"categorical": ("code",), "drop": ("code",)},
        ColumnError,
        "code",
    ),
    "CATEGORICAL with too many values": (
        lambda f: f.assign(amount=[str(n) for n in range(len(f))]),
        TARGET,
        {"categorical": ("amount",)},
        ColumnError,
        "amount",
    ),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_each_bad_input_is_refused_by_name_and_changes_nothing(
    case: str, project: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    make, target, options, error_type, column = REJECTIONS[case]
    csv = tmp_path / "absent.csv" if make is None else _csv(make(frame), tmp_path)
    if options.get("drop") == ALL_BUT_TARGET:
        options = {"drop": tuple(column for column in frame.columns if column != TARGET)}
    before = _snapshot(project)
    with pytest.raises(DatasetError) as refused:
        make_dataset(csv, target, project=project, **options)
    assert type(refused.value) is error_type
    assert refused.value.column == column
    assert _snapshot(project) == before


def test_a_failure_after_writing_restores_every_file(
    project: Path, frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DVC refusing the data file comes after the data, its sample, schema.py and params.yaml are written."""

    def refuse(project: Path, path: Path) -> None:
        raise WorkspaceError(None, f"`dvc add {path.name}` failed")

    monkeypatch.setattr(dataset, "dvc_add", refuse)
    before = _snapshot(project)
    with pytest.raises(WorkspaceError, match="dvc add team_data"):
        make_dataset(_csv(frame, tmp_path), TARGET, project=project)
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"a,b\n", "no data rows"),
        (b"a,b\n1,2\n3,4,5,6\n", "not a parseable"),
        (b"a,b\n\xff\xfe,1\n", "not a parseable"),
        (b"a;b\n1;2\n", "separated by ';'"),
        (b"a,,c\n1,2,3\n4,5,6\n", "without a header"),
    ],
)
def test_an_unreadable_csv_is_refused_and_changes_nothing(
    content: bytes, problem: str, project: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_bytes(content)
    before = _snapshot(project)
    with pytest.raises(SourceError, match=problem):
        make_dataset(csv, "a", project=project)
    assert _snapshot(project) == before


def test_a_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    csv = tmp_path / "excel.csv"
    csv.write_bytes("\ufeffSize,Colour\n1,red\n2,blue\n".encode())
    assert list(read_csv(csv).columns) == ["Size", "Colour"]


def test_the_command_prints_the_column_and_problem_and_fails(
    frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = Layout(PROJECT)
    before = {path: path.read_bytes() for path in (layout.schema, layout.params)}
    assert main(["--csv", str(_csv(_target_cells(frame, [""]), tmp_path)), "--target", TARGET]) == 1
    error = capsys.readouterr().err
    assert f"column {TARGET!r}: every value is missing" in error
    assert "nothing was changed" in error
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Min.Price", "min_price"),
        ("EngineSize", "engine_size"),
        ("MPG.city", "mpg_city"),
        ("2nd try", "col_2nd_try"),
        ("class", "col_class"),
        ("schema", "col_schema"),
        ("Prix (€)", "prix_eur"),
        ("Value", "col_value"),  # the regression model's output tensor (core's MODEL_OUTPUTS)
        ("label", "col_label"),
        ("probabilities", "col_probabilities"),
    ],
)
def test_headers_become_identifiers(header: str, name: str) -> None:
    assert snake_name(header) == name
    assert name.isidentifier()


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ([str(n) for n in range(1, 21)], "identifier"),
        ([f"customer {n:04d}" for n in range(20)], "identifier"),
        ([f"note {n % 15} about {n}" for n in range(40)] + ["x"] * 40, "free text"),
        ([f"2024-01-{n % 28 + 1:02d}" for n in range(30)], "date"),
        (["same"] * 20 + [""] * 3, "constant"),
        ([""] * 20, "empty"),
        (["red", "green", "blue", ""] * 10, None),
        ([str(n % 7 * 1.5) for n in range(30)], None),
    ],
)
def test_columns_that_cannot_be_features_are_left_out_with_a_reason(cells: list[str], reason: str | None) -> None:
    assert _why(cells) == (reason or "")


def _why(cells: list[str], name: str = "column") -> str:
    """The reason (before its colon) why_left_out gives a column of `cells`, or ""."""
    found = survey_frame(pd.DataFrame({name: cells, "target": "x"}), "target")
    return (why_left_out(name, name, found.columns[name], found.pool[name]) or "").split(":")[0]


@pytest.mark.parametrize(
    ("cells", "task"),
    [
        (["yes", "no", "yes"], "classification"),
        (["0", "1", "1", "0"], "classification"),
        ([str(n) for n in range(30)], "regression"),
        (["0.5", "1.25", "1"], "regression"),
    ],
)
def test_the_task_defaults_from_the_target(cells: list[str], task: str) -> None:
    assert default_task(survey_frame(pd.DataFrame({"target": cells}), "target").columns["target"]) == task


def test_a_keep_overrides_a_left_out_column_and_a_drop_leaves_one_out(frame: pd.DataFrame) -> None:
    identifier = frame.assign(row_id=[str(n) for n in range(len(frame))])
    assert "row_id" in {left.header for left in _plan(identifier, TARGET).left_out}
    assert "row_id" in {column.name for column in _plan(identifier, TARGET, keep=("row_id",)).features}
    # A spare measurement, so that dropping a feature leaves one even on a contract of a single feature.
    spare = frame.assign(spare=[f"{n * 0.37:.2f}" for n in range(len(frame))])
    dropped = _plan(spare, TARGET, drop=(FEATURE_COLUMNS[0],))
    assert (FEATURE_COLUMNS[0], "DROP") in {(left.header, left.reason) for left in dropped.left_out}


# --- a re-run under another name replaces the previous dataset ------------------------------


def _git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


def _dataset_files(root: Path, data_file: str) -> set[Path]:
    """The files one dataset has in core's data/ folder: the data, its DVC pointer and its sample in git."""
    folder = Layout(root).core / "data"
    return {folder / data_file, folder / f"{data_file}.dvc", folder / dataset.sample_file_name(data_file)}


def _first_and_second(frame: pd.DataFrame, tmp_path: Path) -> tuple[Path, Path]:
    """Two CSVs of the contract's data under names that differ from each other and from the current data file."""
    stem = Path(dataset.data_file_name(data_path())).stem
    first = _csv(frame, tmp_path, f"{stem} first.csv")
    second = _csv(frame.sample(frac=1.0, random_state=0), tmp_path, f"{stem} second.csv")
    return first, second


@dataclass(frozen=True)
class FirstRun:
    """The fresh project after one `make dataset` of `csv` (the first of `_first_and_second`), and its report."""

    project: Path
    csv: Path
    lines: list[str]


@pytest.fixture(scope="module")
def first_run(fresh_project: Path, tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    """One first run shared by the module: each DVC command costs about a second, a copy milliseconds.
    Tests never write here (see `after_first`)."""
    folder = tmp_path_factory.mktemp("first")
    project = Path(shutil.copytree(fresh_project, folder / "project", symlinks=True))
    first, _ = _first_and_second(read_csv(sample_path()), folder)
    return FirstRun(project, first, make_dataset(first, TARGET, project=project))


@pytest.fixture
def after_first(first_run: FirstRun, tmp_path: Path) -> Path:
    """A test's own copy of the project after the first run (uncommitted, as `make dataset` leaves it)."""
    return Path(shutil.copytree(first_run.project, tmp_path / "after first", symlinks=True))


@runs_dvc
def test_a_run_under_another_name_replaces_the_previous_dataset(
    fresh_project: Path, first_run: FirstRun, after_first: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    project, layout = after_first, Layout(after_first)
    folder = layout.core / "data"
    had = set(declared_files(Layout(fresh_project).schema).values())
    _, second = _first_and_second(frame, tmp_path)
    first_name, second_name = dataset.data_file_name(first_run.csv), dataset.data_file_name(second)

    assert not any((folder / name).exists() for name in had)  # the dataset the project had is replaced too
    assert any(line.startswith("  replaced the previous dataset ") for line in first_run.lines)
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "-m", "first dataset")

    lines = make_dataset(second, TARGET, project=project)
    old, new = _dataset_files(project, first_name), _dataset_files(project, second_name)
    assert not [path for path in old if path.exists()]
    assert all(path.is_file() for path in new)
    (replaced,) = [line for line in lines if line.startswith("  replaced the previous dataset ")]
    assert all(path.name in replaced for path in old)
    assert replaced.endswith("(git's history and DVC's cache keep them)"), replaced
    assert f"/{first_name}" not in (folder / ".gitignore").read_text().splitlines()
    assert f"/{second_name}" in (folder / ".gitignore").read_text().splitlines()
    assert not _git(project, "ls-files", str(folder.relative_to(project) / f"{first_name}.dvc"))  # removal staged
    # DVC tracks exactly the new data file, and it matches its pointer; git holds the new pointer and sample.
    status = subprocess.run(["dvc", "status", "--json"], cwd=project, capture_output=True, text=True, check=True)
    assert status.stdout.strip() == "{}"
    _git(project, "add", "--all")
    relative = str(folder.relative_to(project))
    assert set(_git(project, "ls-files", relative).splitlines()) == {
        f"{relative}/.gitignore",
        f"{relative}/{second_name}.dvc",
        f"{relative}/{dataset.sample_file_name(second_name)}",
    }
    deleted = _git(project, "diff", "--cached", "--no-renames", "--diff-filter=D", "--name-only").splitlines()
    assert set(deleted) == {str(path.relative_to(project)) for path in old if path.name != first_name}
    assert declared_files(layout.schema) == {
        "DATA_FILE": second_name,
        "SAMPLE_FILE": dataset.sample_file_name(second_name),
    }


def _refuse_dvc_remove(project: Path, previous: object) -> None:
    raise WorkspaceError(None, "`dvc remove` failed")


@runs_dvc
@pytest.mark.parametrize("how", ["a refused CSV", "dvc failing after the new dataset is written"])
def test_a_failed_second_run_leaves_the_first_dataset_intact(
    how: str,
    first_run: FirstRun,
    after_first: Path,
    frame: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = after_first
    _, second = _first_and_second(frame, tmp_path)
    before = _snapshot(project)
    if how == "a refused CSV":
        _csv(_target_cells(frame, [""]), tmp_path, second.name)
        expected: tuple[type[DatasetError], str] = (TargetError, "every value is missing")
    else:
        monkeypatch.setattr(dataset, "stop_tracking", _refuse_dvc_remove)
        expected = (WorkspaceError, "dvc remove")
    with pytest.raises(expected[0], match=expected[1]):
        make_dataset(second, TARGET, project=project)
    assert _snapshot(project) == before
    assert all(path.is_file() for path in _dataset_files(project, dataset.data_file_name(first_run.csv)))


@runs_dvc
@pytest.mark.parametrize(
    "change", ["data file changed since dvc add", "sample changed since the commit", "schema.py does not parse"]
)
def test_a_replacement_that_would_lose_changes_is_refused_and_changes_nothing(
    change: str, first_run: FirstRun, after_first: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    project = after_first
    _, second = _first_and_second(frame, tmp_path)
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "-m", "first dataset")
    data = Layout(project).core / "data" / dataset.data_file_name(first_run.csv)
    sample = data.with_name(dataset.sample_file_name(data.name))
    edited, reason = {
        "data file changed since dvc add": (data, "modified since DVC recorded it"),
        "sample changed since the commit": (sample, "changed since git last recorded it"),
        "schema.py does not parse": (Layout(project).schema, "does not parse"),
    }[change]
    edited.write_text(edited.read_text() + "\n(\n")
    before = _snapshot(project)
    with pytest.raises(WorkspaceError, match=reason) as refused:
        make_dataset(second, TARGET, project=project)
    assert edited.name in str(refused.value)
    assert refused.value.column is None
    assert _snapshot(project) == before


# --- a first run, codes, physical bounds, bounded reading ------------------------------------


@runs_dvc
def test_a_first_run_before_any_commit_replaces_the_staged_dataset(
    project: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    """`make setup` stages a new project's files and commits nothing: the staged dataset is what git has."""
    _git(project, "add", "--all")
    first, _ = _first_and_second(frame, tmp_path)
    lines = make_dataset(first, TARGET, project=project)
    (replaced,) = [line for line in lines if line.startswith("  replaced the previous dataset ")]
    assert replaced.endswith("(a new bake of the template has them)"), replaced  # git's history has nothing yet
    assert (Layout(project).core / "data" / dataset.data_file_name(first)).is_file()


@runs_dvc
def test_before_any_commit_a_file_changed_after_staging_is_refused(
    first_run: FirstRun, after_first: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    project = after_first
    _, second = _first_and_second(frame, tmp_path)
    _git(project, "add", "--all")
    sample = Layout(project).core / "data" / dataset.sample_file_name(dataset.data_file_name(first_run.csv))
    sample.write_text(sample.read_text() + "\n")
    before = _snapshot(project)
    with pytest.raises(WorkspaceError, match="changed since git last recorded it") as refused:
        make_dataset(second, TARGET, project=project)
    assert sample.name in str(refused.value)
    assert _snapshot(project) == before


def _codes_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(group_code=[("1", "2", "2")[index % 3] for index in range(len(frame))])


@runs_dvc
def test_whole_number_codes_are_flagged_with_the_command_that_makes_them_categorical(
    project: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    csv = _csv(_codes_frame(frame), tmp_path)
    lines = make_dataset(csv, TARGET, drop=(FEATURE_COLUMNS[0],), project=project)
    (flag,) = [line for line in lines if line.startswith("  group_code holds only the whole numbers 1, 2")]
    command = flag.split("make it categorical: ")[1]
    assert shlex.split(command) == [
        "make",
        "dataset",
        f"CSV={csv}",
        f"TARGET={TARGET}",
        f"DROP={FEATURE_COLUMNS[0]}",
        "CATEGORICAL=group_code",
    ]
    make_dataset(csv, TARGET, drop=(FEATURE_COLUMNS[0],), categorical=("group_code",), project=project)
    schema = load_schema(Layout(project).schema.read_text(), Layout(project).schema)
    assert get_args(schema.Features.model_fields["group_code"].annotation) == ("1", "2")


def _mark_physical(schema: Path, name: str, low: float, high: float) -> None:
    """Edit schema.py as a person would: the field `name` gets bounds [low, high], marked physical."""
    text = schema.read_text()
    start = text.index(f"\n    {name}: ")
    end = text.index("description=", start)
    field = re.sub(r"ge=[^,\n]+", f"ge={low!r}", text[start:end])
    field = re.sub(r"le=[^,\n]+", f"le={high!r}", field).replace('"observed"', '"physical"')
    schema.write_text(text[:start] + field + text[end:])


@runs_dvc
def test_physical_bounds_are_kept_by_a_rerun_and_data_beyond_them_is_refused(
    first_run: FirstRun, after_first: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    project, csv = after_first, first_run.csv  # the first run is of `frame`
    layout = Layout(project)
    inferred = _plan(frame, TARGET)
    column = next((column for column in inferred.features if column.kind == "numeric"), None)
    if column is None:  # the contract has no numeric feature: one of its own
        frame = frame.assign(amount=[str(index % 7) for index in range(len(frame))])
        csv = _csv(frame, tmp_path, first_run.csv.name)
        make_dataset(csv, TARGET, project=project)
        column = next(column for column in _plan(frame, TARGET).features if column.name == "amount")
    low, high = column.seen
    _mark_physical(layout.schema, column.name, low, high + 1000.0)
    make_dataset(csv, TARGET, project=project)
    field = load_schema(layout.schema.read_text(), layout.schema).Features.model_fields[column.name]
    assert field.json_schema_extra == {"bounds": "physical"}
    assert [(type(bound).__name__, bound) for bound in field.metadata] == [("Ge", Ge(low)), ("Le", Le(high + 1000.0))]
    _mark_physical(layout.schema, column.name, low, (low + high) / 2)
    before = _snapshot(project)
    with pytest.raises(ColumnError, match="above its physical bound le=") as refused:
        make_dataset(csv, TARGET, project=project)
    assert refused.value.column == column.header
    assert _snapshot(project) == before


@runs_dvc
def test_a_file_read_in_small_chunks_gives_the_same_data_file_and_contract(
    fresh_project: Path, first_run: FirstRun, frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, whole = first_run.csv, first_run.project  # the first run read `frame` whole
    monkeypatch.setattr(survey, "CHUNK_CELLS", 3 * len(frame.columns))  # three rows at a time
    monkeypatch.setattr(survey, "POOL_ROWS", 20)
    chunked = Path(shutil.copytree(fresh_project, tmp_path / "chunked", symlinks=True))
    make_dataset(csv, TARGET, project=chunked)
    name = dataset.data_file_name(csv)
    data = [(Layout(root).core / "data" / name).read_bytes() for root in (whole, chunked)]
    assert data[0] == data[1]
    schemas = [load_schema(Layout(root).schema.read_text(), Layout(root).schema) for root in (whole, chunked)]
    fields = [{key: repr(value) for key, value in schema.LabelledRecord.model_fields.items()} for schema in schemas]
    assert fields[0] == fields[1]


def test_a_row_that_breaks_the_inferred_contract_is_named_with_its_column_and_rule(frame: pd.DataFrame) -> None:
    """check_rows guards the inference: a cell the contract refuses fails it, naming the row, column and rule."""
    valid = frame[[not find_violations(row) for row in iter_records(sample=True)]].reset_index(drop=True)
    dataset.check_rows(schema, valid)
    numeric = RULES[TARGET].kind == "number"
    cell, rule = ("many", "float_type") if numeric else ("<not a declared class>", "literal_error")
    valid.loc[1, TARGET] = cell
    with pytest.raises(AssertionError, match=rf"^row 1 breaks the inferred contract: {TARGET}: .* \(rule {rule},"):
        dataset.check_rows(schema, valid)
