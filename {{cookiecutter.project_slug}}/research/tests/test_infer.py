"""Research: the inference's rules — headers, dates and times, observed bounds, codes, params.yaml, bounded reading.

Each test builds its own small synthetic CSV or frame: these are rules about any data, not the project's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ruamel.yaml import YAML

from {{ cookiecutter.package_name }}_research import survey
from {{ cookiecutter.package_name }}_research.dataset import PROJECT, params_text
from {{ cookiecutter.package_name }}_research.errors import ColumnError, SourceError
from {{ cookiecutter.package_name }}_research.infer import (
    Column,
    contract_names,
    infer_plan,
    observed_bounds,
    survey_csv,
    survey_frame,
    why_left_out,
)
from {{ cookiecutter.package_name }}_research.render import field_line


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --- headers --------------------------------------------------------------------------------


def test_a_header_written_twice_is_refused_naming_it_and_both_positions(tmp_path: Path) -> None:
    csv = _csv(tmp_path, "alcohol,colour,alcohol,quality\n12.1,red,13.0,5\n")
    with pytest.raises(ColumnError, match=r"two columns have this header \(columns 1 and 3\)") as refused:
        survey_csv(csv, "quality")
    assert refused.value.column == "alcohol"


def test_headers_that_collide_in_snake_case_are_refused_naming_both() -> None:
    with pytest.raises(ColumnError, match=re.escape("maps to 'wing_mm' like column 'Wing (mm)'")) as refused:
        contract_names(["Band #", "Wing (mm)", "wing_mm"])
    assert refused.value.column == "wing_mm"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a,b\n1,2,3\n4,5,6\n", "not a parseable"),  # every row one cell longer: never a silent index column
        ("a,b,\n1,2,3\n", "without a header"),
    ],
)
def test_rows_wider_than_the_header_are_refused(text: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=problem):
        survey_csv(_csv(tmp_path, text), "a")


# --- dates and times ------------------------------------------------------------------------


def _why(cells: list[str]) -> str:
    found = survey_frame(pd.DataFrame({"when": cells, "target": "x"}), "target")
    return (why_left_out("when", "when", found.columns["when"], found.pool["when"]) or "").split(":")[0]


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ("2012-01-{day:02d}", "date"),
        ("2012/01/{day:02d}", "date"),
        ("01/{day:02d}/2012", "date"),
        ("{day:02d}.01.2012", "date"),
        ("{day}-Jan-2012", "date"),
        ("Jan {day}, 2012", "date"),
        ("2012-01-{day:02d}T13:30:00Z", "date"),
        ("2012-01-{day:02d} 13:30:05.250+01:00", "date"),
        ("01/{day:02d}/2012 1:30 PM", "date"),
        ("13:{day:02d}", "time of day"),
        ("{day}:30 pm", "time of day"),
        ("07:{day:02d}:59", "time of day"),
    ],
)
def test_dates_and_times_of_day_are_left_out_as_such(form: str, reason: str) -> None:
    cells = [form.format(day=day % 28 + 1) for day in range(40)] + [""]
    assert _why(cells) == reason


def test_codes_that_look_a_little_like_dates_stay_features() -> None:
    assert _why(["A-1", "B-2", "C-3", "A-1"] * 10) == ""


# --- observed bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seen", "tomorrow"),
    [
        ((2007.0, 2009.0), (2000.0, 2030.0)),  # a year: next year's rows, and the last decade's
        ((0.0, 12.0), (0.0, 24.0)),  # a count: twice the largest seen
        ((9.99, 499.99), (0.0, 900.0)),  # a price
        ((-12.5, 31.0), (-40.0, 60.0)),  # a temperature
        ((0.1, 0.2), (0.0, 0.3)),  # a share
    ],
)
def test_observed_bounds_let_tomorrows_ordinary_values_pass(
    seen: tuple[float, float], tomorrow: tuple[float, float]
) -> None:
    low, high = observed_bounds(*seen)
    assert low <= tomorrow[0]
    assert tomorrow[1] <= high
    assert low >= 0 or seen[0] < 0  # data never below 0 keeps 0 as its floor
    assert high < 10 * max(abs(seen[1]), 1.0)  # a unit mistake of x10 still fails


def test_bounds_are_written_to_the_datas_precision_without_float_noise() -> None:
    low, high = observed_bounds(0.1, 0.2)
    line = field_line(Column("share", "share", "numeric", False, low=low, high=high, seen=(0.1, 0.2)))
    assert "ge=0.0, le=0.3," in line
    assert "0000000" not in line
    assert 'json_schema_extra={"bounds": "observed"}' in line


# --- codes ----------------------------------------------------------------------------------


def test_a_few_whole_numbers_are_flagged_as_possible_codes_and_categorical_makes_them_categories() -> None:
    frame = pd.DataFrame(
        {
            "sex": [("1.0", "2.0")[index % 2] for index in range(60)],
            "age": [str(20 + index) for index in range(60)],
            "dose": [f"{index / 7:.2f}" for index in range(60)],
            "target": [str(index % 3) for index in range(60)],
        }
    )
    found = survey_frame(frame, "target")
    assert infer_plan(found, "target").codes == {"sex": ("1.0", "2.0")}
    as_codes = infer_plan(found, "target", categorical=("sex",))
    sex = next(column for column in as_codes.features if column.name == "sex")
    assert (sex.kind, sex.categories) == ("categorical", ("1.0", "2.0"))
    assert as_codes.codes == {}


# --- params.yaml ----------------------------------------------------------------------------

PARAMS = """# Pipeline parameters
ingest:
  # where the data is
  source: 'old/data.csv'   # set by make dataset

