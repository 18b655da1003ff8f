"""The repositories of one backend (or of the router), bundled for wiring and tests.

:class:`EntityStore` is what every application gets: the generic repository of
every entity of its contract (``store.repository("tickets")``) and the unit of
work they share. An application adds its own typed repositories by subclassing it
with one dataclass field per repository (a Protocol); the router routes those too,
each by the stage of the entity its field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interfaces.repository import Repositories, Repository
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["EntityStore"]


@dataclass(frozen=True)
class EntityStore:
    """The generic repositories of every entity of the contract plus their unit of work.

    Use::

        with store.unit_of_work():
            ticket = store.repository("tickets").create({...})
    """

    unit_of_work: UnitOfWorkFactory
    entities: Repositories | None = None
    """The generic repository of every entity of the contract, when the store was given them."""

    def repository(self, name: str) -> Repository[Any]:
        """The generic repository of entity ``name``; KeyError naming what is known."""
        if self.entities is None:
            raise KeyError(f"unknown entity {name!r}: this store was built without entities")
        return self.entities.repository(name)
