"""Text compared the way every backend compares it, whatever the columns' collations.

The layer compares text exactly and sorts it by code point, except where a
unique constraint is declared case-insensitive. A database may disagree: on
MySQL/MariaDB a column with a ``_ci`` collation (the server default is one)
compares without case, and on SQLite a ``NOCASE`` column does too.
:class:`TextRules` gives the expressions that compare and order exactly (or
case-insensitively) on this database:

* MySQL/MariaDB: the columns whose collation is not the charset's binary NO PAD
  collation (found once in ``information_schema``) get an explicit ``COLLATE``;
  equality keeps the plain comparison too, so the column's index still serves it;
* SQLite: text columns compare with ``COLLATE BINARY`` (which an index on a
  BINARY column still serves); ``lower`` is Python's (see
  :func:`adapters.mysql.engine.create_engine`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, and_, bindparam, func, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from adapters.mysql.collation import exact_collation
from adapters.mysql.engine import is_mysql, is_sqlite

__all__ = ["TextRules", "detect_text_rules"]

_SQLITE_EXACT = "BINARY"


@dataclass(frozen=True)
class TextRules:
    """How to compare the text columns of some tables exactly on one database.

    ``collations`` maps ``(table, column)`` to the collation that compares the
    column exactly, for the columns that need one; ``case_insensitive`` are the
    columns whose own collation ignores case; ``binary_everywhere`` applies
    ``COLLATE BINARY`` to every text column (SQLite).
    """

    collations: Mapping[tuple[str, str], str] = field(default_factory=dict)
    case_insensitive: frozenset[tuple[str, str]] = frozenset()
    binary_everywhere: bool = False

    def _collation(self, column: Column[Any]) -> str | None:
        if self.binary_everywhere:
            return _SQLITE_EXACT
        return self.collations.get((column.table.name, column.name))

    def exact(self, column: Column[Any], is_text: bool) -> ColumnElement[Any]:
        """``column`` as an expression that compares and sorts exactly."""
        collation = self._collation(column) if is_text else None
        return column if collation is None else column.collate(collation)

    def equals(self, column: Column[Any], is_text: bool, value: Any) -> ColumnElement[bool]:
        """``column`` equals ``value`` exactly (an index on the column still serves it)."""
        collation = self._collation(column) if is_text else None
        same: ColumnElement[bool] = column == value
        if collation is None:
            return same
        exact: ColumnElement[bool] = column.collate(collation) == value
        return exact if self.binary_everywhere else and_(same, exact)

    def equals_folded(self, column: Column[Any], value: Any) -> ColumnElement[bool]:
        """``column`` equals ``value`` ignoring case (``lower`` of both sides, compared exactly)."""
        lowered: ColumnElement[Any] = func.lower(column)
        where = (column.table.name, column.name)
        collation = self.collations.get(where)
        if collation is None or where not in self.case_insensitive:
            folded = lowered if collation is None else lowered.collate(collation)
            same: ColumnElement[bool] = folded == func.lower(value)
            return same
        # a case-insensitive column: its own comparison finds the candidates with its index
        return and_(column == value, lowered.collate(collation) == func.lower(value))


_COLUMN_INFO = text(
    "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME IN :tables AND COLLATION_NAME IS NOT NULL"
).bindparams(bindparam("tables", expanding=True))


def detect_text_rules(connection: Connection, tables: Iterable[str]) -> TextRules:
    """Look up which text columns of ``tables`` need an explicit collation on this database."""
    if is_sqlite(connection):
        return TextRules(binary_everywhere=True)
    if not is_mysql(connection):
        return TextRules()
    names = sorted(set(tables))
    if not names:
        return TextRules()
    needed: dict[tuple[str, str], str] = {}
    folding: set[tuple[str, str]] = set()
    for table, column, charset, collation in connection.execute(_COLUMN_INFO, {"tables": names}):
        exact = exact_collation(charset, connection.dialect)
        if collation != exact:
            needed[(table, column)] = exact
        if collation.endswith("_ci"):
            folding.add((table, column))
    return TextRules(needed, frozenset(folding))
