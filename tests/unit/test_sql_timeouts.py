"""The SQL engines' timeouts: their validation, SQLite's busy timeout, the deadline's bound."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.mysql import create_engine
from adapters.mysql.timeouts import DeadlineConnection, SqlTimeouts
from interfaces import deadline, time_left


@pytest.mark.parametrize("field", ["connect", "read", "write"])
@pytest.mark.parametrize("value", [0, -1.0, float("inf"), float("nan")])
def test_timeouts_must_be_positive_seconds(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"positive seconds: {field}"):
        SqlTimeouts(**{field: value})


def test_pymysql_gets_the_timeouts_as_given_other_drivers_whole_seconds() -> None:
    timeouts = SqlTimeouts(connect=1.5, read=0.25, write=2.0)

    assert timeouts.connect_args(make_url("mysql+pymysql://h/db")) == {
        "connect_timeout": 1.5,
        "read_timeout": 0.25,
        "write_timeout": 2.0,
    }
    assert timeouts.connect_args(make_url("mysql+mysqldb://h/db")) == {
        "connect_timeout": 2,
        "read_timeout": 1,
        "write_timeout": 2,
    }


def test_sqlite_waits_for_a_lock_as_long_as_the_read_timeout(tmp_path: Path) -> None:
    database = tmp_path / "locked.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{database}", timeouts=SqlTimeouts(read=0.3))
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="locked"):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))
        elapsed = time.monotonic() - started
        assert 0.25 <= elapsed < 3, f"waited {elapsed:.2f} s"
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()


def test_a_deadline_shortens_the_socket_timeouts_never_lengthens_them() -> None:
    connection = DeadlineConnection(defer_connect=True, read_timeout=5.0, write_timeout=0.2)
    assert connection._read_timeout == 5.0
    with deadline(1.0):
        assert 0.9 < connection._read_timeout <= 1.0
        assert connection._write_timeout == 0.2
        with deadline(30.0):  # an inner deadline never extends the outer one
            left = time_left()
            assert left is not None
            assert left <= 1.0
    with deadline(0):
        assert connection._read_timeout == pytest.approx(0.001)
    assert connection._read_timeout == 5.0


def test_a_deadline_needs_a_duration() -> None:
    with pytest.raises(ValueError, match="0 seconds or more"):
        with deadline(-1):
            pass
    assert time_left() is None
