"""The backends the conformance suite runs against, and how each is opened.

A :class:`Backend` is a name, an opener (imported lazily, so a project without a
backend's dependencies can still run the others), the pytest marks its tests
carry and the :class:`Capabilities` in which backends may legitimately differ.
The opener receives the pytest request (to reach the server fixtures) and the
:class:`~dal.testing.config.ConformanceConfig`, and returns a
:class:`BackendSession` opened once per test session: it builds an empty
:class:`~interfaces.repository.Repositories` for every test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from dal.testing.config import ConformanceConfig
from interfaces.repository import Repositories
from interfaces.runtime import Clock, IdAllocator

if TYPE_CHECKING:
    from sqlalchemy import Engine, MetaData

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendSession",
    "Capabilities",
    "Opener",
    "register_backend",
]


class BackendSession(Protocol):
    """A backend opened for the whole test session."""

    def reset(self) -> None:
        """Remove every row or item, so the next repositories start empty."""
        ...

    def build(self, clock: Clock, ids: IdAllocator) -> Repositories:
        """Repositories over the (reset) backend, stamping with ``clock``, keys from ``ids``."""
        ...

    def close(self) -> None:
        """Release connections and remove what the session created."""
        ...


Opener = Callable[[pytest.FixtureRequest, ConformanceConfig], BackendSession]


@dataclass(frozen=True)
class Capabilities:
    """Where a backend may differ from the others; tests skip a check only through these."""

    rolls_back_unit_of_work: bool = False
    """An exception leaving ``repositories.unit_of_work()`` undoes the writes made inside it."""
    requires_unit_of_work: bool = False
    """Repositories raise NoUnitOfWork when called outside ``repositories.unit_of_work()``."""


@dataclass(frozen=True)
class Backend:
    """A backend under test."""

    name: str
    open: Opener
    marks: tuple[pytest.MarkDecorator, ...] = ()
    capabilities: Capabilities = Capabilities()

    def param(self) -> Any:
        """This backend as a pytest parameter: its name, the test id, with its marks."""
        return pytest.param(self.name, id=self.name, marks=self.marks)


# --- memory -------------------------------------------------------------------------------


class MemorySession:
    """The memory fake: every build starts from nothing."""

    def __init__(self, config: ConformanceConfig) -> None:
        self._specs = config.specs

    def reset(self) -> None:
        """Nothing to remove: :meth:`build` starts empty."""

    def build(self, clock: Clock, ids: IdAllocator) -> Repositories:
        """Fresh memory repositories."""
        from adapters.memory.generic import MemoryRepositories

        return MemoryRepositories(self._specs, clock=clock, ids=ids)

    def close(self) -> None:
        """Nothing to release."""


# --- SQL ----------------------------------------------------------------------------------


class SqlSession:
    """A SQL database: the tables of ``metadata`` created once, emptied before every test."""

    def __init__(self, url: str, config: ConformanceConfig) -> None:
        from sqlalchemy import inspect

        from adapters.mysql import create_engine

        self._specs = config.specs
        self._metadata: MetaData = config.require_metadata()
        self._engine: Engine = create_engine(url)
        if self._engine.dialect.name == "sqlite":
            _skip_fsync(self._engine)
        existing = set(inspect(self._engine).get_table_names())
        if config.create_schema is not None:
            config.create_schema(self._engine)
            self._created = []
            return
        self._created = [t for t in self._metadata.sorted_tables if t.name not in existing]
        self._metadata.create_all(self._engine)

    def reset(self) -> None:
        """Delete every row of the schema's tables, children first."""
        with self._engine.begin() as connection:
            for table in reversed(self._metadata.sorted_tables):
                connection.execute(table.delete())

    def build(self, clock: Clock, ids: IdAllocator) -> Repositories:
        """The SQL repositories over this database."""
        from adapters.sql import SqlRepositories  # type: ignore[import-not-found,unused-ignore]

        return SqlRepositories(self._engine, self._specs, clock=clock, ids=ids)  # type: ignore[no-any-return,unused-ignore]

    def close(self) -> None:
        """Drop the tables this session created and close the engine's connections."""
        self._metadata.drop_all(self._engine, tables=self._created)
        self._engine.dispose()


def _skip_fsync(engine: Engine) -> None:
    """Let SQLite commit without waiting for the disk: a test database need not survive a crash."""
    from sqlalchemy import event

    def no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.close()

    event.listen(engine, "connect", no_fsync)


# --- DynamoDB -----------------------------------------------------------------------------

