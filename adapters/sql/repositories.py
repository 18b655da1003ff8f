"""The generic SQL repositories of every declared entity on one database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy
from sqlalchemy import Engine

from adapters.mysql.ids import SqlIdAllocator
from adapters.mysql.session import UnitOfWork
from adapters.registry import RepositoryRegistry, declared_by_name
from adapters.sql.columns import EntityTable
from adapters.sql.context import SqlContext
from adapters.sql.repository import SqlRepository
from adapters.sql.tables import resolve_tables
from interfaces.entities import EntitySpec
from interfaces.repository import Repository
from interfaces.runtime import Clock, IdAllocator, SystemClock

__all__ = ["SqlRepositories"]


class SqlRepositories(RepositoryRegistry[Repository[Any]]):
    """:class:`~interfaces.repository.Repositories` on a MySQL, MariaDB or SQLite database.

    ``specs`` declare the entities; each entity's table is ``tables[spec.table]``
    when given, else reflected once from the database. ValueError names a
    missing table, a field without a column or a reference to an undeclared
    entity. ``clock`` stamps the timestamps (default: the system clock);
    ``ids`` hands out the keys of entities with an ``id_sequence`` (default: a
    :class:`~adapters.mysql.ids.SqlIdAllocator` on ``engine``). Every call of a
    repository runs in the caller's unit of work::

        repositories = SqlRepositories(engine, SPECS)
        with repositories.unit_of_work():
            ticket = repositories.repository("tickets").get({"project_id": 1, "number": 7})
    """

    def __init__(
        self,
        engine: Engine,
        specs: Iterable[EntitySpec],
        *,
        clock: Clock | None = None,
        ids: IdAllocator | None = None,
        tables: Mapping[str, sqlalchemy.Table] | None = None,
    ) -> None:
        declared = declared_by_name(specs)
        resolved = resolve_tables(engine, declared.values(), tables)
        entities = {
            name: EntityTable(spec, resolved[spec.table], engine.dialect)
            for name, spec in declared.items()
        }
        self._context = SqlContext(
            engine,
            MappingProxyType(declared),
            entities,
            clock if clock is not None else SystemClock(),
            ids if ids is not None else SqlIdAllocator(engine),
        )
        super().__init__(declared, {name: SqlRepository(self._context, name) for name in declared})

    @property
    def unit_of_work(self) -> UnitOfWork:
        """Opens (or joins) the unit of work: ``with repositories.unit_of_work(): ...``."""
        return self._context.unit_of_work
