"""Engines configured the way the adapter needs them, on MySQL/MariaDB and on SQLite.

MySQL/MariaDB: every connection speaks utf8mb4, uses the session time zone
``+00:00`` (``TIMESTAMP`` columns then hold and return UTC) and strict
transactional mode (too long or out-of-range values fail instead of being cut).

SQLite: foreign keys are enforced, ``lower()`` is Python's Unicode-aware
``str.lower``, every transaction starts with ``BEGIN IMMEDIATE`` (writers queue
up instead of failing half-way, and savepoints work), and file databases can be
shared between threads. An in-memory database is one connection shared by the
whole engine; use it from one thread at a time.

Timeouts (:class:`~adapters.mysql.timeouts.SqlTimeouts`): PyMySQL's connect, read and
write timeouts on MySQL/MariaDB, bounded further by the deadline of the calling
context; SQLite's busy timeout is the read timeout.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from adapters.mysql.tables import MYSQL_DIALECTS
from adapters.mysql.timeouts import SqlTimeouts, connect_within_deadline

__all__ = ["create_engine", "is_mysql", "is_sqlite"]

_MYSQL_SESSION = (
    "SET time_zone = '+00:00', "
    "sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')"
)


def create_engine(
    url: str | URL, *, timeouts: SqlTimeouts | None = None, **engine_kwargs: Any
) -> Engine:
    """An engine for ``url`` (``mysql+pymysql://``, ``mariadb+pymysql://`` or ``sqlite://``).

    ``timeouts`` (default: :class:`SqlTimeouts`'s) bound every wait on the database;
    ``engine_kwargs`` go to :func:`sqlalchemy.create_engine` and override the
    defaults chosen here. Statement parameters are kept out of error messages and
    logs (``hide_parameters=True``): they hold the rows' values, personal data
    among them. Raises ValueError for another kind of database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    timeouts = timeouts if timeouts is not None else SqlTimeouts()
    if backend in MYSQL_DIALECTS:
        connect_args = {**timeouts.connect_args(parsed), **engine_kwargs.pop("connect_args", {})}
        return _mysql_engine(parsed, {"connect_args": connect_args, **engine_kwargs})
    if backend == "sqlite":
        engine_kwargs["connect_args"] = {
            "timeout": timeouts.read,
            **engine_kwargs.get("connect_args", {}),
        }
        return _sqlite_engine(parsed, engine_kwargs)
    shown = parsed.render_as_string(hide_password=True)
    raise ValueError(
        f"unsupported database {backend!r} in {shown}: use mysql+pymysql://, "
        "mariadb+pymysql:// or sqlite:///"
    )


def is_mysql(engine: Engine | Connection) -> bool:
    """Whether ``engine`` talks to a MySQL-compatible server."""
    return engine.dialect.name in MYSQL_DIALECTS


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _mysql_engine(url: URL, engine_kwargs: dict[str, Any]) -> Engine:
    url = url.update_query_dict({"charset": "utf8mb4"})
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": 3600,
        "hide_parameters": True,
        **engine_kwargs,
    }
    engine = sqlalchemy.create_engine(url, **options)
    event.listen(engine, "connect", _configure_mysql_session)
    if url.get_driver_name() == "pymysql":
        event.listen(engine, "do_connect", connect_within_deadline)
    return engine


def _configure_mysql_session(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_MYSQL_SESSION)
    finally:
        cursor.close()


def _sqlite_engine(url: URL, engine_kwargs: dict[str, Any]) -> Engine:
    connect_args = {
        "check_same_thread": False,
        **engine_kwargs.pop("connect_args", {}),
    }
    options: dict[str, Any] = {"connect_args": connect_args, "hide_parameters": True}
    if _is_memory(url):
        options["poolclass"] = StaticPool
    engine = sqlalchemy.create_engine(url, **options, **engine_kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url.query.get("mode", ""))


def _configure_sqlite_connection(
    dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry
) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _begin_immediate)
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
