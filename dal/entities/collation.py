"""Whether a text column compares case-insensitively, from its collation.

A collation whose name ends in ``_ci`` (MySQL/MariaDB) or SQLite's ``NOCASE``
is case-insensitive; any other (``_bin``, ``_cs``, ``BINARY``) or none is not.
The collation is looked up, in order: in ``column.info["collation"]`` (where
:func:`~dal.entities.reflect_tables` puts the database's effective collation,
the table's default included), on the column's type, on the type's variants
for MySQL, MariaDB and SQLite (a declared table names its collation per
dialect), and in the table's ``mysql_collate`` option.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Dialect

from dal.entities.fields import base_type

__all__ = ["COLLATION_INFO", "collations", "is_case_insensitive"]

COLLATION_INFO = "collation"
"""The key of ``Column.info`` holding the collation a database reported for the column."""

_DIALECTS: tuple[Dialect, ...] = (
    mysql.dialect(),
    mysql.dialect(is_mariadb=True),
    sqlite.dialect(),
)


def is_case_insensitive(column: Column[Any]) -> bool:
    """Whether values of ``column`` that differ only in case compare equal."""
    found = collations(column)
    return bool(found) and _insensitive(found[0])


def collations(column: Column[Any]) -> tuple[str, ...]:
    """Every collation known for ``column``, the most authoritative first."""
    found: list[str] = []
    reported = column.info.get(COLLATION_INFO)
    if isinstance(reported, str):
        found.append(reported)
    own = getattr(base_type(column), "collation", None)
    if isinstance(own, str):
        found.append(own)
    found.extend(_variant_collations(column))
    table_default = column.table.dialect_options["mysql"].get("collate")
    if isinstance(table_default, str):
        found.append(table_default)
    return tuple(found)


def _variant_collations(column: Column[Any]) -> list[str]:
    names: list[str] = []
    for dialect in _DIALECTS:
        name = getattr(column.type.dialect_impl(dialect), "collation", None)
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def _insensitive(collation: str) -> bool:
    return collation.lower().endswith("_ci") or collation.upper() == "NOCASE"
