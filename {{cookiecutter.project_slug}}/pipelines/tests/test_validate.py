"""Pipelines: every checker derived from core's field rules gives the same verdict and reason on the same rows.

Tables are generated from a contract: every column gets good values, values on and just past its
bounds, gaps (None and NaN), infinities, unknown categories and values of the wrong type. The
reference is the contract's pydantic model, one record at a time; the forms compared with it are the
column-wise Arrow checks (validate, score), the field-by-field rules, the service's key pre-check and
research's check of text cells. It runs on the team's contract and on a synthetic one with each kind
of field, so it holds for any contract `make dataset` writes.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Any, Literal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from {{ cookiecutter.package_name }}_core import MISSING_TOKENS, NUMERIC_COLUMNS, LabelledRecord, Violation
from {{ cookiecutter.package_name }}_core.rules import FieldRule, field_rules, key_errors, violations
from {{ cookiecutter.package_name }}_pipelines import validate
from {{ cookiecutter.package_name }}_pipelines.files import arrow_type

# No example database in the repository; small frames, many of them.
QUICK = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Synthetic(BaseModel):
    """A contract with each kind of field, under the team's config: bounded numbers (one optional, open
    bounds), a bounded integer, categories (one optional) and free text."""

    model_config = LabelledRecord.model_config

    length: float = Field(ge=0.5, le=70.0)
    weight: float | None = Field(default=None, gt=0.0, lt=10.0)
    year: int = Field(ge=2000, le=2030)
    colour: Literal["red", "green"]
    colony: Literal["north", "south"] | None = None
    note: str


CONTRACTS = pytest.mark.parametrize("model", [LabelledRecord, Synthetic], ids=["team", "synthetic"])


def numbers(rule: FieldRule) -> st.SearchStrategy[Any]:
    """Inside the bounds, on them, one step either side, anywhere at all, gaps and infinities."""
    edges = [bound for _, bound in rule.bounds]
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


def integers(rule: FieldRule) -> st.SearchStrategy[Any]:
    edges = [int(bound) for _, bound in rule.bounds]
    low, high = min(edges, default=-1000), max(edges, default=1000)
    return st.one_of(st.integers(low - 2, high + 2), st.integers(-(2**63), 2**63 - 1), st.none())


def texts(rule: FieldRule) -> st.SearchStrategy[Any]:
    """Each allowed category, near misses (case, spaces, empty), any text, gaps."""
    allowed = list(rule.categories) or ["text"]
    near = [variant for value in allowed for variant in (value.upper(), f" {value}", value[:-1])]
    return st.one_of(st.sampled_from(allowed), st.sampled_from([*near, ""]), st.text(max_size=6), st.none())


def column(model: type[BaseModel], rule: FieldRule, rows: int) -> st.SearchStrategy[pa.Array]:
    """A column of the contract's Arrow type, or (less often) of a type the contract does not expect."""
    expected = arrow_type(model.model_fields[rule.name].annotation)
    if pa.types.is_floating(expected):
        typed = [(pa.float64(), numbers(rule)), (pa.int64(), integers(rule))]
    elif pa.types.is_integer(expected):
        typed = [(pa.int64(), integers(rule)), (pa.float64(), numbers(rule))]
    elif pa.types.is_boolean(expected):
        typed = [(pa.bool_(), st.one_of(st.booleans(), st.none()))]
    else:
        typed = [(pa.string(), texts(rule))]
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
    return pa.table({name: draw(column(model, rule, rows)) for name, rule in field_rules(model).items()})


def reasons(found: list[Violation] | tuple[Violation, ...]) -> list[tuple[str, str]]:
    return [(violation.column, violation.rule) for violation in found]


def assert_same(findings: validate.Findings, expected: list[list[Violation]]) -> None:
    assert findings.bad.tolist() == [bool(found) for found in expected]
    assert findings.reasons == ["; ".join(str(violation) for violation in found) for found in expected if found]
    assert findings.counts == Counter((v.column, v.rule) for found in expected for v in found)


def pydantic_key_errors(model: type[BaseModel], record: dict[str, Any]) -> list[tuple[str, str]]:
    """The errors about a record's keys that the contract's model itself reports."""
    try:
        model.model_validate(record)
    except ValidationError as error:
        keys = [(str(issue["loc"][0]), issue["type"]) for issue in error.errors() if len(issue["loc"]) == 1]
        return [(name, kind) for name, kind in keys if kind in ("missing", "extra_forbidden")]
    return []


