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

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from adapters.memory.entity_repository import MemoryRepository, RepositoryContext
from adapters.memory.entity_tables import MemoryTables
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


class MemoryRepositories:
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
        by_name = _by_name(specs)
        self._specs: Mapping[str, EntitySpec] = MappingProxyType(by_name)
        self._tables = MemoryTables(by_name)
        rules = {name: EntityRules[Any](spec) for name, spec in by_name.items()}
        context = RepositoryContext(
            specs=self._specs,
            rules=MappingProxyType(rules),
            tables=self._tables,
            clock=clock if clock is not None else SystemClock(),
            ids=ids if ids is not None else MemoryIdAllocator(),
        )
        self._repositories = {name: MemoryRepository[Any](context, name) for name in by_name}

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        return self._specs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Opens an all-or-nothing unit of work over every entity."""
        return self._tables.unit_of_work

    def repository(self, name: str) -> Repository[Any]:
        """The repository of entity ``name``; KeyError listing the known entities."""
        try:
            return self._repositories[name]
        except KeyError:
            known = ", ".join(self._repositories) or "none"
            raise KeyError(f"no entity {name!r} is declared (known: {known})") from None


def _by_name(specs: Iterable[EntitySpec]) -> dict[str, EntitySpec]:
    """The declarations by name; ValueError for a repeated name or an undeclared target."""
    by_name: dict[str, EntitySpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValueError(f"entity {spec.name} is declared twice")
        by_name[spec.name] = spec
    for spec in by_name.values():
        for reference in spec.references:
            if reference.target not in by_name:
                raise ValueError(
                    f"entity {spec.name} references {reference.target}, which is not declared"
                )
    return by_name
