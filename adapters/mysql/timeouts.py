"""Timeouts of the SQL engines, and the deadline of the current context on MySQL sockets.

:class:`SqlTimeouts` says how long a connection may take to open, to send a request
and to wait for an answer; on SQLite the wait for an answer is the busy timeout
(how long a statement waits for another connection's lock). A MySQL server that
hangs with the connection open then fails the statement with PyMySQL's "Lost
connection" error after ``read`` seconds, and SQLAlchemy invalidates the connection
(it never goes back to the pool).

Within a deadline (:func:`interfaces.deadline`), PyMySQL connections made by the
engine shorten their socket timeouts to the time left, for every packet: a
statement, the ping of a pooled connection and a new connection's handshake end at the
deadline. PyMySQL reads ``_read_timeout`` and ``_write_timeout`` before each
packet it receives or sends; :class:`DeadlineConnection` answers them from the
deadline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pymysql.connections
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.pool import ConnectionPoolEntry

from interfaces.deadlines import time_left

__all__ = ["DeadlineConnection", "SqlTimeouts", "connect_within_deadline"]

_LEAST = 0.001
"""The socket timeout once the deadline has passed: the next wait fails at once."""


@dataclass(frozen=True)
class SqlTimeouts:
    """Seconds a SQL connection may take to open (``connect``), to answer (``read``; on
    SQLite the busy timeout) and to accept a request (``write``)."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0

    def __post_init__(self) -> None:
        wrong = [
            name for name in ("connect", "read", "write") if not 0 < getattr(self, name) < math.inf
        ]
        if wrong:
            raise ValueError(f"SQL timeouts must be positive seconds: {', '.join(wrong)}")

    def connect_args(self, url: URL) -> dict[str, Any]:
        """The DBAPI arguments of a MySQL/MariaDB connection (whole seconds but for PyMySQL)."""
        values = {
            "connect_timeout": self.connect,
            "read_timeout": self.read,
            "write_timeout": self.write,
        }
        if url.get_driver_name() == "pymysql":
            return values
        return {name: max(1, math.ceil(value)) for name, value in values.items()}


def _bounded(configured: float | None) -> float | None:
    left = time_left()
    if left is None:
        return configured
    left = max(left, _LEAST)
    return left if configured is None else min(configured, left)


class DeadlineConnection(pymysql.connections.Connection):
    """A PyMySQL connection whose socket timeouts never reach past the context's deadline."""

    _configured_read: float | None = None
    _configured_write: float | None = None

    @property
    def _read_timeout(self) -> float | None:
        return _bounded(self._configured_read)

    @_read_timeout.setter
    def _read_timeout(self, value: float | None) -> None:
        self._configured_read = value

    @property
    def _write_timeout(self) -> float | None:
        return _bounded(self._configured_write)

    @_write_timeout.setter
    def _write_timeout(self, value: float | None) -> None:
        self._configured_write = value


def connect_within_deadline(
    dialect: Dialect, record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]
) -> DeadlineConnection:
    """SQLAlchemy's ``do_connect`` hook of a PyMySQL engine: a :class:`DeadlineConnection`."""
    return DeadlineConnection(*cargs, **cparams)
