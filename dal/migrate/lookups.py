"""Rows of related tables fetched for one page of source rows, with one query per relation.

A :class:`Relation` is a join the contract describes (``projects.id =
tickets.project_id``): which table it reaches, under which alias, and
which columns of the referencing row match which columns of the target.
:class:`Lookups` fetches the related rows of a whole page at once
(``WHERE id IN (...)``), children grouped by parent, and aggregates grouped by
key, and answers later questions from that cache; a key it has not seen (an
ancestor of an ancestor) is fetched on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select, tuple_

from dal.contract import AggregateOperation

__all__ = ["Lookups", "Relation", "Row"]

Row = dict[str, Any]
Key = tuple[Any, ...]
_CHUNK = 500  # values per IN list

_AGGREGATES: dict[AggregateOperation, Callable[..., ColumnElement[Any]]] = {
    AggregateOperation.COUNT: func.count,
    AggregateOperation.SUM: func.sum,
    AggregateOperation.AVG: func.avg,
    AggregateOperation.MIN: func.min,
    AggregateOperation.MAX: func.max,
}


@dataclass(frozen=True)
class Relation:
    """A join from the source row (``local`` columns) to ``target`` rows (``remote`` columns)."""

    target: str
    alias: str
    local: tuple[str, ...]
    remote: tuple[str, ...]

    def key(self, row: Mapping[str, Any]) -> Key | None:
        """The values of ``row`` that select the target rows; None if any is NULL."""
        values = tuple([row.get(column) for column in self.local])
        return None if None in values else values


class Lookups:
    """Related rows and aggregates of one page, fetched in bulk through ``connection``."""

    def __init__(self, connection: Connection, tables: Mapping[str, Table]) -> None:
        self._connection = connection
        self._tables = tables
        self._rows: dict[tuple[str, tuple[str, ...]], dict[Key, list[Row]]] = {}
        self._aggregates: dict[tuple[Any, ...], dict[Key, Any]] = {}

    def table(self, name: str) -> Table:
        """The MySQL table ``name``; KeyError naming it if the schema has none."""
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(
                f"the contract refers to MySQL table {name!r}, which is unknown"
            ) from None

    # --- rows ------------------------------------------------------------------------------

    def prefetch(
        self, relation: Relation, rows: Iterable[Mapping[str, Any]], order_by: Sequence[str] = ()
    ) -> list[Row]:
        """Fetch the target rows of every row's key that is not cached yet; return the new ones."""
        cache = self._rows.setdefault((relation.target, relation.remote), {})
        wanted = {key for row in rows if (key := relation.key(row)) is not None}
        missing = [key for key in wanted if key not in cache]
        fetched: list[Row] = []
        for key in missing:
            cache[key] = []
        table = self.table(relation.target)
        columns = [table.c[name] for name in relation.remote]
        target: ColumnElement[Any] = columns[0] if len(columns) == 1 else tuple_(*columns)
        ordering = [table.c[name] for name in order_by] or list(table.primary_key.columns)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            values = [k[0] for k in chunk] if len(columns) == 1 else chunk
            query = select(table).where(target.in_(values)).order_by(*ordering)
            result = self._connection.execute(query)
            names = tuple(result.keys())
            for found in result:
                row = dict(zip(names, found, strict=True))
                cache[tuple(row[name] for name in relation.remote)].append(row)
                fetched.append(row)
        return fetched

    def rows(self, relation: Relation, row: Mapping[str, Any]) -> list[Row]:
        """The target rows ``row`` reaches through ``relation`` (fetched now if not cached)."""
        key = relation.key(row)
        if key is None:
            return []
        cache = self._rows.get((relation.target, relation.remote), {})
        if key not in cache:
            self.prefetch(relation, [row])
            cache = self._rows[(relation.target, relation.remote)]
        return cache[key]

    def first(self, relation: Relation, row: Mapping[str, Any]) -> Row | None:
        """The first target row ``row`` reaches, or None."""
        found = self.rows(relation, row)
        return found[0] if found else None

    # --- aggregates ------------------------------------------------------------------------

    def aggregate(
        self,
        relation: Relation,
        operation: AggregateOperation,
        column: str,
        rows: Iterable[Mapping[str, Any]],
    ) -> dict[Key, Any]:
        """``operation(column)`` of the target rows, grouped by the key each row reaches."""
        identity = (relation, operation, column)
        cache = self._aggregates.setdefault(identity, {})
        missing = list({k for row in rows if (k := relation.key(row)) is not None} - cache.keys())
        table = self.table(relation.target)
        group = [table.c[name] for name in relation.remote]
        target: ColumnElement[Any] = group[0] if len(group) == 1 else tuple_(*group)
        measure = _AGGREGATES[operation](table.c[column]).label("value")
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            values = [k[0] for k in chunk] if len(group) == 1 else chunk
            query = select(*group, measure).where(target.in_(values)).group_by(*group)
            for found in self._connection.execute(query):
                cache[tuple(found[: len(group)])] = found[-1]
        default = 0 if operation is AggregateOperation.COUNT else None
        for key in missing:
            cache.setdefault(key, default)
        return cache
