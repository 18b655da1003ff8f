"""One entity's table as the repository sees it: its fields, their columns and their values.

:class:`EntityTable` maps the fields of an :class:`~interfaces.entities.EntitySpec`
to the columns of its table and converts values on the way in and out, so the
rest of the adapter works with rows of field names and the model's Python
values:

* datetimes: the models hold aware UTC datetimes; a column without a time zone
  stores naive UTC (converted on the way in, made aware on the way out);
* decimals come back as ``Decimal`` at the column's scale, SQLite included;
* a value the column cannot hold (text longer than the column, a value outside
  an ENUM, a fraction of a second in a second-precision MySQL column) raises
  UnstorableValue naming the field before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import Column, DateTime, Enum, Numeric, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from interfaces.entities import EntitySpec
from interfaces.errors import UnstorableValue

__all__ = ["EntityTable", "FieldColumn"]

Convert = Callable[[Any], Any]
Check = Callable[[Any], str | None]
"""Returns why a value cannot be stored, or None."""

_MYSQL = frozenset({"mysql", "mariadb"})


@dataclass(frozen=True)
class FieldColumn:
    """One field of the entity and the column that stores it."""

    field: str
    column: Column[Any]
    is_text: bool
    to_db: Convert | None
    from_db: Convert | None
    checks: tuple[Check, ...]


class EntityTable:
    """The fields of ``spec`` mapped to the columns of ``table`` for ``dialect``."""

    def __init__(self, spec: EntitySpec, table: Table, dialect: Dialect) -> None:
        self.spec = spec
        self.table = table
        missing = [f for f in spec.fields if spec.column(f) not in table.c]
        if missing:
            names = ", ".join(f"{f} (column {spec.column(f)})" for f in missing)
            raise ValueError(
                f"entity {spec.name}: table {table.name} has no column for the field(s) {names}"
            )
        self.fields: tuple[FieldColumn, ...] = tuple(
            _field_column(name, table.c[spec.column(name)], dialect) for name in spec.fields
        )
        self.by_field: Mapping[str, FieldColumn] = {f.field: f for f in self.fields}
        self.names: tuple[str, ...] = spec.fields
        self.columns: tuple[Column[Any], ...] = tuple(f.column for f in self.fields)
        self._reads = tuple((i, f.field, f.from_db) for i, f in enumerate(self.fields) if f.from_db)
        self._writes = tuple((f.field, f.to_db) for f in self.fields if f.to_db)
        self._checks = tuple((f.field, f.checks) for f in self.fields if f.checks)

    def column(self, field_name: str) -> Column[Any]:
        """The column of ``field_name``."""
        return self.by_field[field_name].column

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        """A row of field names from database values in field order (as selected)."""
        row = dict(zip(self.names, values, strict=True))
        for _, name, convert in self._reads:
            value = row[name]
            if value is not None:
                row[name] = convert(value)
        return row

    def db_value(self, field_name: str, value: Any) -> Any:
        """``value`` of ``field_name`` as the column stores it."""
        convert = self.by_field[field_name].to_db
        return value if convert is None or value is None else convert(value)

    def db_values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``row`` (field names) with each value as its column stores it."""
        stored = dict(row)
        for name, convert in self._writes:
            value = stored.get(name)
            if value is not None:
                stored[name] = convert(value)
        return stored

    def check_storable(self, row: Mapping[str, Any]) -> None:
        """UnstorableValue naming the first field whose value its column cannot hold."""
        for name, checks in self._checks:
            value = row.get(name)
            if value is None:
                continue
            for check in checks:
                problem = check(value)
                if problem is not None:
                    raise UnstorableValue(f"{self.spec.name}.{name}: {problem}", field=name)


def _field_column(name: str, column: Column[Any], dialect: Dialect) -> FieldColumn:
    kind = column.type.dialect_impl(dialect)
    to_db: Convert | None = None
    from_db: Convert | None = None
    if isinstance(kind, DateTime) and not kind.timezone:
        to_db, from_db = _naive_utc, _aware_utc
    elif isinstance(kind, Numeric) and kind.asdecimal and kind.scale is not None:
        from_db = _at_scale(kind.scale)
    return FieldColumn(
        field=name,
        column=column,
        is_text=isinstance(kind, String),  # ENUM too: MySQL sorts it by position otherwise
        to_db=to_db,
        from_db=from_db,
        checks=_checks(kind, dialect),
    )


def _checks(kind: TypeEngine[Any], dialect: Dialect) -> tuple[Check, ...]:
    checks: list[Check] = []
    if isinstance(kind, Enum) and kind.enums:
        checks.append(_one_of(tuple(kind.enums)))
    elif isinstance(kind, String) and kind.length is not None:
        checks.append(_at_most(kind.length))
    if isinstance(kind, DateTime) and dialect.name in _MYSQL and not getattr(kind, "fsp", None):
        checks.append(_whole_seconds)
    return tuple(checks)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _aware_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


_MAX_DECIMAL_DIGITS = 65
"""The most digits a MySQL DECIMAL holds."""


def _at_scale(scale: int) -> Convert:
    step = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Any:
        if isinstance(value, float):
            value = Decimal(repr(value))
        if not isinstance(value, Decimal):
            return value
        with localcontext() as context:  # DECIMAL(65,30) has more digits than the default 28
            context.prec = max(context.prec, _MAX_DECIMAL_DIGITS + 2)
            return value.quantize(step)

    return convert


def _one_of(allowed: tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        shown = getattr(value, "value", value)
        return None if shown in allowed else f"{shown!r} is not one of {', '.join(allowed)}"

    return check


def _at_most(length: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and len(value) > length:
            return f"text of {len(value)} characters, the column holds at most {length}"
        return None

    return check


def _whole_seconds(value: Any) -> str | None:
    if isinstance(value, datetime) and value.microsecond:
        return "the column keeps whole seconds; the value has a fraction of a second"
    return None