_REGION = "us-east-1"
_BATCH_WRITE_LIMIT = 25


class DynamoSession:
    """DynamoDB: the contract's tables created once, every item deleted before every test."""

    def __init__(self, endpoint: str, prefix: str, config: ConformanceConfig) -> None:
        from adapters.dynamodb import DynamoClient, connect
        from dal.aws import dynamodb_client
        from dal.schema import create_tables

        self._specs = config.specs
        self._prefix = prefix
        self._contract = config.load_contract()
        self._admin = dynamodb_client(endpoint, _REGION)
        self._client = DynamoClient(connect(endpoint, _REGION))
        self._tables = [prefix + name for name in self._contract.table_names]
        existing = {table for table in self._tables if self._exists(table)}
        create_tables(self._admin, self._contract, prefix=prefix)
        self._created = [table for table in self._tables if table not in existing]
        self._keys: dict[str, list[str]] = {}

    def reset(self) -> None:
        """Delete every item of every table of the contract."""
        for table in self._tables:
            keys = self._key_names(table)
            names = {f"#k{i}": name for i, name in enumerate(keys)}
            pages = self._admin.get_paginator("scan").paginate(
                TableName=table,
                ProjectionExpression=", ".join(names),
                ExpressionAttributeNames=names,
                ConsistentRead=True,
            )
            for page in pages:
                doomed = [{k: item[k] for k in keys} for item in page["Items"]]
                for start in range(0, len(doomed), _BATCH_WRITE_LIMIT):
                    self._delete(table, doomed[start : start + _BATCH_WRITE_LIMIT])

    def _exists(self, table: str) -> bool:
        try:
            self._admin.describe_table(TableName=table)
        except self._admin.exceptions.ResourceNotFoundException:
            return False
        return True

    def _key_names(self, table: str) -> list[str]:
        if table not in self._keys:
            schema = self._admin.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [key["AttributeName"] for key in schema]
        return self._keys[table]

    def _delete(self, table: str, keys: list[dict[str, Any]]) -> None:
        pending: Any = {table: [{"DeleteRequest": {"Key": key}} for key in keys]}
        while pending:
            pending = self._admin.batch_write_item(RequestItems=pending)["UnprocessedItems"]

    def build(self, clock: Clock, ids: IdAllocator) -> Repositories:
        """The DynamoDB repositories over these tables."""
        from adapters.dynamodb.entities import (  # type: ignore[import-not-found,unused-ignore]
            DynamoRepositories,
        )

        return DynamoRepositories(  # type: ignore[no-any-return,unused-ignore]
            self._client,
            self._contract,
            self._specs,
            table_prefix=self._prefix,
            clock=clock,
            ids=ids,
        )

    def close(self) -> None:
        """Delete the tables this session created (not those that were there before)."""
        for table in self._created:
            self._admin.delete_table(TableName=table)


# --- the registry -------------------------------------------------------------------------


def _open_memory(request: pytest.FixtureRequest, config: ConformanceConfig) -> BackendSession:
    return MemorySession(config)


def _open_sqlite(request: pytest.FixtureRequest, config: ConformanceConfig) -> BackendSession:
    return SqlSession(request.getfixturevalue("dal_sqlite_url"), config)


def _open_mysql(request: pytest.FixtureRequest, config: ConformanceConfig) -> BackendSession:
    return SqlSession(request.getfixturevalue("dal_mysql_url"), config)


def _open_dynamodb(request: pytest.FixtureRequest, config: ConformanceConfig) -> BackendSession:
    endpoint = request.getfixturevalue("dal_dynamodb_endpoint")
    return DynamoSession(endpoint, request.getfixturevalue("dal_table_prefix"), config)


BACKENDS: dict[str, Backend] = {}
"""Every backend the suite can run, by name (the name is the test id)."""


def register_backend(backend: Backend) -> Backend:
    """Add (or replace) a backend of the registry; ``ConformanceConfig.backends`` selects it."""
    BACKENDS[backend.name] = backend
    return backend


_SQL = Capabilities(rolls_back_unit_of_work=True, requires_unit_of_work=True)
register_backend(Backend("memory", _open_memory, capabilities=Capabilities(True)))
register_backend(Backend("sqlite", _open_sqlite, capabilities=_SQL))
register_backend(Backend("mysql", _open_mysql, marks=(pytest.mark.mysql,), capabilities=_SQL))
register_backend(Backend("dynamodb", _open_dynamodb, marks=(pytest.mark.dynamodb,)))
