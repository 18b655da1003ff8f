"""MySQL rows from DynamoDB items, for repairs while DynamoDB is the authoritative side.

The adapter's layout reads an item back into the columns it holds
(:meth:`~adapters.dynamodb.layout.EntityLayout.row`); this module turns those
values into the column types of the MySQL table (ids stored as strings become
ints) and writes the row, and its embedded children, with a condition on the
version the repair saw, so a row changed meanwhile is left alone.

Rows keep the layer's own ids: the id an item holds is written as it is, and a
row (or an embedded child) whose item holds no id gets one from the layer's id
allocator (the sequence named after its table), or keeps the id of the row it
replaces, never one of AUTO_INCREMENT's, which a running allocator may hand out
again. After writing, the allocator's table (``dal_id_blocks``) is moved above the
highest id written, so the allocator's next block starts above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Table, and_, delete, insert, select, update

from adapters.dynamodb.client import Item
from adapters.mysql.ids import reserve_through
from dal.migrate.derive import ChildRule
from dal.migrate.lookups import Row
from dal.migrate.plan import Target
from dal.migrate.source import typed

__all__ = ["Allocate", "ItemRow", "delete_row", "item_row", "layer_id_column", "write_row"]

Allocate = Callable[[str], int]
"""Hands out a new id of a sequence (an :class:`~interfaces.IdAllocator`'s ``allocate``)."""


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


def layer_id_column(table: Table) -> str | None:
    """The table's one-column integer primary key, whose values the layer allocates."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or not isinstance(key[0].type, Integer):
        return None
    return key[0].name


def write_row(
    connection: Connection,
    table: Table,
    tables: Mapping[str, Table],
    row: ItemRow,
    seen: Mapping[str, Any] | None,
    children: Sequence[ChildRule],
    allocate: Allocate | None = None,
    id_blocks: bool = False,
) -> bool:
    """Update the row (if it still matches ``seen``) or insert it (``seen`` None).

    A row or child without its integer id gets one from ``allocate`` (children keep
    the ids of the rows they replace first). With ``id_blocks``, the allocator's
    next block of each table written is moved above the highest id written.
    Returns False when the row changed (or appeared) meanwhile and nothing was written.
    """
    values = dict(row.values)
    id_column = layer_id_column(table)
    if seen is None:
        if id_column is not None and values.get(id_column) is None and allocate is not None:
            values[id_column] = allocate(table.name)
        connection.execute(insert(table).values(**values))
    else:
        key = [values[c.name] for c in table.primary_key.columns]
        query = update(table).where(_where(table, key, seen)).values(values)
        if connection.execute(query).rowcount == 0:
            return False
    if id_blocks and id_column is not None and values.get(id_column) is not None:
        reserve_through(connection, table.name, int(values[id_column]))
    for child in children:
        child_table = tables[child.relation.target]
        _replace_children(connection, child_table, child, values, row, allocate, id_blocks)
    return True


def _replace_children(
    connection: Connection,
    table: Table,
    child: ChildRule,
    parent_values: Mapping[str, Any],
    row: ItemRow,
    allocate: Allocate | None,
    id_blocks: bool,
) -> None:
    pairs = zip(child.relation.local, child.relation.remote, strict=True)
    parent = {remote: parent_values[local] for local, remote in pairs}
    where = and_(*(table.c[name] == value for name, value in parent.items()))
    id_column = layer_id_column(table)
    reused: list[Any] = []
    if id_column is not None:
        query = select(table.c[id_column]).where(where).order_by(table.c[id_column])
        reused = list(connection.execute(query).scalars())
    connection.execute(delete(table).where(where))
    highest = None
    for child_row in row.children.get(child.relation.target, []):
        values = {**child_row, **parent}
        if id_column is not None and values.get(id_column) is None:
            if reused:
                values[id_column] = reused.pop(0)
            elif allocate is not None:
                values[id_column] = allocate(table.name)
        connection.execute(insert(table).values(**values))
        if id_column is not None and values.get(id_column) is not None:
            highest = max(highest or 0, int(values[id_column]))
    if id_blocks and id_column is not None and highest is not None:
        reserve_through(connection, table.name, highest)


def delete_row(
    connection: Connection, table: Table, key: Sequence[Any], seen: Mapping[str, Any]
) -> bool:
    """Delete the row if it still matches ``seen``; False when it changed meanwhile."""
    return bool(connection.execute(delete(table).where(_where(table, key, seen))).rowcount)
