"""Parsing of ``join``, ``calculation`` and ``transformation`` objects, driven by tables.

Each variant is described once, as the members it reads and how; the required
members are those of the workshop's JSON Schema (``target_table``,
``join_condition``... per type).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from dal.contract.dates import DatePattern
from dal.contract.derivations import (
    AggregateCalculation,
    AggregateOperation,
    Calculation,
    CalculationType,
    CaseCalculation,
    CaseWhen,
    ChainJoin,
    ChainStep,
    ConcatCalculation,
    ConditionalJoin,
    Construction,
    ConstructionType,
    DateFormat,
    DateMathCalculation,
    ForeignKeyJoin,
    Join,
    JoinType,
    JsonConstructionJoin,
    JsonParse,
    LookupTableJoin,
    MultiColumnJoin,
    NumberFormat,
    SelfJoin,
    StringFormat,
    Transformation,
    TransformationType,
)
from dal.contract.errors import TemplateError
from dal.contract.reader import Reader
from dal.contract.template import Template

__all__ = ["parse_calculation", "parse_join", "parse_transformation"]

V = TypeVar("V", bound=StrEnum)
T = TypeVar("T")

Member = Callable[[Reader, str], object]
"""Reads one member; returns None (after reporting, if it was required) when absent or bad."""


def _required(reader: Reader, key: str) -> object:
    return reader.text(key)


def _optional(reader: Reader, key: str) -> object:
    return reader.text(key, required=False)


def _required_texts(reader: Reader, key: str) -> object:
    return reader.texts(key, required=True)


def _optional_texts(reader: Reader, key: str) -> object:
    return reader.texts(key)


def _operation(reader: Reader, key: str) -> object:
    return reader.choice(key, AggregateOperation)


def _construction(reader: Reader, key: str) -> object:
    raw = reader.obj(key, required=True)
    if raw is None:
        return None
    sub = reader.nested(raw, "construction")
    before = len(sub.problems)
    kind = sub.choice("type", ConstructionType)
    columns = sub.obj("select_columns", required=True)
    if columns is not None and (
        not columns or not all(isinstance(v, str) and v for v in columns.values())
    ):
        sub.report("'select_columns' must map each output key to a source column")
    limit = sub.number("limit", required=False)
    if limit is not None and (not float(limit).is_integer() or limit < 1):
        sub.report(f"'limit' must be a positive whole number, not {limit}")
    order_by = sub.text("order_by", required=False)
    if len(sub.problems) > before or kind is None or columns is None:
        return None
    return Construction(kind, dict(columns), None if limit is None else int(limit), order_by)


def _objects(
    noun: str, factory: Callable[..., object], members: Mapping[str, Member], label: str
) -> Member:
    """Reads a non-empty list of objects, each built by ``factory`` from ``members``.

    ``label`` names one object in problems; it may use ``{what}`` (the owner) and ``{n}``.
    """

    def read(reader: Reader, key: str) -> object:
        raws = reader.objects(key, required=True)
        if raws is not None and not raws:
            reader.report(f"{reader.what} needs at least one {noun} in '{key}'")
        built = [
            _build(factory, members, reader.nested(raw, label.format(what=reader.what, n=n)))
            for n, raw in enumerate(raws or (), start=1)
        ]
        return tuple(built) if raws and all(built) else None

    return read


def _parsed(parse: Callable[[str], object], error: type[ValueError]) -> Member:
    """Reads a required text and parses it; a parse ``error`` is reported, naming the owner."""

    def read(reader: Reader, key: str) -> object:
        text = reader.text(key)
        if text is None:
            return None
        try:
            return parse(text)
        except error as problem:
            reader.report(f"{reader.what}: {problem}")
            return None

    return read


_STEP: dict[str, Member] = {
    "target_table": _required,
    "join_condition": _required,
    "select_column": _required,
}
_LOOKUP: dict[str, Member] = {**_STEP, "join_alias": _optional}
_chain_steps = _objects("step", ChainStep, _STEP, "chain join step {n}")
_cases = _objects("branch", CaseWhen, {"when": _required, "then": _required}, "{what} branch {n}")
_template = _parsed(Template, TemplateError)
_date_pattern = _parsed(DatePattern, ValueError)

_JOINS: dict[JoinType, tuple[Callable[..., Join], dict[str, Member]]] = {
    JoinType.SELF_JOIN: (
        SelfJoin,
        {
            "join_alias": _required,
            "join_condition": _required,
            "select_column": _required,
            "null_value": _optional,
        },
    ),
    JoinType.FOREIGN_KEY: (ForeignKeyJoin, _LOOKUP),
    JoinType.MULTI_COLUMN: (
        MultiColumnJoin,
        {
            "target_table": _required,
            "join_conditions": _required_texts,
            "select_column": _required,
            "join_alias": _optional,
        },
    ),
    JoinType.CONDITIONAL: (
        ConditionalJoin,
        {"condition": _required, **_LOOKUP, "else_value": _required},
    ),
    JoinType.CHAIN: (ChainJoin, {"joins": _chain_steps, "chain_separator": _optional}),
    JoinType.LOOKUP_TABLE: (LookupTableJoin, _LOOKUP),
    JoinType.JSON_CONSTRUCTION: (
        JsonConstructionJoin,
        {
            "target_table": _required,
            "join_condition": _required,
            "construction": _construction,
            "join_alias": _optional,
        },
    ),
}

_CALCULATIONS: dict[CalculationType, tuple[Callable[..., Calculation], dict[str, Member]]] = {
    CalculationType.AGGREGATE: (
        AggregateCalculation,
        {
            "target_table": _required,
            "join_condition": _required,
            "operation": _operation,
            "select_column": _required,
            "join_alias": _optional,
        },
    ),
    CalculationType.CASE: (CaseCalculation, {"cases": _cases, "else": _optional}),
    CalculationType.CONCAT: (
        ConcatCalculation,
        {"separator": _optional, "columns": _optional_texts},
    ),
    CalculationType.DATE_MATH: (DateMathCalculation, {"expression": _optional}),
}

_TRANSFORMATIONS: dict[
    TransformationType, tuple[Callable[..., Transformation], dict[str, Member]]
] = {
    TransformationType.STRING_FORMAT: (
        StringFormat,
        {"format": _template, "source_format": _optional},
    ),
    TransformationType.DATE_FORMAT: (
        DateFormat,
        {"format": _date_pattern, "source_format": _optional},
    ),
    TransformationType.NUMBER_FORMAT: (
        NumberFormat,
        {"format": _optional, "source_format": _optional},
    ),
    TransformationType.JSON_PARSE: (JsonParse, {"format": _optional, "source_format": _optional}),
}

# JSON member -> constructor argument, where the two differ
_RENAMED: dict[tuple[object, str], str] = {
    (CaseCalculation, "else"): "else_value",
    (StringFormat, "format"): "template",
    (DateFormat, "format"): "pattern",
}


def _build(factory: Callable[..., T], members: Mapping[str, Member], reader: Reader) -> T | None:
    """Read ``members`` and call ``factory`` with them, or return None after a problem."""
    before = len(reader.problems)
    values = {key: read(reader, key) for key, read in members.items()}
    if len(reader.problems) > before:
        return None
    arguments = {
        _RENAMED.get((factory, key), key): value
        for key, value in values.items()
        if value is not None
    }
    return factory(**arguments)


def _variant(
    raw: Mapping[str, Any],
    reader: Reader,
    what: str,
    enum: type[V],
    variants: Mapping[V, tuple[Callable[..., T], dict[str, Member]]],
) -> T | None:
    kinds = reader.nested(raw, what)
    kind = kinds.choice("type", enum)
    if kind is None:
        return None
    factory, members = variants[kind]
    return _build(factory, members, reader.nested(raw, f"{what} type '{kind}'"))


def parse_join(raw: Mapping[str, Any], reader: Reader) -> Join | None:
    """The typed join described by ``raw``, or None after reporting what is wrong."""
    return _variant(raw, reader, "join", JoinType, _JOINS)


def parse_calculation(raw: Mapping[str, Any], reader: Reader) -> Calculation | None:
    """The typed calculation described by ``raw``, or None after reporting what is wrong."""
    calculation = _variant(raw, reader, "calculation", CalculationType, _CALCULATIONS)
    if isinstance(calculation, DateMathCalculation):
        extra = {k: v for k, v in raw.items() if k not in {"type", "expression"}}
        return DateMathCalculation(calculation.expression, extra)
    return calculation


def parse_transformation(raw: Mapping[str, Any], reader: Reader) -> Transformation | None:
    """The typed transformation described by ``raw``, or None after reporting what is wrong."""
    return _variant(raw, reader, "transformation", TransformationType, _TRANSFORMATIONS)
