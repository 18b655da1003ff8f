"""The generic SQL repositories of every declared entity on one database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy
from sqlalchemy import Engine

from adapters.mysql.ids import SqlIdAllocator
from adapters.mysql.session import UnitOfWork
from adapters.sql.columns import EntityTable
from adapters.sql.context import SqlContext
from adapters.sql.repository import SqlRepository
from adapters.sql.tables import resolve_tables
from interfaces.entities import EntitySpec
from interfaces.repository import Repository
from interfaces.runtime import Clock, IdAllocator, SystemClock

__all__ = ["SqlRepositories"]


class SqlRepositories:
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
        declared = _by_name(specs)
        resolved = resolve_tables(engine, declared.values(), tables)
        entities = {
            name: EntityTable(spec, resolved[spec.table], engine.dialect)
            for name, spec in declared.items()
        }
        self._specs: Mapping[str, EntitySpec] = MappingProxyType(declared)
        self._context = SqlContext(
            engine,
            self._specs,
            entities,
            clock if clock is not None else SystemClock(),
            ids if ids is not None else SqlIdAllocator(engine),
        )
        self._repositories: dict[str, SqlRepository[Any]] = {
            name: SqlRepository(self._context, name) for name in declared
        }

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        return self._specs

    @property
    def unit_of_work(self) -> UnitOfWork:
        """Opens (or joins) the unit of work: ``with repositories.unit_of_work(): ...``."""
        return self._context.unit_of_work

    def repository(self, name: str) -> Repository[Any]:
        """The repository of entity ``name``; KeyError listing the known entities."""
        found = self._repositories.get(name)
        if found is None:
            known = ", ".join(sorted(self._repositories)) or "none"
            raise KeyError(f"no entity {name!r} is declared (known: {known})")
        return found


def _by_name(specs: Iterable[EntitySpec]) -> dict[str, EntitySpec]:
    declared: dict[str, EntitySpec] = {}
    for spec in specs:
        if spec.name in declared:
            raise ValueError(f"two entities are named {spec.name!r}")
        declared[spec.name] = spec
    for spec in declared.values():
        for reference in spec.references:
            _check_reference(
                spec, reference.target, reference.target_fields, reference.fields, declared
            )
    return declared


def _check_reference(
    spec: EntitySpec,
    target: str,
    target_fields: tuple[str, ...] | None,
    fields: tuple[str, ...],
    declared: Mapping[str, EntitySpec],
) -> None:
    found = declared.get(target)
    if found is None:
        raise ValueError(f"entity {spec.name} references {target!r}, which is not declared")
    names = target_fields or found.key
    unknown = [name for name in names if name not in found.fields]
    if unknown:
        raise ValueError(
            f"entity {spec.name} references {target} by {', '.join(unknown)}, "
            f"not a field of {target}"
        )
    if len(names) != len(fields):
        raise ValueError(
            f"entity {spec.name}: the reference to {target} has {len(fields)} field(s) "
            f"for {len(names)} target field(s)"
        )
