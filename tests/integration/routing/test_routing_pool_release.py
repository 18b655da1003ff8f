"""A dual write outside a unit of work gives its MySQL connection back before DynamoDB's turn.

MariaDB behind a pool of one connection, DynamoDB Local behind a fault proxy that
delays every answer: while one thread's routed write waits for DynamoDB, another
thread still gets the only MySQL connection. Inside ``with store.unit_of_work():``
the MySQL side commits when the block ends, as before.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from support.proxy import FaultProxy
from support.stores import proxied_store_sides, store_tables

from dal import (
    Category,
    MemoryRecorder,
    RepairLog,
    Router,
    ShadowSettings,
    StaticFlags,
)
from examples.store import NewUser, Store, User

ENTITIES = ("users", "categories", "products", "carts")
LATENCY = 0.5  # seconds added to every chunk DynamoDB sends or receives


@pytest.fixture(scope="module")
def single(mysql_url: str) -> Iterator[Engine]:
    """An engine whose pool holds one connection and never opens another."""
    from adapters.mysql import create_engine
    from examples.store.migrations import upgrade

    created = create_engine(mysql_url, pool_size=1, max_overflow=0, pool_timeout=5)
    upgrade(created)
    yield created
    created.dispose()


@pytest.fixture(scope="module")
def spare(mysql_url: str) -> Iterator[Engine]:
    """Another engine, for ids and for looking at committed rows."""
    from adapters.mysql import create_engine

    created = create_engine(mysql_url)
    yield created
    created.dispose()


@pytest.fixture(scope="module")
def prefix(dynamodb_endpoint: str, table_prefix: str) -> str:
    return store_tables(dynamodb_endpoint, table_prefix + "poolrel_")


@pytest.fixture
def routed(
    single: Engine, spare: Engine, prefix: str, dynamodb_proxy: FaultProxy, tmp_path: Path
) -> Iterator[tuple[Store, Store, Router, MemoryRecorder]]:
    """The store at ``shadow``: MySQL on ``single``, DynamoDB through the proxy."""
    old, new = proxied_store_sides(single, dynamodb_proxy.port, prefix, ids_engine=spare)
    recorder = MemoryRecorder()
    router = Router(
        StaticFlags(dict.fromkeys(ENTITIES, "shadow")),
        recorder,
        repair_log=RepairLog(tmp_path / "repair.jsonl"),
        shadow=ShadowSettings(budget=30.0, write_budget=30.0),
        metrics_interval=None,
    )
    with router:
        yield old, router.route_store(old, new), router, recorder


def _new_user() -> NewUser:
    name = f"u{uuid.uuid4().hex[:10]}"
    return NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)


def _committed(spare: Engine, username: str) -> bool:
    with spare.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM users WHERE username = :name"), {"name": username}
        ).first()
        connection.rollback()
    return found is not None


def _wait_for(condition: Any, seconds: float) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_another_thread_gets_the_only_mysql_connection_during_the_dynamodb_write(
    routed: tuple[Store, Store, Router, MemoryRecorder],
    spare: Engine,
    dynamodb_proxy: FaultProxy,
) -> None:
    old, store, router, recorder = routed
    new_user = _new_user()
    created: list[User] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            created.append(store.users.create(new_user))  # outside a unit of work
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    dynamodb_proxy.latency(LATENCY)
    writer = threading.Thread(target=write, name="routed-writer")
    writer.start()
    try:
        assert _wait_for(lambda: _committed(spare, new_user.username) or failures, 15)
        assert not failures, failures
        # the writer is now at DynamoDB, behind the delay; MySQL's one connection is free
        started = time.monotonic()
        with old.unit_of_work():
            found = old.users.find_by_username(new_user.username)
        took = time.monotonic() - started
        assert writer.is_alive(), "the DynamoDB write ended before the check could run"
    finally:
        writer.join(60)
        dynamodb_proxy.heal()
    assert found is not None
    assert took < LATENCY
    assert not failures, failures
    assert created[0] == found

    assert store.users.get(found.id) == found  # a read outside a unit of work, shadowed
    assert router.flush(timeout=30)
    assert recorder.errors == []
    categories = {(c.operation, c.category) for c in recorder.comparisons}
    assert categories == {("create", Category.MATCH), ("get", Category.MATCH)}


@pytest.mark.slow
def test_inside_a_unit_of_work_mysql_commits_when_the_block_ends(
    routed: tuple[Store, Store, Router, MemoryRecorder], spare: Engine
) -> None:
    _, store, router, recorder = routed
    new_user = _new_user()
    with store.unit_of_work():
        store.users.create(new_user)
        seen_inside = _committed(spare, new_user.username)
    assert not seen_inside
    assert _committed(spare, new_user.username)
    assert router.flush(timeout=30)
    assert recorder.errors == []
