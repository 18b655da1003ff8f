"""The checks of one column's values, chosen once from its type and the contract.

:func:`column_checks` reads a reflected table (with ``column.info`` filled by
:func:`~dal.contract.check.reflect.describe_columns` where the database could say
more than SQLAlchemy's types) and the contract entities that store it, and gives
one :class:`ColumnCheck` per column that needs one: a function from a value to
the :class:`~dal.contract.check.kinds.Kind` it is (or None), and the kinds the
contract already says how to store (:data:`~dal.contract.check.kinds.KINDS`).
Values are as :func:`~dal.entities.reflect_tables` reads them: ``Decimal``,
``float`` for FLOAT and DOUBLE, ``timedelta`` for TIME, ``str`` for a zero date.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.types import Date, DateTime, Float, Numeric, Time

from adapters.rules import number_problem
from dal.contract import Attribute, AttributeType, DateFormat, Entity
from dal.contract.check.kinds import KINDS, Kind

__all__ = [
    "DATA_TYPE_INFO",
    "JSON_INFO",
    "ColumnCheck",
    "ValueCheck",
    "column_checks",
    "data_type",
]

DATA_TYPE_INFO = "data_type"
"""``Column.info`` key: the database's own name of the column's type (``point``, ``json``)."""

JSON_INFO = "json"
"""``Column.info`` key: True for a column that holds JSON (MariaDB's JSON is a LONGTEXT)."""

ValueCheck = Callable[[Any], Kind | None]
"""What a (non-NULL) value of a column is, or None when it is safe."""

_SIGNED_BIGINT = 2**63 - 1
_PLAIN_TEXT = frozenset({Kind.ZERO_DATE, Kind.TIME, Kind.NEGATIVE_TIME})
_MAX_DIGITS = 38
_MARKED = {
    "enum": Kind.ENUM,
    "set": Kind.SET,
    "year": Kind.YEAR,
    "bit": Kind.BIT,
    "json": Kind.JSON,
}
_SPATIAL = frozenset(
    {
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    }
)


@dataclass(frozen=True)
class ColumnCheck:
    """The checks of one column: ``checks`` run on every non-NULL value in turn."""

    column: str
    checks: tuple[ValueCheck, ...]
    handled: frozenset[Kind]
    """Kinds the contract says how to store (reported, but not counted and not refused)."""

    def kind(self, value: Any) -> Kind | None:
        """The first kind ``value`` is, or None."""
        for check in self.checks:
            found = check(value)
            if found is not None:
                return found
        return None


def data_type(column: Column[Any]) -> str:
    """The column's type name as the database says it (``decimal``, ``point``), lower case."""
    named = column.info.get(DATA_TYPE_INFO)
    if isinstance(named, str):
        return named.lower()
    return type(column.type).__name__.lower()


def column_checks(
    table: Table,
    entities: Sequence[Entity] = (),
    key_columns: Iterable[str] = (),
    padded_columns: Iterable[str] = (),
) -> list[ColumnCheck]:
    """The checks of every column of ``table`` that needs one.

    ``entities`` are the contract entities stored from the table (none without a
    contract); ``key_columns`` the columns a DynamoDB key holds alone (an empty
    string there is refused); ``padded_columns`` the key and unique columns MySQL
    compares ignoring trailing spaces.
    """
    keys, padded = frozenset(key_columns), frozenset(padded_columns)
    found = []
    for column in table.columns:
        checks = _type_checks(column, entities)
        if column.name in keys:
            checks.append(_empty_key)
        if column.name in padded:
            checks.append(_trailing_space)
        if checks:
            handled = _handled(column.name, entities)
            found.append(ColumnCheck(column.name, tuple(checks), handled))
    return found


def _type_checks(column: Column[Any], entities: Sequence[Entity]) -> list[ValueCheck]:
    name = data_type(column)
    kind = column.type
    if column.info.get(JSON_INFO):
        name = "json"
    if name in _MARKED:
        return [_always(_MARKED[name])]
    if name in _SPATIAL:
        return [_always(Kind.SPATIAL)]
    if name == "time" or isinstance(kind, Time):
        return [_time]
    if isinstance(kind, Float):
        return [_float_check(kind)]
    if isinstance(kind, Numeric):
        return [] if _fits_a_number(kind) else [_decimal]
    if getattr(kind, "unsigned", False) and name == "bigint":
        return [_unsigned]  # smaller unsigned integers stay below 2^63
    if isinstance(kind, Date | DateTime):
        return [_zero_date, *_fraction_checks(column.name, entities)]
    return []


def _fits_a_number(kind: Numeric[Any]) -> bool:
    """Whether every value of a DECIMAL(p, s) fits a DynamoDB number: p <= 38 digits, and
    its smallest step 10^-s and largest value below 10^p are within 1e-130..1e126."""
    precision, scale = kind.precision, kind.scale
    return precision is not None and precision <= _MAX_DIGITS and (scale or 0) <= precision


def _always(kind: Kind) -> ValueCheck:
    def check(value: Any) -> Kind | None:
        return kind

    return check


def _decimal(value: Any) -> Kind | None:
    if isinstance(value, float):
        return Kind.NOT_A_NUMBER if not math.isfinite(value) else None
    return Kind.DECIMAL_DIGITS if number_problem(value) is not None else None


def _unsigned(value: Any) -> Kind | None:
    return Kind.UNSIGNED_BIGINT if isinstance(value, int) and value > _SIGNED_BIGINT else None


def _float_check(kind: Float[Any]) -> ValueCheck:
    """Every FLOAT/DOUBLE value, read as a float (:func:`dal.entities.reflect_tables`),
    is one only a text attribute keeps exactly; NaN and infinity are flagged apart."""

    def check(value: Any) -> Kind | None:
        if isinstance(value, Decimal):
            return _decimal(value)
        if not isinstance(value, float):
            return None
        return Kind.FLOAT if math.isfinite(value) else Kind.NOT_A_NUMBER

    return check


def _time(value: Any) -> Kind | None:
    if isinstance(value, timedelta):
        return Kind.NEGATIVE_TIME if value < timedelta(0) else Kind.TIME
    return Kind.TIME


def _zero_date(value: Any) -> Kind | None:
    return Kind.ZERO_DATE if isinstance(value, str) else None


def _fraction_checks(column: str, entities: Sequence[Entity]) -> list[ValueCheck]:
    """Fractional seconds a date-format pattern of the contract would drop."""
    patterns = [
        a.transformation
        for entity in entities
        for a in entity.attributes
        if isinstance(a.transformation, DateFormat) and a.source_columns == (column,)
    ]
    if not patterns:
        return []

    def check(value: Any) -> Kind | None:
        if not isinstance(value, datetime) or not value.microsecond:
            return None
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # as stored
        for pattern in patterns:
            try:
                if pattern.pattern.parse(pattern.pattern.render(moment)) != moment:
                    return Kind.FRACTION_DROPPED
            except ValueError:
                return Kind.FRACTION_DROPPED
        return None

    return [check]


def _empty_key(value: Any) -> Kind | None:
    return Kind.EMPTY_KEY if value == "" else None


def _trailing_space(value: Any) -> Kind | None:
    return Kind.TRAILING_SPACE if isinstance(value, str) and value.endswith(" ") else None


def _handled(column: str, entities: Sequence[Entity]) -> frozenset[Kind]:
    """The kinds an attribute copying ``column`` says how to store (by its type)."""
    handled: set[Kind] = set()
    for entity in entities:
        for attribute in entity.attributes:
            if _copies(attribute, column):
                handled.update(
                    kind
                    for kind, info in KINDS.items()
                    if attribute.type in info.accepted and _fits(kind, attribute)
                )
    return frozenset(handled)


def _copies(attribute: Attribute, column: str) -> bool:
    if attribute.is_derived or attribute.source_columns != (column,):
        return False
    return attribute.transformation is None or isinstance(attribute.transformation, DateFormat)


def _fits(kind: Kind, attribute: Attribute) -> bool:
    """A zero date and a TIME are kept as text only by a plain ``S`` copy (a date format
    cannot render them)."""
    if kind in _PLAIN_TEXT:
        return attribute.transformation is None and attribute.type is AttributeType.S
    return True
