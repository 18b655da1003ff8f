"""How a draft carries each MySQL column: its DynamoDB type, its model field, its cautions.

:func:`plan_column` gives, for one reflected column, the contract attribute type
(``S``, ``N``, ``B``, ``BOOL``, ``L``, ``M``), the annotation of the model field in
the generated module (as source text, with what it imports), an estimate of its
stored size, and whether it is carried at all: a type SQLAlchemy does not know
(a spatial column) is left out and listed in ``design.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from dal.entities.fields import base_type, byte_limit, integer_range
from dal.routing.redaction import DEFAULT_SENSITIVE, SensitiveNames

__all__ = ["ColumnPlan", "is_sensitive", "plan_column"]

_MORE_SENSITIVE = (
    "*ssn*",
    "*social_security*",
    "*tax_id*",
    "*national_id*",
    "*passport*",
    "*iban*",
    "*card_number*",
    "*salary*",
    "dob",
    "*_dob",
)
"""Personal data a draft also marks sensitive, beyond the router's default names."""

_SENSITIVE = SensitiveNames((*DEFAULT_SENSITIVE, *_MORE_SENSITIVE))

Imports = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class ColumnPlan:
    """One column as the draft carries it (``carried`` False: left out, ``note`` says why)."""

    column: str
    attribute_type: str
    annotation: str
    imports: Imports
    size: int
    nullable: bool = True
    carried: bool = True
    note: str | None = None


def is_sensitive(column: str) -> bool:
    """Whether a column's name says it holds personal data (an email, a name, a phone...)."""
    return column in _SENSITIVE


def plan_column(column: Column[Any]) -> ColumnPlan:
    """The plan of ``column``; a type with no rule is not carried."""
    kind = base_type(column)
    if not isinstance(kind, sqltypes.NullType):
        for family, rule in _RULES:
            if isinstance(kind, family):
                planned = rule(kind)
                if planned is not None:
                    attribute_type, annotation, imports, size, note = planned
                    nullable = bool(column.nullable)
                    return ColumnPlan(
                        column.name, attribute_type, annotation, imports, size, nullable, True, note
                    )
    return ColumnPlan(
        column.name,
        "S",
        "Any",
        frozenset({("typing", "Any")}),
        0,
        nullable=bool(column.nullable),
        carried=False,
        note=f"its type ({_type_name(column)}) has no DynamoDB form here (a spatial or unknown "
        "type): the column is left out of the models and the items; declare it to carry it",
    )


def _type_name(column: Column[Any]) -> str:
    try:
        return str(column.type.compile())
    except Exception:  # a type no dialect compiles
        return type(column.type).__name__


Planned = tuple[str, str, Imports, int, str | None]

_ANNOTATED = ("typing", "Annotated")
_NUMBER_DIGITS = 38
"""The most significant digits a DynamoDB number holds."""
_FIELD = ("pydantic", "Field")


def _boolean(kind: TypeEngine[Any]) -> Planned | None:
    is_bool = isinstance(kind, sqltypes.Boolean) or getattr(kind, "display_width", None) == 1
    return ("BOOL", "bool", frozenset(), 1, None) if is_bool else None


def _ranged_int(low: int, high: int, note: str | None = None) -> Planned:
    annotation = f"Annotated[int, Field(ge={low}, le={high})]"
    return "N", annotation, frozenset({_ANNOTATED, _FIELD}), len(str(high)) // 2 + 2, note


def _integer(kind: TypeEngine[Any]) -> Planned:
    low, high = integer_range(kind)
    return _ranged_int(low, high)


def _year(kind: TypeEngine[Any]) -> Planned:
    return _ranged_int(0, 2155, "YEAR: a number")


def _bit(kind: TypeEngine[Any]) -> Planned:
    bits = getattr(kind, "length", None) or 1
    return _ranged_int(0, 2**bits - 1, f"BIT({bits}): a number")


def _enum(kind: TypeEngine[Any]) -> Planned | None:
    values = tuple(getattr(kind, "enums", ()))
    if not values:
        return None
    literal = "Literal[" + ", ".join(repr(v) for v in values) + "]"
    longest = max(len(v.encode()) for v in values)
    return "S", literal, frozenset({("typing", "Literal")}), longest, None


