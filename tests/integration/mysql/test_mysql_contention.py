"""The layer's own transactions run again after a real deadlock or lock wait timeout on MariaDB."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from adapters.mysql import SqlIdAllocator, create_engine
from adapters.mysql.contention import in_own_transaction
from adapters.mysql.tables import id_blocks
from interfaces import AlreadyExists, Backoff, Throttled

MARIADB_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("mariadb", marks=pytest.mark.mysql)], indirect=True
)
QUICK = Backoff(base=0.01, cap=0.05)


@pytest.fixture
def short_waits(fresh_url: str, engine: Engine) -> Iterator[Engine]:
    """An engine whose connections give up on a row lock after one second."""
    created = create_engine(
        fresh_url, connect_args={"init_command": "SET innodb_lock_wait_timeout = 1"}
    )
    yield created
    created.dispose()


def _sequences(engine: Engine, *names: str) -> None:
    with engine.begin() as connection:
        connection.execute(insert(id_blocks), [{"sequence": n, "next_value": 1} for n in names])


def _next_values(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(id_blocks.c.sequence, id_blocks.c.next_value)).all())


def _bump(connection: Connection, sequence: str) -> None:
    connection.execute(
        update(id_blocks)
        .where(id_blocks.c.sequence == sequence)
        .values(next_value=id_blocks.c.next_value + 1)
    )


def _hold(engine: Engine, sequence: str, seconds: float) -> Callable[[], None]:
    """Lock ``sequence``'s row on a connection of its own for ``seconds``; returns a join."""
    locked = threading.Event()

    def hold() -> None:
        with engine.connect() as holder, holder.begin():
            holder.execute(
                select(id_blocks).where(id_blocks.c.sequence == sequence).with_for_update()
            )
            locked.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    return lambda: thread.join(30)


@MARIADB_ONLY
def test_a_deadlocked_transaction_runs_again_and_both_commit(engine: Engine) -> None:
    _sequences(engine, "a", "b")
    both_locked = threading.Barrier(2, timeout=10)
    attempts = {"a": 0, "b": 0}
    failures: list[BaseException] = []

    def bump(first: str, second: str) -> None:
        def work(connection: Connection) -> None:
            attempts[first] += 1
            _bump(connection, first)
            if attempts[first] == 1:
                both_locked.wait()  # each holds one row and asks for the other's
            _bump(connection, second)

        try:
            in_own_transaction(engine, work, backoff=QUICK)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=bump, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(attempts.values()) == [1, 2]  # the deadlock's victim ran once more
    assert _next_values(engine) == {"a": 3, "b": 3}  # both transactions counted once each


@MARIADB_ONLY
def test_a_lock_wait_timeout_is_waited_out(engine: Engine, short_waits: Engine) -> None:
    _sequences(engine, "a")
    calls = {"n": 0}

    def work(connection: Connection) -> None:
        calls["n"] += 1
        _bump(connection, "a")

    join = _hold(engine, "a", 1.5)
    try:
        in_own_transaction(short_waits, work, backoff=QUICK)
    finally:
        join()

    assert calls["n"] == 2
    assert _next_values(engine) == {"a": 2}


@MARIADB_ONLY
def test_when_attempts_run_out_throttled_says_how_many(engine: Engine, short_waits: Engine) -> None:
    _sequences(engine, "a")
    calls = {"n": 0}

    def work(connection: Connection) -> None:
        calls["n"] += 1
        _bump(connection, "a")

    join = _hold(engine, "a", 4)
    try:
        with pytest.raises(Throttled) as throttled:
            in_own_transaction(short_waits, work, attempts=2, backoff=QUICK)
    finally:
        join()

    assert calls["n"] == 2
    assert throttled.value.attempts == 2
    assert _next_values(engine) == {"a": 1}


@MARIADB_ONLY
def test_other_errors_are_translated_and_not_retried(engine: Engine) -> None:
    _sequences(engine, "a")
    calls = {"n": 0}

    def duplicate(connection: Connection) -> Any:
        calls["n"] += 1
        connection.execute(insert(id_blocks).values(sequence="a", next_value=9))

    def own_error(connection: Connection) -> Any:
        calls["n"] += 1
        raise KeyError("not the database's")

    with pytest.raises(AlreadyExists):
        in_own_transaction(engine, duplicate, backoff=QUICK)
    with pytest.raises(KeyError):
        in_own_transaction(engine, own_error, backoff=QUICK)

    assert calls["n"] == 2


@MARIADB_ONLY
def test_the_id_allocator_waits_out_a_locked_block_row(engine: Engine, short_waits: Engine) -> None:
    first = SqlIdAllocator(short_waits, block_size=5).allocate("tickets")

    join = _hold(engine, "tickets", 1.5)
    try:
        started = time.monotonic()
        second = SqlIdAllocator(short_waits, block_size=5).allocate("tickets")
    finally:
        join()

    assert time.monotonic() - started >= 1.0  # it did wait for the lock, and gave up once
    assert (first, second) == (1, 6)
    assert _next_values(engine)["tickets"] == 11
