"""Rows that one side holds equal and the other distinct, found by the database itself.

For each group of columns that identifies a row on either side (the primary
key, a unique index, the columns a contract key template is built from),
:func:`collisions` asks MySQL two questions with ``GROUP BY``:

* which rows get the same DynamoDB key or unique guard though MySQL holds them
  apart (:attr:`~dal.contract.check.kinds.Kind.KEY_COLLISION`): DynamoDB compares
  key strings byte for byte, and the guard of a case-insensitive unique index
  compares them case-folded;
* which rows MySQL holds equal under the columns' collation that DynamoDB keeps
  apart (:attr:`~dal.contract.check.kinds.Kind.EQUAL_IN_MYSQL`).

Case folding is computed in SQL as ``LOWER()`` plus the full foldings Python's
``str.casefold`` adds for common characters (``ß`` -> ``ss``, final sigma, the
Latin ligatures), so a check of millions of rows keeps nothing in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    LargeBinary,
    Table,
    and_,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.types import String

from dal.contract.check.kinds import Kind
from dal.entities import is_case_insensitive

__all__ = ["Collision", "KeyGroup", "collisions"]

_FOLDS: tuple[tuple[str, str], ...] = (
    ("ß", "ss"),
    ("ẞ", "ss"),
    ("\u03c2", "\u03c3"),
    ("ﬀ", "ff"),
    ("ﬁ", "fi"),
    ("ﬂ", "fl"),
)
_FOLDS += (("ﬃ", "ffi"), ("ﬄ", "ffl"), ("ﬅ", "st"), ("ﬆ", "st"))
_MAX_GROUPS = 1000


@dataclass(frozen=True)
class KeyGroup:
    """Columns whose values identify a row; ``folded`` when DynamoDB compares them case-folded."""

    columns: tuple[str, ...]
    folded: bool


@dataclass(frozen=True)
class Collision:
    """Rows of one group of equal values: the kind, the first column, the rows' keys."""

    kind: Kind
    column: str
    count: int
    keys: tuple[tuple[Any, ...], ...]


def unique_group(table: Table, columns: Sequence[str], *, primary: bool) -> KeyGroup:
    """A key group; a unique index (not the primary key) of case-insensitive text is folded."""
    texts = [table.c[name] for name in columns if isinstance(table.c[name].type, String)]
    folded = not primary and bool(texts) and all(is_case_insensitive(c) for c in texts)
    return KeyGroup(tuple(columns), folded)


def collisions(
    connection: Connection,
    table: Table,
    group: KeyGroup,
    key_columns: Sequence[str],
    examples: int,
) -> Iterator[Collision]:
    """The collisions of ``group`` in ``table``, with up to ``examples`` row keys each kind."""
    columns = [table.c[name] for name in group.columns]
    if not any(isinstance(column.type, String) for column in columns):
        return
    dynamo = [_dynamo_identity(column, group.folded) for column in columns]
    present = and_(*(column.is_not(None) for column in columns))
    questions = (
        (Kind.KEY_COLLISION, dynamo, columns),
        (Kind.EQUAL_IN_MYSQL, columns, dynamo),
    )
    for kind, same, apart in questions:
        apart_count = func.count(func.distinct(*apart)) if len(apart) > 1 else None
        distinct = apart_count if apart_count is not None else func.count(func.distinct(apart[0]))
        having = (func.count() > 1) if kind is Kind.KEY_COLLISION else (distinct > 1)
        query = (
            select(*same, func.count())
            .select_from(table)
            .where(present)
            .group_by(*same)
            .having(having)
            .limit(_MAX_GROUPS)
        )
        groups = connection.execute(query).all()
        if not groups:
            continue
        keys = _example_keys(connection, table, same, groups, key_columns, examples)
        count = sum(int(row[-1]) for row in groups)
        yield Collision(kind, group.columns[0], count, keys)


def _dynamo_identity(column: Column[Any], folded: bool) -> ColumnElement[Any]:
    """The column as DynamoDB compares it: its bytes, case-folded for a folded guard."""
    if not isinstance(column.type, String):
        return column
    expression: ColumnElement[Any] = func.lower(column) if folded else column
    if folded:
        for character, folding in _FOLDS:
            expression = func.replace(expression, character, folding)
    return cast(expression, LargeBinary)


def _example_keys(
    connection: Connection,
    table: Table,
    same: Sequence[ColumnElement[Any]],
    groups: Sequence[Any],
    key_columns: Sequence[str],
    examples: int,
) -> tuple[tuple[Any, ...], ...]:
    keys: list[tuple[Any, ...]] = []
    chosen: list[ColumnElement[Any]] = [table.c[name] for name in key_columns]
    if not chosen:
        chosen = [literal_column("NULL")]
    for group in groups:
        condition = and_(*(expr == value for expr, value in zip(same, group[:-1], strict=False)))
        query = select(*chosen).where(condition).order_by(*chosen).limit(examples - len(keys))
        keys.extend(tuple(row) for row in connection.execute(query))
        if len(keys) >= examples:
            break
    return tuple(keys)