def _set(kind: TypeEngine[Any]) -> Planned:
    note = "SET: a list of its members (DynamoDB cannot store an empty set)"
    return "L", "frozenset[str]", frozenset(), 32, note


def _float(kind: TypeEngine[Any]) -> Planned:
    note = "FLOAT/DOUBLE: the float's shortest exact text (S), read back as the same float"
    return "S", "float", frozenset(), 24, note


def _decimal(kind: TypeEngine[Any]) -> Planned:
    precision = getattr(kind, "precision", None)
    if precision is None:
        return "N", "Decimal", frozenset({("decimal", "Decimal")}), 12, None
    scale = getattr(kind, "scale", None) or 0
    imports = frozenset({_ANNOTATED, ("decimal", "Decimal"), ("interfaces.types", "exact_decimal")})
    annotation = f"Annotated[Decimal, exact_decimal({precision}, {scale})]"
    if precision > _NUMBER_DIGITS:
        note = f"DECIMAL({precision}, {scale}): its exact text (S), wider than a DynamoDB number"
        return "S", annotation, imports, precision + 2, note
    return "N", annotation, imports, precision // 2 + 2, None


def _time(kind: TypeEngine[Any]) -> Planned:
    note = "TIME: a duration (up to ±838 hours) as its text, e.g. -838:59:59 (S)"
    return "S", "timedelta", frozenset({("datetime", "timedelta")}), 17, note


def _json(kind: TypeEngine[Any]) -> Planned:
    note = "JSON: a map (an array as a list); numbers with a fraction need Decimal"
    return "M", "Any", frozenset({("typing", "Any")}), 256, note


def _text(kind: TypeEngine[Any]) -> Planned:
    length = getattr(kind, "length", None)
    limit = byte_limit(kind)
    parts = ["str"]
    imports: set[tuple[str, str]] = set()
    if length is not None:
        parts.append(f"Field(max_length={length})")
        imports.add(_FIELD)
    if limit is not None:
        parts.append(f"MaxBytes({limit})")
        imports.add(("interfaces.types", "MaxBytes"))
    size = min(length or 256, 1024)
    if len(parts) == 1:
        return "S", "str", frozenset(), size, None
    imports.add(_ANNOTATED)
    return "S", "Annotated[" + ", ".join(parts) + "]", frozenset(imports), size, None


def _binary(kind: TypeEngine[Any]) -> Planned:
    limit = byte_limit(kind)
    size = min(limit or 256, 4096)
    if limit is None:
        return "B", "bytes", frozenset(), size, None
    imports = frozenset({_ANNOTATED, ("interfaces.types", "MaxBytes")})
    return "B", f"Annotated[bytes, MaxBytes({limit})]", imports, size, None


def _constant(
    attribute_type: str, annotation: str, module: str, size: int
) -> Callable[[TypeEngine[Any]], Planned]:
    name = annotation
    imports = frozenset({(module, name)})
    return lambda kind: (attribute_type, annotation, imports, size, None)


_RULES: tuple[tuple[type[TypeEngine[Any]], Callable[[TypeEngine[Any]], Planned | None]], ...] = (
    (sqltypes.Boolean, _boolean),
    (mysql.TINYINT, _boolean),
    (sqltypes.Integer, _integer),
    (mysql.YEAR, _year),
    (mysql.BIT, _bit),
    (sqltypes.Enum, _enum),
    (mysql.SET, _set),
    (sqltypes.Float, _float),
    (sqltypes.Numeric, _decimal),
    (sqltypes.JSON, _json),
    (sqltypes.String, _text),
    (sqltypes.DateTime, _constant("S", "Timestamp", "interfaces.types", 28)),
    (sqltypes.Date, _constant("S", "date", "datetime", 10)),
    (sqltypes.Time, _time),
    (sqltypes._Binary, _binary),
)
"""(type family, rule), in order: the first rule of the type's families that gives a plan wins."""
