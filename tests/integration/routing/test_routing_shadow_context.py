"""Shadow work runs outside the caller's unit of work, on MariaDB and DynamoDB Local.

At stage ``live`` the secondary is MySQL. A read inside the caller's unit of work
is shadowed on a worker thread; that read must take a connection of its own from
the pool, not the caller's session (which belongs to the caller's thread and holds
its uncommitted transaction).
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from support.stores import store_sides

from dal import (
    Category,
    MemoryRecorder,
    RepairLog,
    Router,
    ShadowSettings,
    StaticFlags,
)
from examples.store import NewUser, Store

ENTITIES = ("users", "categories", "products", "carts")


class Rollback(Exception):
    """Leaves the caller's unit of work so that it rolls back."""


@pytest.fixture(scope="module")
def sides(engine: Engine, dynamodb_endpoint: str, table_prefix: str) -> tuple[Store, Store]:
    return store_sides(engine, dynamodb_endpoint, table_prefix + "shadowctx_")


def _router(stage: str, recorder: MemoryRecorder, tmp_path: Path) -> Router:
    return Router(
        StaticFlags(dict.fromkeys(ENTITIES, stage)),
        recorder,
        repair_log=RepairLog(tmp_path / f"repair-{stage}.jsonl"),
        shadow=ShadowSettings(budget=15.0, write_budget=30.0),
        metrics_interval=None,
    )


class ConnectionUse:
    """Which threads ran statements on which DB-API connection of ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.threads: dict[int, set[int]] = {}

    def __enter__(self) -> ConnectionUse:
        event.listen(self._engine, "before_cursor_execute", self._executed)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._executed)

    def _executed(self, connection: Any, *args: Any) -> None:
        dbapi = id(connection.connection.dbapi_connection)
        with self._lock:
            self.threads.setdefault(dbapi, set()).add(threading.get_ident())

    def shared(self) -> dict[int, set[int]]:
        """The connections more than one thread ran statements on."""
        with self._lock:
            return {conn: set(seen) for conn, seen in self.threads.items() if len(seen) > 1}


@pytest.mark.slow
def test_a_shadow_read_at_live_does_not_use_the_callers_session(
    sides: tuple[Store, Store], engine: Engine, tmp_path: Path
) -> None:
    old, new = sides
    name = f"u{uuid.uuid4().hex[:10]}"
    with _router("dual_write", MemoryRecorder(), tmp_path) as seeding:
        store = seeding.route_store(old, new)
        with store.unit_of_work():
            user = store.users.create(
                NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
            )
    assert not user.is_seller

    recorder = MemoryRecorder()
    answers: list[Any] = []
    with _router("live", recorder, tmp_path) as router:
        store = router.route_store(old, new)

        def caller() -> None:
            with store.unit_of_work():
                # the caller's own MySQL transaction changes the row, uncommitted
                assert old.users.upgrade_to_seller(user.id).is_seller
                answers.append(store.users.get(user.id))  # DynamoDB answers; MySQL is shadowed
                assert router.flush(timeout=30)
                raise Rollback

        with ConnectionUse(engine) as use, pytest.raises(Rollback):
            caller()
    assert not answers[0].is_seller
    assert use.shared() == {}, "a connection was used by more than one thread"

    gets = [c for c in recorder.comparisons if (c.entity, c.operation) == ("users", "get")]
    assert len(gets) == 1
    # the shadow read saw the committed row, not the caller's uncommitted change
    assert gets[0].category is Category.MATCH, gets[0].differences
    assert recorder.errors == []
