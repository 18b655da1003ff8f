"""Exact text comparison: the same equality, order and search on every database.

The layer compares strings like Python does: exactly (case, accents and
trailing spaces matter) and in code-point order; text search is ``str.lower``
containment. SQLite's default BINARY collation already behaves so (``lower``
is Python's, see :mod:`adapters.mysql.engine`). On MySQL/MariaDB it depends on
the column's collation: tables created by ``dal db upgrade`` use a binary
NO PAD collation, but a legacy database may use a case-insensitive one. For
those columns the statements add an explicit ``COLLATE`` (found once per store
from ``information_schema``); for binary columns they add nothing, so indexes
keep serving equality and ordering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, and_, func, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from adapters.mysql.collation import exact_collation
from adapters.mysql.engine import is_mysql
from examples.store.schema import categories, products, users

__all__ = ["ExactText", "detect_exact_text", "exact_collation"]

TEXT_COLUMNS: tuple[Column[Any], ...] = (
    users.c.username,
    users.c.email,
    categories.c.name,
    products.c.name,
    products.c.description,
)
"""The columns the adapter compares, orders or searches as text."""

_COLUMN_INFO = text(
    "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME IN ('users', 'categories', 'products')"
)


@dataclass(frozen=True)
class ExactText:
    """How to compare text columns exactly on one database.

    ``collations`` maps ``(table, column)`` to the collation to apply; a column
    not in it already compares exactly.
    """

    collations: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def column(self, column: Column[Any]) -> ColumnElement[Any]:
        """``column`` as an exactly comparing (and ordering) expression."""
        collation = self._collation(column)
        return column if collation is None else column.collate(collation)

    def equals(self, column: Column[Any], value: Any) -> ColumnElement[bool]:
        """``column`` equals ``value`` exactly; still served by the column's index."""
        same: ColumnElement[bool] = column == value
        if self._collation(column) is None:
            return same
        return and_(same, self.column(column) == value)

    def contains_lowered(self, column: Column[Any], needle: Any) -> ColumnElement[bool]:
        """``needle`` (already ``str.lower``-ed) occurs in ``lower(column)``; only case folds."""
        lowered: ColumnElement[Any] = func.lower(column)
        collation = self._collation(column)
        if collation is not None:
            lowered = lowered.collate(collation)
        found: ColumnElement[bool] = func.instr(lowered, needle) > 0
        return found

    def _collation(self, column: Column[Any]) -> str | None:
        return self.collations.get((column.table.name, column.name))


def detect_exact_text(connection: Connection) -> ExactText:
    """Look up which text columns need an explicit collation on ``connection``'s database."""
    if not is_mysql(connection):
        return ExactText()
    wanted = {(c.table.name, c.name) for c in TEXT_COLUMNS}
    needed: dict[tuple[str, str], str] = {}
    for table, column, charset, collation in connection.execute(_COLUMN_INFO):
        exact = exact_collation(charset, connection.dialect)
        if (table, column) in wanted and collation != exact:
            needed[(table, column)] = exact
    return ExactText(needed)
