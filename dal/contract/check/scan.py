"""Reading every row of the checked tables once, with progress and bounded memory.

:func:`run_check` streams each table through a server-side cursor (rows arrive
as the server sends them, ``fetch_size`` at a time, in primary-key order), puts
every row through the table's :class:`~dal.contract.check.screen.RowScreen`,
then asks the database for key collisions
(:mod:`dal.contract.check.collisions`). Memory holds one batch of rows and, per
finding, a count and a few keys.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, func, select, text

from dal.contract.check.collisions import collisions
from dal.contract.check.findings import DEFAULT_EXAMPLES, CheckReport, TableScan, Tally
from dal.contract.check.targets import CheckTarget
from dal.migrate.progress import NoProgress, ProgressReporter
from dal.routing.redaction import DEFAULT_SENSITIVE

__all__ = ["run_check"]

_FETCH_SIZE = 2000


def run_check(
    engine: Engine,
    targets: Sequence[CheckTarget],
    source: str,
    *,
    sensitive: Collection[str] = DEFAULT_SENSITIVE,
    progress: ProgressReporter | None = None,
    examples: int = DEFAULT_EXAMPLES,
    fetch_size: int = _FETCH_SIZE,
) -> CheckReport:
    """Check every row of ``targets``; ``source`` says where the targets came from."""
    tally = Tally(sensitive, examples)
    reporter = progress or NoProgress()
    scans = []
    with engine.connect() as connection:
        for target in targets:
            rows = _scan(connection, target, tally, reporter, fetch_size)
            _collisions(connection, target, tally, examples)
            scans.append(TableScan(target.table.name, rows, target.key_columns))
    return tally.report(source, scans)


def _scan(
    connection: Connection,
    target: CheckTarget,
    tally: Tally,
    progress: ProgressReporter,
    fetch_size: int,
) -> int:
    table, screen = target.table, target.screen
    name = table.name
    progress.start(name, _estimate(connection, target))
    if screen.idle:
        rows = int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        progress.advance(name, rows)
        progress.finish(name)
        return rows
    positions = [screen.columns.index(column) for column in target.key_columns]
    query = _raw_select(connection, table.name, screen.columns, target.key_columns)
    # max_row_buffer, not yield_per: with yield_per the raw result kept every row in memory
    streaming = connection.execution_options(stream_results=True, max_row_buffer=fetch_size)
    result = streaming.execute(query)
    rows = 0
    for batch in result.partitions(fetch_size):
        for row in batch:
            rows += 1
            for problem in screen.problems(row):
                tally.add(
                    name,
                    problem.column,
                    problem.kind,
                    problem.handled,
                    _key(target, positions, row, rows),
                )
        progress.advance(name, len(batch))
    progress.finish(name)
    return rows


def _raw_select(
    connection: Connection, table: str, columns: Sequence[str], order: Sequence[str]
) -> TextClause:
    """The rows as the driver returns them, without SQLAlchemy's type conversions (which turn
    a negative TIME into a time of day and a DOUBLE into a rounded Decimal)."""
    quote = connection.dialect.identifier_preparer.quote
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)}"
    if order:
        sql += f" ORDER BY {', '.join(map(quote, order))}"
    return text(sql)


def _key(
    target: CheckTarget, positions: Sequence[int], row: Sequence[Any], number: int
) -> dict[str, Any]:
    if not positions:
        return {"row": number}
    return {column: row[p] for column, p in zip(target.key_columns, positions, strict=True)}


def _collisions(connection: Connection, target: CheckTarget, tally: Tally, examples: int) -> None:
    for group in target.groups:
        for found in collisions(connection, target.table, group, target.key_columns, examples):
            keys = [dict(zip(target.key_columns, key, strict=True)) for key in found.keys]
            tally.add_many(target.table.name, found.column, found.kind, found.count, keys)


def _estimate(connection: Connection, target: CheckTarget) -> int | None:
    """The table's row count as the server estimates it (reading no rows), or None."""
    if connection.dialect.name not in ("mysql", "mariadb"):
        return None
    found = connection.execute(
        text(
            "SELECT TABLE_ROWS FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
        ),
        {"name": target.table.name},
    ).scalar()
    return int(found) if found is not None else None
