"""The registry of backends the conformance suite runs against.

Each :class:`Backend` knows how to open a :class:`BackendSession` once per test
session (start or reach its server, create the schema) and declares the few
capabilities in which backends may legitimately differ. A session then hands
out an empty :class:`~interfaces.Store` for every test.

Adding a backend is one entry in :data:`BACKENDS`: a name, an ``open`` function
that takes the pytest request (to reach shared server fixtures with
``request.getfixturevalue``), the pytest marks its tests carry, and its
capabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from examples.store import Store
from interfaces import Clock, IdAllocator

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

__all__ = ["BACKENDS", "Backend", "BackendSession", "StoreFactory"]

StoreFactory = Callable[[Clock], Store]
"""Empties the backend under test and builds a store over it that stamps with the given clock."""


class BackendSession(Protocol):
    """A backend opened for the whole test session."""

    def reset(self) -> None:
        """Remove every row or item, so the next store starts empty."""
        ...

    def build(self, clock: Clock, ids: IdAllocator) -> Store:
        """A store over the (reset) backend, stamping with ``clock``, numbering with ``ids``."""
        ...

    def close(self) -> None:
        """Release connections and processes."""
        ...


@dataclass(frozen=True)
class Backend:
    """A backend under test and the capabilities in which it may differ from the others."""

    name: str
    open: Callable[[pytest.FixtureRequest], BackendSession]
    marks: tuple[pytest.MarkDecorator, ...] = ()
    requires_unit_of_work: bool = False
    """Repositories raise NoUnitOfWork when called outside ``store.unit_of_work()``."""
    rolls_back_unit_of_work: bool = False
    """An exception leaving ``store.unit_of_work()`` undoes the commands made inside it."""
    ties_ordered_by_id: bool = True
    """Listings break ties of their sort key (equal names, equal created_at) by id."""
    reports_available_stock: bool = True
    """InsufficientInventory.available holds the units in stock (else it may be None)."""

    def param(self) -> object:
        """This backend as a pytest parameter, with its name as the test id."""
        return pytest.param(self, id=self.name, marks=self.marks)


class MemorySession:
    """The memory fake: every build is a new, empty store."""

    def reset(self) -> None:
        """Nothing to remove: :meth:`build` starts from nothing."""

    def build(self, clock: Clock, ids: IdAllocator) -> Store:
        """A fresh memory store."""
        from examples.store.memory import build_store

        return build_store(clock=clock, ids=ids)

    def close(self) -> None:
        """Nothing to release."""


class SqlSession:
    """A SQL database migrated once to head and emptied (children first) before each test."""

    def __init__(self, url: str) -> None:
        from adapters.mysql import create_engine
        from examples.store.migrations import upgrade

        self._engine: Engine = create_engine(url)
        if self._engine.dialect.name == "sqlite":
            _skip_fsync(self._engine)
        upgrade(self._engine)
        self._tables = _tables_children_first(self._engine)

    def reset(self) -> None:
        """Delete every row of every table but Alembic's own."""
        with self._engine.begin() as connection:
            for table in self._tables:
                connection.execute(table.delete())

    def build(self, clock: Clock, ids: IdAllocator) -> Store:
        """The SQL adapter's store over this database."""
        from examples.store.sql import build_store

        return build_store(self._engine, clock=clock, ids=ids)

    def close(self) -> None:
        """Close the engine's connections."""
        self._engine.dispose()


class DynamoSession:
    """DynamoDB (Local): the contract's tables created once, every item deleted before each test."""

    def __init__(self, endpoint: str, prefix: str) -> None:
        from dal.aws import dynamodb_client
        from dal.contract import load_contract
        from dal.schema import create_tables
        from examples.store import CONTRACT as STORE_CONTRACT

        self._endpoint = endpoint
        self._prefix = prefix
        self._contract = load_contract(STORE_CONTRACT)
        self._client = dynamodb_client(endpoint, "us-east-1")
        self._keys: dict[str, list[str]] = {}
        self._tables = create_tables(self._client, self._contract, prefix) or [
            prefix + name for name in self._contract.table_names
        ]

    def reset(self) -> None:
        """Delete every item of every table of the contract, 25 keys per batch request."""
        for table in self._tables:
            keys = self._key_names(table)
            names = {f"#k{i}": name for i, name in enumerate(keys)}
            pages = self._client.get_paginator("scan").paginate(
                TableName=table,
                ProjectionExpression=", ".join(names),
                ExpressionAttributeNames=names,
            )
            for page in pages:
                doomed = [{k: item[k] for k in keys} for item in page["Items"]]
                for start in range(0, len(doomed), 25):
                    self._delete(table, doomed[start : start + 25])

    def _key_names(self, table: str) -> list[str]:
        if table not in self._keys:
            schema = self._client.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [k["AttributeName"] for k in schema]
        return self._keys[table]

    def _delete(self, table: str, keys: list[dict[str, Any]]) -> None:
        pending: Any = {table: [{"DeleteRequest": {"Key": key}} for key in keys]}
        while pending:
            pending = self._client.batch_write_item(RequestItems=pending)["UnprocessedItems"]

    def build(self, clock: Clock, ids: IdAllocator) -> Store:
        """The DynamoDB adapter's store over these tables."""
        from examples.store.dynamodb import build_store

        return build_store(
            contract=self._contract,
            table_prefix=self._prefix,
            endpoint=self._endpoint,
            clock=clock,
            ids=ids,
        )

    def close(self) -> None:
        """Nothing to release: the tables go with the run's prefix."""


def _skip_fsync(engine: Engine) -> None:
    """Let SQLite commit without waiting for the disk: a test database need not survive a crash.

    Only durability changes (``PRAGMA synchronous = OFF``); isolation and locking do not.
    """
    from sqlalchemy import event

    def no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.close()

    event.listen(engine, "connect", no_fsync)


def _tables_children_first(engine: Engine) -> list[Table]:
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(engine)
    return [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]


def _open_memory(request: pytest.FixtureRequest) -> BackendSession:
    return MemorySession()


def _open_sqlite(request: pytest.FixtureRequest) -> BackendSession:
    return SqlSession(request.getfixturevalue("sqlite_url"))


def _open_mariadb(request: pytest.FixtureRequest) -> BackendSession:
    return SqlSession(request.getfixturevalue("mysql_url"))


def _open_dynamodb(request: pytest.FixtureRequest) -> BackendSession:
    endpoint = request.getfixturevalue("dynamodb_endpoint")
    return DynamoSession(endpoint, request.getfixturevalue("table_prefix") + "conf_")


BACKENDS: dict[str, Backend] = {
    "memory": Backend("memory", _open_memory),
    "sqlite": Backend(
        "sqlite", _open_sqlite, requires_unit_of_work=True, rolls_back_unit_of_work=True
    ),
    "mariadb": Backend(
        "mariadb",
        _open_mariadb,
        marks=(pytest.mark.mysql,),
        requires_unit_of_work=True,
        rolls_back_unit_of_work=True,
    ),
    "dynamodb": Backend("dynamodb", _open_dynamodb, marks=(pytest.mark.dynamodb,)),
}
"""Every backend the suite runs against, by name (the name is the test id)."""
