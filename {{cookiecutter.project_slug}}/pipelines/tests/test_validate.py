"""Pipelines: column-wise validation equals core's per-row pydantic check, row for row and reason for reason.

Frames are generated from the contract: every column gets good values, values on and just past
its bounds, gaps (None and NaN), infinities, unknown categories and values of the wrong type.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from {{ cookiecutter.package_name }}_core import NUMERIC_COLUMNS, LabelledRecord, Violation, find_violations
from {{ cookiecutter.package_name }}_pipelines import validate
from {{ cookiecutter.package_name }}_pipelines.files import arrow_type

BOUND_NAMES = ("ge", "gt", "le", "lt")
# No example database in the repository; small frames, many of them.
QUICK = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def bounds(info: Any) -> list[float]:
    return [getattr(item, name) for item in info.metadata for name in BOUND_NAMES if hasattr(item, name)]


def numbers(info: Any) -> st.SearchStrategy[Any]:
    """Inside the bounds, on them, one step either side, anywhere at all, gaps and infinities."""
    edges = bounds(info)
    low, high = min(edges, default=-1e6), max(edges, default=1e6)
    near = [
        value for edge in edges for value in (edge, math.nextafter(edge, -math.inf), math.nextafter(edge, math.inf))
    ]
    return st.one_of(
        st.floats(low, high),
        st.sampled_from(near or [0.0]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([None, math.nan, math.inf, -math.inf, 0.0, -0.0]),
    )


def integers(info: Any) -> st.SearchStrategy[Any]:
    edges = [int(edge) for edge in bounds(info)]
    low, high = min(edges, default=-1000), max(edges, default=1000)
    return st.one_of(st.integers(low - 2, high + 2), st.integers(-(2**63), 2**63 - 1), st.none())


def texts(info: Any) -> st.SearchStrategy[Any]:
    """Each allowed category, near misses (case, spaces, empty), any text, gaps."""
    allowed = [value for value in get_args(info.annotation) if isinstance(value, str)] or ["text"]
    near = [variant for value in allowed for variant in (value.upper(), f" {value}", value[:-1])]
    return st.one_of(st.sampled_from(allowed), st.sampled_from([*near, ""]), st.text(max_size=6), st.none())


def column(info: Any, rows: int) -> st.SearchStrategy[pa.Array]:
    """A column of the contract's Arrow type, or (less often) of a type the contract does not expect."""
    expected = arrow_type(info.annotation)
    if pa.types.is_floating(expected):
        typed = [(pa.float64(), numbers(info)), (pa.int64(), integers(info))]
    elif pa.types.is_integer(expected):
        typed = [(pa.int64(), integers(info)), (pa.float64(), numbers(info))]
    elif pa.types.is_boolean(expected):
        typed = [(pa.bool_(), st.one_of(st.booleans(), st.none()))]
    else:
        typed = [(pa.string(), texts(info))]
    wrong = [
        (pa.string(), st.one_of(st.text(max_size=4), st.none())),
        (pa.bool_(), st.one_of(st.booleans(), st.none())),
    ]
    return st.sampled_from(typed * 4 + wrong).flatmap(
        lambda pair: st.lists(pair[1], min_size=rows, max_size=rows).map(lambda values: pa.array(values, type=pair[0]))
    )


@st.composite
def tables(draw: st.DrawFn, model: type[BaseModel] = LabelledRecord) -> pa.Table:
    rows = draw(st.integers(0, 20))
    return pa.table({name: draw(column(info, rows)) for name, info in model.model_fields.items()})


def per_row(
    table: pa.Table, find: Callable[[dict[str, Any]], list[Violation]] = find_violations
) -> list[list[Violation]]:
    """The reference: core's pydantic check, one row at a time, on the same values."""
    return [find(row) for row in table.to_pylist()]


