"""What the repositories of one database share: unit of work, clock, ids, rules and statements.

The statements of every entity are built once, on first use, inside the
caller's unit of work: building them needs to know how this database's text
columns compare (:func:`~adapters.sql.text.detect_text_rules`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from adapters.mysql.session import UnitOfWork
from adapters.rules import EntityRules
from adapters.sql.access import EntitySql
from adapters.sql.columns import EntityTable
from adapters.sql.deletes import Deleter
from adapters.sql.statements import EntityStatements
from adapters.sql.text import detect_text_rules
from interfaces.entities import EntitySpec
from interfaces.runtime import Clock, IdAllocator

__all__ = ["SqlContext"]


class SqlContext:
    """One database's wiring, shared by the repositories of every declared entity."""

    def __init__(
        self,
        engine: Engine,
        specs: Mapping[str, EntitySpec],
        entities: Mapping[str, EntityTable],
        clock: Clock,
        ids: IdAllocator,
    ) -> None:
        self.engine = engine
        self.unit_of_work = UnitOfWork(engine)
        self.specs = specs
        self.rules: dict[str, EntityRules[Any]] = {
            name: EntityRules(s) for name, s in specs.items()
        }
        self._entities = entities
        self._clock = clock
        self._ids = ids
        self._sql: dict[str, EntitySql] | None = None
        self._lock = threading.Lock()
        self.deleter = Deleter(specs, self.rules, self.sql)

    def connection(self) -> Connection:
        """The connection of the caller's unit of work; NoUnitOfWork outside one."""
        return self.unit_of_work.connection()

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A savepoint in the caller's unit of work: the block changes all or nothing."""
        with self.unit_of_work.current().savepoint() as connection:
            yield connection

    def now(self) -> datetime:
        """The clock's current time."""
        return self._clock.now()

    def allocate(self, sequence: str) -> int:
        """A new id of ``sequence``."""
        return self._ids.allocate(sequence)

    def sql(self, name: str) -> EntitySql:
        """The rows of entity ``name`` (the statements are built on the first call)."""
        built = self._sql
        if built is None:
            built = self._build(self.connection())
        return built[name]

    def _build(self, connection: Connection) -> dict[str, EntitySql]:
        with self._lock:
            if self._sql is None:
                tables = {entity.table.name for entity in self._entities.values()}
                text = detect_text_rules(connection, tables)
                self._sql = {
                    name: EntitySql(entity, EntityStatements(entity, text), self.rules[name])
                    for name, entity in self._entities.items()
                }
            return self._sql
