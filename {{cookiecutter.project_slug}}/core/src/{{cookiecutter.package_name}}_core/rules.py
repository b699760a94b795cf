"""Core (Data Scientists + ML Engineers): each contract field's rule (kind, bounds, categories, optional), read
once from the pydantic model's public API. Every row checker derives from it: `violations` (a record), the
pipeline's Arrow checks, the service's `key_errors`, research's `parse`; a reason is pydantic's error type.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

# The project's one missing-value convention: a CSV cell that is exactly one of these is a gap, in every
# reader (core's rows, research's inference, the pipeline's Arrow and pandas readers). "None" is a value:
# a category such as "no airbags: None" is data. `make dataset` writes every gap as "".
MISSING_TOKENS = frozenset({"", "#N/A", "#NA", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"})

Kind = Literal["number", "integer", "category", "text", "other"]
# pydantic's error types for a record's keys.
KeyProblem = Literal["missing", "extra_forbidden"]
# Constraints a column-wise comparison can check (annotated_types, as pydantic's Field(ge=...) writes them).
BOUND_TYPES = {annotated_types.Ge: "ge", annotated_types.Gt: "gt", annotated_types.Le: "le", annotated_types.Lt: "lt"}
# pydantic-core schema types that call a function of the contract's author while validating.
VALIDATOR_FUNCTIONS = frozenset({"function-before", "function-after", "function-wrap", "function-plain"})


@dataclass(frozen=True)
class Violation:
    """Why one value of one row breaks the contract: its column and pydantic's error type (`missing` for a gap)."""

    column: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message} (rule {self.rule}, value {self.value!r})"


def _as_violations(error: ValidationError) -> list[Violation]:
    return [
        Violation(
            column=".".join(str(part) for part in issue["loc"]) or "<row>",
            rule="missing" if issue["input"] is None else issue["type"],
            value=issue["input"],
            message="missing value" if issue["input"] is None else issue["msg"],
        )
        for issue in error.errors(include_url=False)
    ]


def _gap_to_none(value: Any) -> Any:
    """CSV readers give NaN for an empty cell; the contract calls that a missing value."""
    return None if isinstance(value, float) and math.isnan(value) else value


def violations(model: type[BaseModel], row: Mapping[str, Any]) -> list[Violation]:
    """Every violation of `model` in one row, field by field (columns `model` does not name are ignored)."""
    try:
        model.model_validate({name: _gap_to_none(row.get(name)) for name in model.model_fields})
    except ValidationError as error:
        return _as_violations(error)
    return []


@dataclass(frozen=True)
class FieldRule:
    """One field of a contract model, read from its type and constraints. `kind` "other" is a type no
    column-wise check knows (a flag, a date, a constrained string): pydantic judges each distinct value."""

    model: type[BaseModel] = field(repr=False)
    name: str
    kind: Kind
    required: bool  # the key must be given: the field has no default
    bounds: tuple[tuple[str, float], ...] = ()  # (ge|gt|le|lt, value) pairs
    categories: tuple[str, ...] = ()

    @property
    def nullable(self) -> bool:
        """Whether a gap is a value of this field (typed `X | None`)."""
        return not self.explain(None)

    @property
    def range(self) -> tuple[float, float]:
        """(low, high) of a number; an open side is +-inf."""
        found = dict(self.bounds)
        low, high = found.get("ge", found.get("gt", -math.inf)), found.get("le", found.get("lt", math.inf))
        return float(low), float(high)

    def explain(self, value: Any) -> tuple[Violation, ...]:
        """What the contract says about one value of this field (empty when it is valid)."""
        # The repr is part of the key: -0.0 and 0.0 are equal (and 1 and 1.0), but a reason quotes the value as given.
        return _explain(self, _gap_to_none(value), repr(value))

    def parse(self, cell: str) -> str | float | None:
        """A CSV cell as this field's value: a gap (MISSING_TOKENS) is None, a number's text a float, else the text."""
        if cell in MISSING_TOKENS:
            return None
        if self.kind in ("category", "text"):
            return cell  # a category "4" is not the number 4
        try:
            return int(cell) if self.kind == "integer" else float(cell)
        except ValueError:
            return cell


@lru_cache(maxsize=1 << 16, typed=True)  # bad values repeat (gaps, a misspelt category): each explained once
def _explain(rule: FieldRule, value: Any, _key: str) -> tuple[Violation, ...]:
    return tuple(violations(_field_model(rule.model, rule.name), {rule.name: value}))


@cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """`model` reduced to one field, with its config (strict, no inf/NaN): that field's errors, and only those."""
    info = model.model_fields[name]
    reduced: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{model.__name__}_{name}", __config__=model.model_config, **{name: (info.annotation, info)}
    )
    return reduced


def _present(annotation: Any) -> list[Any]:  # `X | None` -> [X]
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return [annotation]


def _rule(model: type[BaseModel], name: str) -> FieldRule:
    info = model.model_fields[name]
    present = _present(info.annotation)
    kind: Kind = "other"
    bounds = tuple(
        (BOUND_TYPES[type(meta)], getattr(meta, BOUND_TYPES[type(meta)]))
        for meta in info.metadata
        if type(meta) in BOUND_TYPES
    )
    plain = len(bounds) == len(info.metadata) and len(present) == 1
    categories: tuple[str, ...] = ()
    if plain and present[0] in (float, int):
        kind = "number" if present[0] is float else "integer"
    elif plain and not bounds and not any(key.startswith("str_") for key in model.model_config):
        values = get_args(present[0]) if get_origin(present[0]) is Literal else ()
        if values and all(isinstance(value, str) for value in values):
            kind, categories = "category", values
        elif present[0] is str:
            kind = "text"
    return FieldRule(model, name, kind, info.is_required(), bounds if kind in ("number", "integer") else (), categories)


@cache
def field_rules(model: type[BaseModel]) -> dict[str, FieldRule]:
    """Every field's rule, in the model's order."""
    return {name: _rule(model, name) for name in model.model_fields}


def _runs_functions(schema: object) -> bool:
    if isinstance(schema, dict):
        # A schema's own "type" is a string; a dict of fields may also hold a field named "type" (Cars93's `Type`).
        kind = schema.get("type")
        return (isinstance(kind, str) and kind in VALIDATOR_FUNCTIONS) or any(map(_runs_functions, schema.values()))
    if isinstance(schema, list | tuple):
        return any(map(_runs_functions, schema))
    return False


@cache
def field_by_field(model: type[BaseModel]) -> bool:
    """Whether the model's verdict is its fields' verdicts: not when its public core_schema runs a validator
    function of the contract's author (a model or field validator, an AfterValidator): it may read several fields."""
    return not _runs_functions(TypeAdapter(model).core_schema)


def key_errors(model: type[BaseModel], record: Mapping[str, Any]) -> list[tuple[str, KeyProblem]]:
    """(field, pydantic error type) of each required field `record` leaves out, then each key the model does not
    name when it forbids extra keys: what pydantic reports about the record's keys, in its order."""
    rules = field_rules(model)
    missing: list[tuple[str, KeyProblem]] = [
        (name, "missing") for name, rule in rules.items() if rule.required and name not in record
    ]
    if model.model_config.get("extra") != "forbid":
        return missing
    return missing + [(str(key), "extra_forbidden") for key in record if key not in rules]
