"""Reading MySQL's binary log: the server's settings, its current position, committed changes.

:func:`check_server` refuses a server whose binary log cannot serve change data
capture, naming the setting to change (``log_bin``, ``binlog_format``,
``binlog_row_image``). :func:`current_position` is where the log ends now.
:class:`BinlogReader` follows the log from a position with ``mysql-replication``
(module ``pymysqlreplication``) and yields each committed transaction's row changes
of the given tables, with the position just after its commit: the only positions a
reader may resume from, since a row event needs the table map written before it in
the same transaction.

Positions are file/offset pairs: MySQL and MariaDB both have them, while their
GTIDs differ in form and the library resumes MariaDB GTIDs only for a whole domain.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pymysql
from sqlalchemy import Engine, Enum, Table, text
from sqlalchemy.engine import make_url

from dal.cdc.positions import BinlogPosition
from dal.migrate.lookups import Row
from interfaces import DalError

__all__ = [
    "BinlogReader",
    "BinlogUnavailable",
    "RowChange",
    "Transaction",
    "check_server",
    "current_position",
]

_REQUIRED = (
    ("log_bin", "ON", "the server writes no binary log"),
    ("binlog_format", "ROW", "the binary log is not row-based"),
    ("binlog_row_image", "FULL", "the binary log does not hold whole rows"),
)


class BinlogUnavailable(DalError):
    """The server's binary log cannot serve change data capture; the message names the setting."""


def _variables(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT @@log_bin, @@binlog_format, @@binlog_row_image")
        ).one()
    values = ["ON" if str(found[0]) in ("1", "ON") else "OFF", str(found[1]), str(found[2])]
    return dict(zip(("log_bin", "binlog_format", "binlog_row_image"), values, strict=True))


def check_server(engine: Engine) -> None:
    """Raise :class:`BinlogUnavailable` unless ``log_bin=ON``, ``binlog_format=ROW`` and
    ``binlog_row_image=FULL``."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        raise BinlogUnavailable(
            f"change data capture reads a MySQL binary log; {engine.dialect.name} has none"
        )
    found = _variables(engine)
    for name, wanted, problem in _REQUIRED:
        if found[name].upper() != wanted:
            raise BinlogUnavailable(
                f"{problem} ({name} is {found[name]}): set {name}={wanted} in the server's "
                "configuration and restart it (change data capture needs log_bin=ON, "
                "binlog_format=ROW, binlog_row_image=FULL and a server_id)"
            )


def current_position(engine: Engine) -> BinlogPosition:
    """Where the binary log ends now (``SHOW MASTER STATUS``)."""
    check_server(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SHOW MASTER STATUS")).one()
    return BinlogPosition.of(str(row[0]), int(row[1]))


@dataclass(frozen=True)
class RowChange:
    """One row changed in ``table``: ``before`` is None for an insert, ``after`` for a delete."""

    table: str
    before: Row | None
    after: Row | None


@dataclass
class Transaction:
    """The row changes of one committed transaction and the position just after its commit."""

    end: BinlogPosition
    written_at: float
    """When the server wrote the commit (seconds since the epoch, whole seconds)."""
    changes: list[RowChange] = field(default_factory=list)


def _connection_settings(url: str) -> tuple[dict[str, Any], str]:
    parsed = make_url(url)
    settings = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": parsed.username or "root",
        "password": parsed.password or "",
    }
    return settings, parsed.database or ""


class BinlogReader:
    """Follows the binary log of the database at ``url`` from ``start``.

    Only changes of ``tables`` (by name, in the URL's database) are kept. ``server_id``
    must differ from every server's and every other reader's. :meth:`transactions`
    yields None after ``idle`` seconds without a commit, so the caller can stop.
    """

    def __init__(
        self,
        url: str,
        tables: Mapping[str, Table],
        start: BinlogPosition,
        *,
        server_id: int,
        idle: float = 1.0,
    ) -> None:
        self._settings, self._database = _connection_settings(url)
        self._tables = tables
        self._start = start
        self._server_id = server_id
        self._idle = idle

    def transactions(self) -> Iterator[Transaction | None]:
        """Committed transactions from the start, forever (None while nothing happens)."""
        from pymysqlreplication import BinLogStreamReader

        stream = BinLogStreamReader(
            self._settings,
            server_id=self._server_id,
            log_file=self._start.file,
            log_pos=self._start.offset,
            resume_stream=True,
            blocking=True,
            slave_heartbeat=self._idle,
            only_events=list(_events()),
            only_schemas=[self._database] if self._database else None,
            enable_logging=False,
        )
        try:
            yield from self._follow(stream)
        except pymysql.err.MySQLError as error:
            raise BinlogUnavailable(
                f"the binary log cannot be read from {self._start}: {error} (a purged file "
                "needs a new start: a backfill, then --from-backfill)"
            ) from error
        finally:
            stream.close()

    def _follow(self, stream: Any) -> Iterator[Transaction | None]:
        write, update, delete, xid, query, heartbeat = _events()
        current: list[RowChange] = []
        for event in stream:
            if isinstance(event, heartbeat):
                if not current:
                    yield None
            elif isinstance(event, write | update | delete):
                current.extend(self._changes(event))
            elif isinstance(event, xid) or (isinstance(event, query) and _ends_transaction(event)):
                end = BinlogPosition.of(stream.log_file, stream.log_pos)
                yield Transaction(end, float(event.timestamp or time.time()), current)
                current = []

    def _changes(self, event: Any) -> list[RowChange]:
        table = self._tables.get(event.table)
        if table is None:
            return []
        changes = []
        for row in event.rows:
            if "before_values" in row:
                before, after = row["before_values"], row["after_values"]
            elif type(event).__name__ == "DeleteRowsEvent":
                before, after = row["values"], None
            else:
                before, after = None, row["values"]
            changes.append(
                RowChange(
                    table.name,
                    None if before is None else _typed(table, before),
                    None if after is None else _typed(table, after),
                )
            )
        return changes


def _events() -> tuple[type[Any], ...]:
    """The library's event classes read here: row events, commits, heartbeats."""
    from pymysqlreplication.event import HeartbeatLogEvent, QueryEvent, XidEvent
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    return WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, XidEvent, QueryEvent, HeartbeatLogEvent


def _ends_transaction(event: Any) -> bool:
    query = str(getattr(event, "query", "")).strip().upper()
    return query == "COMMIT" or not query.startswith(("BEGIN", "SAVEPOINT", "XA "))


def _typed(table: Table, values: Mapping[str, Any]) -> Row:
    """A row event's values by column name, as the backfill reads rows.

    Values without names (a server without ``binlog_row_metadata=FULL``) are named by
    the column's place in the table; naive datetimes (UTC, as the layer writes them)
    become aware; enum numbers become their labels.
    """
    columns = list(table.columns)
    row: Row = {}
    for place, (name, value) in enumerate(values.items()):
        column = columns[place] if name.startswith("UNKNOWN_COL") else table.c.get(name)
        if column is None:
            continue
        row[column.name] = _value(column.type, value)
    return row


def _value(kind: Any, value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(kind, Enum) and isinstance(value, int) and kind.enums:
        return kind.enums[value - 1] if 0 < value <= len(kind.enums) else None
    return value
