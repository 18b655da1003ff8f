"""Generic repositories held in process memory, driven by entity declarations.

The fake every other backend is compared with, for fast tests of code written
against :class:`interfaces.repository.Repositories`::

    from adapters.memory import MemoryRepositories
    from interfaces.runtime import SteppingClock

    repositories = MemoryRepositories(SPECS, clock=SteppingClock())
    projects = repositories.repository("projects")
    with repositories.unit_of_work():
        project = projects.create({"name": "Apollo", "owner_email": "ada@example.com"})

Every public call runs under one lock. A unit of work is all-or-nothing: an
exception leaving the outermost ``with repositories.unit_of_work():`` restores
every entity as it was when the block began (ids handed out stay used); a
block opened inside another joins it. Calls outside a unit of work take effect
at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from adapters.memory.entity_repository import MemoryRepository, RepositoryContext
from adapters.memory.entity_tables import MemoryTables
from adapters.registry import RepositoryRegistry, declared_by_name
from adapters.rules import EntityRules
from interfaces.entities import EntitySpec
from interfaces.repository import Repository
from interfaces.runtime import (
    Clock,
    IdAllocator,
    MemoryIdAllocator,
    SystemClock,
    UnitOfWorkFactory,
)

__all__ = ["MemoryRepositories"]


class MemoryRepositories(RepositoryRegistry[Repository[Any]]):
    """The generic memory repository of every declared entity, sharing one store.

    ``specs`` are the declarations (names unique, every reference's target
    declared too); ``clock`` stamps timestamps (default :class:`SystemClock`);
    ``ids`` hands out keys of entities with an ``id_sequence`` (default a fresh
    :class:`MemoryIdAllocator`).
    """

    def __init__(
        self,
        specs: Iterable[EntitySpec],
        *,
        clock: Clock | None = None,
        ids: IdAllocator | None = None,
    ) -> None:
        by_name = declared_by_name(specs)
        self._tables = MemoryTables(by_name)
        rules = {name: EntityRules[Any](spec) for name, spec in by_name.items()}
        context = RepositoryContext(
            specs=MappingProxyType(by_name),
            rules=MappingProxyType(rules),
            tables=self._tables,
            clock=clock if clock is not None else SystemClock(),
            ids=ids if ids is not None else MemoryIdAllocator(),
        )
        super().__init__(by_name, {name: MemoryRepository[Any](context, name) for name in by_name})

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Opens an all-or-nothing unit of work over every entity."""
        return self._tables.unit_of_work
