"""MySQL rows from DynamoDB items, for repairs while DynamoDB is the authoritative side.

The adapter's layout reads an item back into the columns it holds
(:meth:`~adapters.dynamodb.layout.EntityLayout.row`); this module turns those
values into the column types of the MySQL table (ids stored as strings become
ints) and writes the row, and its embedded children, with a condition on the
version the repair saw, so a row changed meanwhile is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, update

from adapters.dynamodb.client import Item
from dal.migrate.derive import ChildRule
from dal.migrate.lookups import Row
from dal.migrate.plan import Target
from dal.migrate.source import typed

__all__ = ["ItemRow", "delete_row", "item_row", "write_row"]


@dataclass(frozen=True)
class ItemRow:
    """A MySQL row read from an item, with its embedded children by child table."""

    values: Row
    children: Mapping[str, list[Row]]


def _bare(name: str) -> str:
    return name.split(".")[-1]


def item_row(target: Target, item: Item, tables: Mapping[str, Table]) -> ItemRow:
    """The row (and children) ``item`` holds, typed for the MySQL tables."""
    table = tables[target.compiled.source]
    read, _ = target.layout.row(item)
    values = {
        column.name: typed(table, column.name, read[column.name])
        for column in table.columns
        if column.name in read and (read[column.name] is not None or column.nullable)
    }
    children = {
        child.relation.target: _children(child, read, values, tables[child.relation.target])
        for child in target.compiled.children
    }
    return ItemRow(values, children)


def _children(child: ChildRule, read: Row, parent: Row, table: Table) -> list[Row]:
    found = read.get(child.relation.target) or []
    rows = []
    for element in found:
        row = {_bare(k): typed(table, _bare(k), v) for k, v in element.items()}
        for local, remote in zip(child.relation.local, child.relation.remote, strict=True):
            row[remote] = parent.get(local)
        rows.append(row)
    return rows


def _where(table: Table, key: Sequence[Any], guard: Mapping[str, Any]) -> Any:
    columns = list(table.primary_key.columns)
    clauses = [column == value for column, value in zip(columns, key, strict=True)]
    clauses += [table.c[name] == value for name, value in guard.items()]
    return and_(*clauses)


def write_row(
    connection: Connection,
    table: Table,
    tables: Mapping[str, Table],
    row: ItemRow,
    seen: Mapping[str, Any] | None,
    children: Sequence[ChildRule],
) -> bool:
    """Update the row (if it still matches ``seen``) or insert it (``seen`` None).

    Returns False when the row changed (or appeared) meanwhile and nothing was written.
    """
    if seen is None:
        connection.execute(insert(table).values(**row.values))
    else:
        key = [row.values[c.name] for c in table.primary_key.columns]
        query = update(table).where(_where(table, key, seen)).values(row.values)
        if connection.execute(query).rowcount == 0:
            return False
    for child in children:
        _replace_children(connection, tables[child.relation.target], child, row)
    return True


def _replace_children(connection: Connection, table: Table, child: ChildRule, row: ItemRow) -> None:
    pairs = zip(child.relation.local, child.relation.remote, strict=True)
    parent = {remote: row.values[local] for local, remote in pairs}
    connection.execute(
        delete(table).where(and_(*(table.c[name] == value for name, value in parent.items())))
    )
    for child_row in row.children.get(child.relation.target, []):
        connection.execute(insert(table).values(**child_row))


def delete_row(
    connection: Connection, table: Table, key: Sequence[Any], seen: Mapping[str, Any]
) -> bool:
    """Delete the row if it still matches ``seen``; False when it changed meanwhile."""
    return bool(connection.execute(delete(table).where(_where(table, key, seen))).rowcount)
