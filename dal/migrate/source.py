"""Streaming a MySQL table in primary-key order, one page at a time, optionally one segment of it.

Keyset pagination (``WHERE id > :last ORDER BY id LIMIT n``) never holds more
than a page in memory and never skips or repeats a row when rows are inserted
or deleted meanwhile. A segment is a range of the key
(:class:`~dal.migrate.ranges.KeyRange`): its pages walk that range of the
index only.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Result,
    Table,
    and_,
    func,
    or_,
    select,
)

from adapters.dynamodb.values import parse_timestamp
from dal.migrate.lookups import Row
from dal.migrate.ranges import KeyRange, range_filter

__all__ = ["count_rows", "fetch_rows", "pages", "prefetched", "typed"]


def typed(table: Table, column: str, value: Any) -> Any:
    """``value`` (read back from an item) in the column's type.

    Ids stored as strings become ints, numbers Decimals, timestamps stored as text
    datetimes (naive UTC for a column without a zone, which is how the layer writes).
    """
    if value is None:
        return None
    try:
        kind = table.c[column].type.python_type
    except NotImplementedError:
        return value
    if kind is int and not isinstance(value, int):
        return int(value)
    if kind is Decimal and not isinstance(value, Decimal):
        return Decimal(str(value))
    if kind is datetime and isinstance(value, str):
        return _stored_datetime(table, column, parse_timestamp(value))
    if kind is datetime and isinstance(value, datetime):
        return _stored_datetime(table, column, value)
    if kind is date and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _stored_datetime(table: Table, column: str, value: datetime) -> datetime:
    """An aware ``value`` as the column stores it: naive UTC in a column without a zone."""
    if value.tzinfo is None or column not in _naive_datetimes(table):
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@functools.cache
def _naive_datetimes(table: Table) -> frozenset[str]:
    """Columns read back as naive datetimes (``DATETIME``, ``TIMESTAMP`` without a zone)."""
    return frozenset(
        column.name
        for column in table.columns
        if isinstance(column.type, DateTime) and not column.type.timezone
    )


def _dicts(result: Result[Any], table: Table) -> list[Row]:
    """The rows of ``result`` as plain dicts (which the plans may extend with children).

    A naive datetime holds UTC (the layer writes UTC): it is returned aware, as the
    models and the item layout expect.
    """
    names = tuple(result.keys())
    rows = [dict(zip(names, row, strict=True)) for row in result]
    naive = [name for name in _naive_datetimes(table) if name in names]
    for row in rows if naive else ():
        for name in naive:
            value = row[name]
            if value is not None and value.tzinfo is None:
                row[name] = value.replace(tzinfo=UTC)
    return rows


def _after(columns: Sequence[Any], last: Sequence[Any]) -> ColumnElement[bool]:
    """``(a, b) > (x, y)`` written out, as every backend understands it."""
    clauses = []
    for position, column in enumerate(columns):
        equal = [columns[i] == last[i] for i in range(position)]
        clauses.append(and_(*equal, column > last[position]))
    return or_(*clauses)


def pages(
    engine: Engine,
    table: Table,
    key_range: KeyRange,
    page_size: int,
    after: Sequence[Any] | None = None,
) -> Iterator[list[Row]]:
    """Pages of rows of ``key_range`` in key order, starting after the key ``after``.

    Each page is read in its own short transaction, so a long backfill holds no
    snapshot open.
    """
    key = list(table.primary_key.columns)
    last = None if after is None else list(after)
    while True:
        query = select(table).where(range_filter(table, key_range))
        if last is not None:
            query = query.where(_after(key, last))
        query = query.order_by(*key).limit(page_size)
        with engine.connect() as connection:
            rows = _dicts(connection.execute(query), table)
        if not rows:
            return
        yield rows
        last = [rows[-1][column.name] for column in key]
        if len(rows) < page_size:
            return


def prefetched(stream: Iterator[list[Row]]) -> Generator[list[Row], None, None]:
    """The pages of ``stream``, each next one read by a thread of its own meanwhile.

    While the caller turns a page into items and hands them to the writers, the
    next page is already being read, so the writers never wait for MySQL. At most
    one page is read ahead; closing the iterator waits for that read to end.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="backfill-reader") as reader:
        ahead = reader.submit(next, stream, None)
        while (page := ahead.result()) is not None:
            ahead = reader.submit(next, stream, None)
            yield page


def fetch_rows(
    engine: Engine,
    table: Table,
    keys: Sequence[Sequence[Any]],
    columns: Sequence[str] | None = None,
) -> list[Row]:
    """The rows whose ``columns`` (default: the primary key) hold one of ``keys``, in key order."""
    if not keys:
        return []
    chosen = [table.c[name] for name in columns] if columns else list(table.primary_key.columns)
    condition: ColumnElement[bool] = (
        chosen[0].in_([k[0] for k in keys])
        if len(chosen) == 1
        else or_(*(and_(*(c == v for c, v in zip(chosen, k, strict=True))) for k in keys))
    )
    with engine.connect() as connection:
        query = select(table).where(condition).order_by(*table.primary_key.columns)
        return _dicts(connection.execute(query), table)


def count_rows(
    engine: Engine, table: Table, key_range: KeyRange, after: Sequence[Any] | None
) -> int:
    """How many rows of ``key_range`` come after ``after`` (for progress estimates)."""
    query = select(func.count()).select_from(table).where(range_filter(table, key_range))
    if after is not None:
        query = query.where(_after(list(table.primary_key.columns), list(after)))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