def assert_same(findings: validate.Findings, expected: list[list[Violation]]) -> None:
    assert findings.bad.tolist() == [bool(found) for found in expected]
    assert findings.reasons == ["; ".join(str(violation) for violation in found) for found in expected if found]
    assert findings.counts == Counter((v.column, v.rule) for found in expected for v in found)


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Explanations are cached per contract field; a test that swaps the contract must not see old ones."""
    validate.clear_caches()
    yield
    validate.clear_caches()


@pytest.mark.slow  # a property test: many generated tables
@settings(QUICK, max_examples=200)
@given(tables())
def test_column_wise_validation_equals_the_per_row_contract(table: pa.Table) -> None:
    assert_same(validate.check(table), per_row(table))


class Extended(LabelledRecord):
    """The contract as a team might grow it: an optional bounded number, a bounded integer, free text, a flag."""

    weight_kg: float | None = Field(default=None, gt=0.0, lt=10.0)
    year: int = Field(ge=2000, le=2030)
    note: str
    ringed: bool
    colony: Literal["north", "south"] | None = None


def find_extended(row: dict[str, Any]) -> list[Violation]:
    """find_violations() for the extended contract: the same wording, pydantic's errors."""
    known = {name: None if isinstance(v, float) and math.isnan(v) else v for name, v in row.items()}
    try:
        Extended.model_validate(known)
    except ValidationError as error:
        return [
            Violation(
                column=".".join(str(part) for part in issue["loc"]),
                rule="missing" if issue["input"] is None else issue["type"],
                value=issue["input"],
                message="missing value" if issue["input"] is None else issue["msg"],
            )
            for issue in error.errors(include_url=False)
        ]
    return []


@pytest.mark.slow  # a property test: many generated tables
@settings(QUICK, max_examples=100)
@given(data=st.data())
def test_the_equivalence_holds_for_integer_optional_text_and_flag_fields(data: st.DataObject) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "LabelledRecord", Extended)
        validate.clear_caches()
        table = data.draw(tables(Extended))
        assert_same(validate.check(table), per_row(table, find_extended))
    validate.clear_caches()


def test_the_rules_are_derived_from_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "LabelledRecord", Extended)
    rules = validate.column_rules()
    assert rules is not None
    assert rules["year"].number is int
    assert len(rules["year"].bounds) == 2
    assert rules["weight_kg"].number is float
    assert len(rules["weight_kg"].bounds) == 2
    assert rules["note"].text
    # Categories and flags are judged by pydantic once per distinct value.
    assert rules["ringed"].number is None
    assert not rules["ringed"].text
    assert rules["colony"].number is None
    assert not rules["colony"].text


class CrossField(LabelledRecord):
    """The contract plus a rule across two of its columns, which no column-wise check can hold."""

    @model_validator(mode="after")
    def _first_numeric_column_at_most_the_second(self) -> CrossField:
        first, second = (getattr(self, name) for name in NUMERIC_COLUMNS[:2])
        if first is not None and second is not None and first > second:
            raise ValueError(f"{NUMERIC_COLUMNS[0]} is at most {NUMERIC_COLUMNS[1]}")
        return self


class FieldRule(LabelledRecord):
    """The contract plus a field validator on its columns (one could read the others through `info.data`)."""

    @field_validator("*")
    @classmethod
    def _any_value(cls, value: Any) -> Any:
        return value


class AnnotatedRule(LabelledRecord):
    """The contract plus a column whose annotation carries a validator function."""

    tag: Annotated[str, AfterValidator(str.strip)] = ""


class ColumnNamedType(LabelledRecord):
    """The contract plus a column named like a key of pydantic-core's schemas (Cars93's `Type` becomes `type`)."""

    type: str = ""


def test_a_column_named_type_is_checked_column_wise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "LabelledRecord", ColumnNamedType)
    rules = validate.column_rules()
    assert rules is not None
    assert set(rules) == set(ColumnNamedType.model_fields)


@pytest.mark.parametrize("contract", [CrossField, FieldRule, AnnotatedRule], ids=["model", "field", "annotated"])
def test_a_contract_with_validators_is_checked_row_by_row(
    monkeypatch: pytest.MonkeyPatch, contract: type[LabelledRecord]
) -> None:
    monkeypatch.setattr(validate, "LabelledRecord", contract)
    assert validate.column_rules() is None


@pytest.mark.slow  # a property test: many generated tables
@settings(QUICK, max_examples=50)
@given(tables())
def test_the_row_by_row_fallback_gives_the_same_findings(table: pa.Table) -> None:
    assert_same(validate.check_rows(table), per_row(table))


def test_a_flagged_value_the_contract_accepts_is_a_loud_error() -> None:
    """A column rule that flags a value the contract accepts is a bug, not a finding. The bounded number is the
    extended contract's (above), so the test holds whether or not the team's contract has one."""
    name = "weight_kg"
    inside = sum(bounds(Extended.model_fields[name])) / 2
    wrong = validate.ColumnRule(name, number=float, text=False, bounds=((lambda values, _: pc.is_valid(values), 0.0),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "LabelledRecord", Extended)
        validate.clear_caches()
        with pytest.raises(
            AssertionError, match=rf"column '{name}' flagged value {inside!r} that the contract accepts"
        ):
            validate.check(pa.table({name: [inside]}), {name: wrong})
    validate.clear_caches()
