"""Driver errors become the layer's errors: produced by the real servers wherever they can be."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pymysql
import pytest
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from adapters.mysql import create_engine
from adapters.mysql.errors import translate
from adapters.mysql.session import active_work
from examples.store import NewCategory, NewProduct, Store
from examples.store.schema import categories, products, shopping_carts, users
from examples.store.sql import build_store
from interfaces import (
    AccessDenied,
    AlreadyExists,
    BackendUnavailable,
    DalError,
    NotFound,
    ReferenceConflict,
    SteppingClock,
    Throttled,
    UnstorableValue,
    ValidationFailed,
)

_NOW = SteppingClock().now()


def _failure(engine: Engine, statement: Any, params: dict[str, Any] | None = None) -> DBAPIError:
    """The driver error ``statement`` raises on ``engine``."""
    with engine.connect() as connection, connection.begin():
        try:
            connection.execute(statement, params or {})
        except DBAPIError as error:
            return error
    raise AssertionError(f"{statement} did not fail")


def _user(user_id: int, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "email": f"{name}@example.com",
        "password_hash": "h",
        "created_at": _NOW,
        "updated_at": _NOW,
    }


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """``engine`` with user 1 ('ada', a seller), category 1 and product 1 in it."""
    with engine.begin() as connection:
        connection.execute(insert(users), {**_user(1, "ada"), "is_seller": True})
        connection.execute(insert(categories), {"id": 1, "name": "Books", "created_at": _NOW})
        connection.execute(
            insert(products),
            {
                "id": 1,
                "seller_id": 1,
                "category_id": 1,
                "name": "Dune",
                "price": Decimal("9.99"),
                "inventory_quantity": 5,
                "created_at": _NOW,
                "updated_at": _NOW,
            },
        )
    return engine


# --- constraint violations, from the server's own messages -------------------------------


def test_duplicate_unique_value_is_already_exists(seeded: Engine) -> None:
    taken = {**_user(2, "ada"), "email": "someone@example.com"}
    error = translate(_failure(seeded, insert(users), taken))
    assert isinstance(error, AlreadyExists)
    assert (error.entity, error.field) == ("user", "username")


def test_duplicate_primary_key_is_already_exists_on_id(seeded: Engine) -> None:
    error = translate(_failure(seeded, insert(users), _user(1, "bea")))
    assert isinstance(error, AlreadyExists)
    assert (error.entity, error.field) == ("user", "id")


def test_missing_parent_row_is_not_found(backend: str, seeded: Engine) -> None:
    row = {"id": 9, "user_id": 999, "product_id": 1, "quantity": 1}
    error = translate(_failure(seeded, insert(shopping_carts), row))
    assert isinstance(error, NotFound)
    if backend == "mariadb":  # SQLite does not say which key failed
        assert error.entity == "user"


def test_deleting_a_referenced_row_is_reference_conflict(backend: str, seeded: Engine) -> None:
    error = translate(_failure(seeded, delete(categories).where(categories.c.id == 1)))
    assert isinstance(error, ReferenceConflict)
    assert error.entity == "category"
    if backend == "mariadb":
        assert error.referenced_by == "products"


def test_null_in_a_required_column_names_the_field(seeded: Engine) -> None:
    error = translate(_failure(seeded, insert(users), {**_user(3, "cy"), "username": None}))
    assert isinstance(error, ValidationFailed)
    assert error.field == "username"


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
@pytest.mark.parametrize(
    ("column", "value"),
    [("username", "x" * 51), ("password_hash", "é" * 256), ("id", 2**31)],
)
def test_value_the_column_cannot_hold_is_unstorable(
    seeded: Engine, column: str, value: Any
) -> None:
    error = translate(_failure(seeded, insert(users), {**_user(3, "cy"), column: value}))
    assert isinstance(error, UnstorableValue)
    assert error.field == column


def test_missing_schema_says_to_upgrade(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    store = build_store(engine)
    try:
        with pytest.raises(DalError, match="dal db upgrade"), store.unit_of_work():
            store.users.get(1)
    finally:
        engine.dispose()


# --- the server cannot be reached or refuses us ---------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _unreachable_url(backend: str, fresh_url: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'store.db'}"
    return make_url(fresh_url).set(port=_closed_port()).render_as_string(hide_password=False)


def test_unreachable_database_is_backend_unavailable(
    backend: str, fresh_url: str, tmp_path: Path
) -> None:
    engine = create_engine(_unreachable_url(backend, fresh_url, tmp_path))
    store = build_store(engine)
    try:
        with pytest.raises(BackendUnavailable) as raised, store.unit_of_work():
            store.users.get(1)
        assert isinstance(raised.value.__cause__, OperationalError)
    finally:
        engine.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
@pytest.mark.parametrize(("user", "password"), [("root", "wrong"), ("nobody", "x")])
def test_refused_credentials_are_access_denied(fresh_url: str, user: str, password: str) -> None:
    url = make_url(fresh_url).set(username=user, password=password)
    engine = create_engine(url)
    store = build_store(engine)
    try:
        with pytest.raises(AccessDenied), store.unit_of_work():
            store.users.get(1)
    finally:
        engine.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
def test_connection_lost_in_a_unit_of_work_dooms_it(seeded: Engine, store: Store) -> None:
    swallowed: list[DalError] = []

    def lose_the_connection_and_carry_on() -> None:
        with store.unit_of_work():
            store.users.get(1)
            work = active_work(seeded)
            assert work is not None
            session_id = work.connection.execute(text("SELECT CONNECTION_ID()")).scalar_one()
            with seeded.connect() as killer:
                killer.execute(text(f"KILL CONNECTION {int(session_id)}"))
            try:
                store.users.get(1)
            except BackendUnavailable as error:
                swallowed.append(error)

    with pytest.raises(BackendUnavailable) as at_exit:
        lose_the_connection_and_carry_on()
    assert [at_exit.value] == swallowed


# --- contention ---------------------------------------------------------------------------


@contextmanager
def _row_locked(engine: Engine, backend: str) -> Iterator[None]:
    """Another connection holds a write lock (MariaDB: on product 1; SQLite: the database)."""
    with engine.connect() as blocker:
        if backend == "sqlite":
            blocker.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: takes the write lock
        else:
            blocker.execute(text("SELECT id FROM products WHERE id = 1 FOR UPDATE"))
        yield
        blocker.rollback()


def test_lock_wait_timeout_is_throttled(backend: str, seeded: Engine, fresh_url: str) -> None:
    short_wait = {
        "sqlite": {"timeout": 0.2},
        "mariadb": {"init_command": "SET innodb_lock_wait_timeout = 1"},
    }
    waiting = create_engine(fresh_url, connect_args=short_wait[backend])
    store = build_store(waiting, clock=SteppingClock())
    try:
        with _row_locked(seeded, backend):
            with pytest.raises(Throttled), store.unit_of_work():
                store.products.set_inventory(1, 3)
        with store.unit_of_work():
            assert store.products.set_inventory(1, 3).inventory_quantity == 3
    finally:
        waiting.dispose()


def test_exhausted_connection_pool_is_throttled(fresh_url: str, seeded: Engine) -> None:
    small = create_engine(fresh_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    store = build_store(small)
    try:
        with small.connect():
            with pytest.raises(Throttled), store.unit_of_work():
                store.users.get(1)
    finally:
        small.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
def test_deadlock_is_throttled_and_dooms_the_victim(seeded: Engine, store: Store) -> None:
    with store.unit_of_work():
        seller = store.users.get(1)
        other = store.products.create(
            NewProduct(seller_id=seller.id, category_id=1, name="Emma", price=Decimal(1))
        )
    barrier = threading.Barrier(2, timeout=10)
    swallowed: list[DalError] = []
    at_exit: list[DalError] = []

    def lock_both(first: int, second: int) -> None:
        try:
            with store.unit_of_work():
                store.products.set_inventory(first, 1)
                barrier.wait()
                try:
                    store.products.set_inventory(second, 2)
                except Throttled as error:
                    swallowed.append(error)
        except Throttled as error:
            at_exit.append(error)

    threads = [
        threading.Thread(target=lock_both, args=pair) for pair in ((1, other.id), (other.id, 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(swallowed) == 1
    assert at_exit == swallowed


# --- faults the servers cannot be made to produce on demand -----------------------------


def _lost_connection() -> OperationalError:
    driver_error = pymysql.err.OperationalError(2013, "Lost connection to server during query")
    return OperationalError("COMMIT", {}, driver_error)


def test_connection_lost_at_commit_is_backend_unavailable(seeded: Engine, store: Store) -> None:
    with mock.patch.object(Session, "commit", side_effect=_lost_connection()):
        with pytest.raises(BackendUnavailable) as raised, store.unit_of_work():
            store.categories.create(NewCategory(name="Lost"))
    assert isinstance(raised.value.__cause__, OperationalError)
    with store.unit_of_work():
        assert not store.categories.name_exists("Lost")


_MYSQL_CODES: list[tuple[int, type[DalError]]] = [
    (1290, BackendUnavailable),  # the server runs --read-only (a failover in progress)
    (1053, BackendUnavailable),  # the server is shutting down
    (1927, BackendUnavailable),  # the connection was killed
    (1142, AccessDenied),  # a command is denied on a table
    (1227, AccessDenied),  # a privilege is missing
    (9999, DalError),  # anything else
]


@pytest.mark.parametrize(("code", "expected"), _MYSQL_CODES)
def test_other_server_errors_are_translated_by_code(code: int, expected: type[DalError]) -> None:
    error = translate(
        OperationalError("SELECT 1", {}, pymysql.err.OperationalError(code, "from the server"))
    )
    assert type(error) is expected