train:
  random_forest:
    max_depth: null       # null: grow until min_samples_leaf
    label: "quoted"
  empty: ~
register:
  beat_baseline:
    confidence: 0.95
  floor: 0.8   # set for the old data
"""


def test_params_keep_every_untouched_byte() -> None:
    text, notes = params_text(PARAMS, "core/data/new data.csv")
    before, after = PARAMS.splitlines(), text.splitlines()
    changed = [index for index, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert [after[index] for index in changed] == [
        "  source: core/data/new data.csv   # set by make dataset",
        "  floor: null   # set for the old data",
    ]
    assert _load(text)["ingest"]["source"] == "core/data/new data.csv"
    assert notes == ["register.floor 0.8 was set for the old data: now null (register.beat_baseline applies)"]


@pytest.mark.parametrize("source", ["data/a: b.csv", "data/#1.csv", "yes", "123"])
def test_a_source_yaml_would_misread_is_quoted(source: str) -> None:
    text, _ = params_text(PARAMS, source)
    assert _load(text)["ingest"]["source"] == source


def test_the_projects_params_change_only_in_the_source_and_floor_lines() -> None:
    original = (PROJECT / "params.yaml").read_text(encoding="utf-8")
    text, _ = params_text(original, "core/data/x.csv")
    changed = [old for old, new in zip(original.splitlines(), text.splitlines(), strict=True) if old != new]
    assert [line.split(":")[0].strip() for line in changed] in (["source"], ["source", "floor"])
    assert text.count("null") >= original.count("null")


# --- bounded reading ------------------------------------------------------------------------


def test_the_pool_is_bounded_yet_holds_every_value_gap_and_two_rows_of_each_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = 3000
    frame = pd.DataFrame(
        {
            "colour": [("red", "green")[index % 2] for index in range(rows)],
            "size": [f"{(index * 37) % 1000 / 10:.1f}" for index in range(rows)],
            "label": ["common"] * rows,
        }
    )
    frame.loc[2990, "colour"] = "violet"  # a category in one row, late
    frame.loc[2500, "size"] = ""  # a gap in one row
    frame.loc[[2995, 2998], "label"] = "rare"  # a class of two rows
    frame.loc[1000, "label"] = ""  # a row without a target
    csv = tmp_path / "big.csv"
    frame.to_csv(csv, index=False)
    monkeypatch.setattr(survey, "CHUNK_CELLS", 300)
    monkeypatch.setattr(survey, "POOL_ROWS", 100)
    found = survey_csv(csv, "label")
    assert len(found.pool) <= 100 + 10
    assert {2990, 2500, 2995, 2998} <= set(found.pool.index)
    assert 1000 not in found.pool.index
    assert (found.rows, found.rows_without_target) == (rows, 1)
    size = found.columns["size"]
    labelled = frame[frame["label"] != ""]
    numbers = labelled["size"][labelled["size"] != ""].astype(float)
    assert (size.low, size.high, size.missing) == (numbers.min(), numbers.max(), 1)
    assert found.columns["colour"].counts == labelled["colour"].value_counts().to_dict()
    assert survey_csv(csv, "label").pool.equals(found.pool)
