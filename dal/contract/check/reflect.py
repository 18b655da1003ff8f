"""The tables to check, as the database has them: types, collations, keys and unique indexes.

:func:`describe_tables` reflects the tables (:func:`dal.entities.reflect_tables`,
which adds each text column's collation) and adds what SQLAlchemy's types do not
say on MySQL/MariaDB: the database's own type name (``point``, ``year``) and
whether a column holds JSON (MariaDB's JSON is a LONGTEXT with a ``json_valid``
check). :func:`key_groups` lists the column sets whose values identify a row:
the primary key and every unique index.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Engine, Table, inspect, text
from sqlalchemy.exc import SAWarning

from dal.contract.check.columns import DATA_TYPE_INFO, JSON_INFO
from dal.entities import reflect_tables
from dal.entities.collation import COLLATION_INFO

__all__ = ["base_table_names", "describe_tables", "is_padded", "key_groups", "row_key_columns"]

_TYPES = text(
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE()"
)
_JSON_CHECKS = text(
    "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE()"
)
_JSON_VALID = re.compile(r"json_valid\(`?(\w+)`?\)", re.IGNORECASE)


def base_table_names(engine: Engine, *, skip: Iterable[str] = ()) -> list[str]:
    """Every base table of the database (views left out), except ``skip``, sorted."""
    skipped = set(skip)
    return sorted(name for name in inspect(engine).get_table_names() if name not in skipped)


def describe_tables(engine: Engine, names: Iterable[str]) -> dict[str, Table]:
    """The tables ``names``, with each column's database type and JSON-ness in its ``info``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # a spatial type SQLAlchemy does not know
        tables = reflect_tables(engine, names)
    if engine.dialect.name not in ("mysql", "mariadb"):
        return tables
    with engine.connect() as connection:
        for table_name, column_name, data_type in connection.execute(_TYPES):
            column = _column(tables, table_name, column_name)
            if column is not None:
                column.info[DATA_TYPE_INFO] = str(data_type).lower()
        for table_name, clause in connection.execute(_JSON_CHECKS):
            for column_name in _JSON_VALID.findall(str(clause)):
                column = _column(tables, table_name, column_name)
                if column is not None:
                    column.info[JSON_INFO] = True
    return tables


def _column(tables: dict[str, Table], table: str, column: str) -> Column[Any] | None:
    found = tables.get(table)
    return None if found is None or column not in found.c else found.c[column]


def key_groups(table: Table) -> list[tuple[str, ...]]:
    """The primary key's columns, then each unique index's (each set once)."""
    groups: list[tuple[str, ...]] = []
    primary = tuple(column.name for column in table.primary_key.columns)
    if primary:
        groups.append(primary)
    for index in table.indexes:
        columns = tuple(column.name for column in index.columns if isinstance(column, Column))
        if index.unique and columns and columns not in groups:
            groups.append(columns)
    for constraint in table.constraints:
        columns = tuple(getattr(constraint, "columns", {}).keys())
        if type(constraint).__name__ == "UniqueConstraint" and columns not in groups:
            groups.append(columns)
    return groups


def row_key_columns(table: Table) -> tuple[str, ...]:
    """What names a row in findings: the primary key, else the first unique index, else ()."""
    groups = key_groups(table)
    return groups[0] if groups else ()


def is_padded(column: Column[Any]) -> bool:
    """Whether MySQL compares values of ``column`` ignoring trailing spaces (a PAD SPACE
    collation: every collation but the ``_nopad_`` ones and binary strings)."""
    collation = column.info.get(COLLATION_INFO)
    if not isinstance(collation, str):
        return False
    name = collation.lower()
    return "nopad" not in name and "_0900_" not in name
