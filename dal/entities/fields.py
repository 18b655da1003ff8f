"""The pydantic field type of a SQL column, from its SQLAlchemy type.

One rule per type family, checked in order (a subclass before its base:
``Boolean`` and ``TINYINT(1)`` before the integers, ``Enum`` before ``String``,
``Float`` before ``Numeric``). A type no rule knows raises
:class:`UnsupportedColumn` naming the table, the column and the type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import Column
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from dal.entities.errors import DeclarationError
from interfaces.types import (
    LONGTEXT_BYTES,
    MEDIUMTEXT_BYTES,
    TEXT_BYTES,
    TINYTEXT_BYTES,
    MaxBytes,
    Timestamp,
    exact_decimal,
)

__all__ = [
    "UnsupportedColumn",
    "base_type",
    "byte_limit",
    "field_type",
    "integer_range",
    "is_integer",
]

_TEXT_FAMILY: tuple[tuple[type[TypeEngine[Any]], int], ...] = (
    (mysql.TINYTEXT, TINYTEXT_BYTES),
    (mysql.MEDIUMTEXT, MEDIUMTEXT_BYTES),
    (mysql.LONGTEXT, LONGTEXT_BYTES),
    (mysql.TINYBLOB, TINYTEXT_BYTES),
    (mysql.MEDIUMBLOB, MEDIUMTEXT_BYTES),
    (mysql.LONGBLOB, LONGTEXT_BYTES),
)
"""Byte limits of the sized ``TEXT`` and ``BLOB`` types (checked before their base types)."""

_SIZES = (TINYTEXT_BYTES, TEXT_BYTES, MEDIUMTEXT_BYTES, LONGTEXT_BYTES)

_BITS: tuple[tuple[type[TypeEngine[Any]], int], ...] = (
    (mysql.TINYINT, 8),
    (sqltypes.SmallInteger, 16),
    (mysql.MEDIUMINT, 24),
    (sqltypes.BigInteger, 64),
)
"""Width of the integer types that are not 32-bit (checked in order; INT is the rest)."""


class UnsupportedColumn(DeclarationError):
    """A column whose type has no default field type: the entity must be declared."""


def base_type(column: Column[Any]) -> TypeEngine[Any]:
    """The column's type, through any ``TypeDecorator`` to the type it stores as."""
    kind: TypeEngine[Any] = column.type
    while isinstance(kind, sqltypes.TypeDecorator):
        kind = kind.impl_instance
    return kind


def is_integer(column: Column[Any]) -> bool:
    """Whether the column holds integers (and not booleans stored as ``TINYINT(1)``)."""
    kind = base_type(column)
    return isinstance(kind, sqltypes.Integer) and not _is_boolean(kind)


def integer_range(kind: TypeEngine[Any]) -> tuple[int, int]:
    """The smallest and largest value of an integer type (``unsigned`` where it is)."""
    bits = next((width for cls, width in _BITS if isinstance(kind, cls)), 32)
    if getattr(kind, "unsigned", False):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def field_type(column: Column[Any]) -> Any:
    """The annotation of the model field that holds ``column`` (without ``| None``)."""
    kind = base_type(column)
    if not isinstance(kind, _UNSUPPORTED):
        for family, rule in _RULES:
            if isinstance(kind, family) and (mapped := rule(kind)) is not None:
                return mapped
    raise UnsupportedColumn(
        f"table {column.table.name}, column {column.name}: the type {kind!r} has no default "
        "field type; declare the entity (an EntitySpec with a model of your own)"
    )


def _is_boolean(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind, sqltypes.Boolean) or (
        isinstance(kind, mysql.TINYINT) and getattr(kind, "display_width", None) == 1
    )


def _boolean(kind: TypeEngine[Any]) -> Any:
    return bool if _is_boolean(kind) else None


def _integer(kind: TypeEngine[Any]) -> Any:
    low, high = integer_range(kind)
    return Annotated[int, Field(ge=low, le=high)]


def _enum(kind: TypeEngine[Any]) -> Any:
    values = tuple(getattr(kind, "enums", ()))
    if not values:
        return None
    return Literal.__getitem__(values)


def _float(kind: TypeEngine[Any]) -> Any:
    return float


def _decimal(kind: TypeEngine[Any]) -> Any:
    precision = getattr(kind, "precision", None)
    if precision is None:
        return Decimal
    scale = getattr(kind, "scale", None) or 0
    return Annotated[Decimal, exact_decimal(precision, scale)]


def byte_limit(kind: TypeEngine[Any]) -> int | None:
    """The most bytes a value of a MySQL text or binary type holds (None: a character limit).

    ``TEXT``/``BLOB`` and their sized variants limit bytes (``TEXT``: 65,535);
    ``TEXT(n)`` is the smallest of them that holds ``n`` four-byte characters;
    ``BINARY(n)``/``VARBINARY(n)`` hold ``n`` bytes. ``CHAR(n)``/``VARCHAR(n)`` limit
    characters (utf8mb4 stores any ``n`` of them), so they have no byte limit here.
    """
    for family, limit in _TEXT_FAMILY:
        if isinstance(kind, family):
            return limit
    length = getattr(kind, "length", None)
    if isinstance(kind, sqltypes.Text | sqltypes.LargeBinary):
        if length is None:
            return TEXT_BYTES
        needed = length if isinstance(kind, sqltypes.LargeBinary) else 4 * length
        return next((size for size in _SIZES if size >= needed), LONGTEXT_BYTES)
    if isinstance(kind, sqltypes._Binary):
        return length
    return None


def _text(kind: TypeEngine[Any]) -> Any:
    length = getattr(kind, "length", None)
    limit = byte_limit(kind)
    if limit is not None:
        if length is None:
            return Annotated[str, MaxBytes(limit)]
        return Annotated[str, Field(max_length=length), MaxBytes(limit)]
    if length is None:
        return str
    return Annotated[str, Field(max_length=length)]


def _binary(kind: TypeEngine[Any]) -> Any:
    limit = byte_limit(kind)
    return bytes if limit is None else Annotated[bytes, MaxBytes(limit)]


def _constant(python_type: Any) -> Callable[[TypeEngine[Any]], Any]:
    return lambda kind: python_type


_UNSUPPORTED = (mysql.SET, sqltypes.NullType)
"""Types that belong to a known family but hold something else (a SET is not one string)."""

_RULES: tuple[tuple[type[TypeEngine[Any]], Callable[[TypeEngine[Any]], Any]], ...] = (
    (sqltypes.Boolean, _boolean),
    (mysql.TINYINT, _boolean),
    (sqltypes.Integer, _integer),
    (sqltypes.Enum, _enum),
    (sqltypes.Float, _float),
    (sqltypes.Numeric, _decimal),
    (sqltypes.String, _text),
    (sqltypes.DateTime, _constant(Timestamp)),
    (sqltypes.Date, _constant(date)),
    (sqltypes.Time, _constant(timedelta)),
    (sqltypes.JSON, _constant(Any)),
    (sqltypes._Binary, _binary),
)
"""(type family, rule): the first family the type belongs to whose rule gives a type wins."""