def as_cells(rules: dict[str, FieldRule], row: dict[str, Any], gap: str) -> dict[str, str] | None:
    """The row as CSV text cells (a gap written as `gap`), or None when text cannot hold one of its values as
    typed (a string in a number column, a category spelt like a gap): research reads text, where those differ."""
    cells = {}
    for name, value in row.items():
        kind = rules[name].kind
        if value is None or (isinstance(value, float) and math.isnan(value)):
            cells[name] = gap
        elif kind in ("number", "integer") and type(value) in (float, int) and (kind == "number" or type(value) is int):
            cells[name] = repr(value)
        elif kind in ("category", "text") and isinstance(value, str) and value not in MISSING_TOKENS:
            cells[name] = value
        else:
            return None
    return cells


@pytest.mark.slow  # a property test: many generated tables
@CONTRACTS
@settings(QUICK, max_examples=150)
@given(data=st.data())
def test_every_checker_gives_the_per_record_verdict_and_reason(model: type[BaseModel], data: st.DataObject) -> None:
    rules = field_rules(model)
    table = data.draw(tables(model))
    rows = table.to_pylist()
    expected = [violations(model, row) for row in rows]
    # The pipeline's column-wise Arrow checks (validate and score).
    assert_same(validate.check(table, validate.column_rules(model)), expected)
    for row, found in zip(rows, expected, strict=True):
        # Field by field: the explanations the Arrow checks quote.
        assert [v for name, rule in rules.items() for v in rule.explain(row[name])] == found
        # The service's pre-check of a record's keys: a gap left out, an unknown key added.
        record = {name: value for name, value in row.items() if value is not None}
        record |= data.draw(st.sampled_from([{}, {"<unknown>": 1.0}]))
        assert key_errors(model, record) == pydantic_key_errors(model, record)
        # Research's check of text cells (make dataset's inferred contract).
        cells = as_cells(rules, row, data.draw(st.sampled_from(sorted(MISSING_TOKENS))))
        if cells is not None:
            assert reasons(violations(model, {name: rules[name].parse(cell) for name, cell in cells.items()})) == (
                reasons(found)
            )


def test_the_rules_are_derived_from_the_contract() -> None:
    rules = field_rules(Synthetic)
    assert {name: rule.kind for name, rule in rules.items()} == {
        "length": "number",
        "weight": "number",
        "year": "integer",
        "colour": "category",
        "colony": "category",
        "note": "text",
    }
    assert rules["length"].range == (0.5, 70.0)
    assert rules["weight"].bounds == (("gt", 0.0), ("lt", 10.0))
    assert rules["colony"].categories == ("north", "south")
    assert [name for name, rule in rules.items() if not rule.required] == ["weight", "colony"]
    assert [name for name, rule in rules.items() if rule.nullable] == ["weight", "colony"]


class CrossField(LabelledRecord):
    """The contract plus a rule across two of its columns, which no column-wise check can hold."""

    @model_validator(mode="after")
    def _first_numeric_column_at_most_the_second(self) -> CrossField:
        first, second = (getattr(self, name) for name in NUMERIC_COLUMNS[:2])
        if first is not None and second is not None and first > second:
            raise ValueError(f"{NUMERIC_COLUMNS[0]} is at most {NUMERIC_COLUMNS[1]}")
        return self


class FieldRuleCheck(LabelledRecord):
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


def test_a_column_named_type_is_checked_column_wise() -> None:
    rules = validate.column_rules(ColumnNamedType)
    assert rules is not None
    assert set(rules) == set(ColumnNamedType.model_fields)


@pytest.mark.parametrize("contract", [CrossField, FieldRuleCheck, AnnotatedRule], ids=["model", "field", "annotated"])
def test_a_contract_with_validators_is_checked_row_by_row(contract: type[LabelledRecord]) -> None:
    assert validate.column_rules(contract) is None


@pytest.mark.slow  # a property test: many generated tables
@settings(QUICK, max_examples=50)
@given(tables())
def test_the_row_by_row_fallback_gives_the_same_findings(table: pa.Table) -> None:
    assert_same(validate.check_rows(table), [violations(LabelledRecord, row) for row in table.to_pylist()])


def test_a_flagged_value_the_contract_accepts_is_a_loud_error() -> None:
    """A column rule that flags a value the contract accepts is a bug, not a finding."""
    inside = 5.0
    wrong = FieldRule(Synthetic, "weight", "number", required=False, bounds=(("ge", inside + 1),))
    with pytest.raises(AssertionError, match=rf"column 'weight' flagged value {inside!r} that the contract accepts"):
        validate.check(pa.table({"weight": [inside]}), {"weight": wrong})
