"""The repositories of one backend (or of the router), bundled for wiring and tests.

:class:`EntityStore` is what every application gets: the generic repository of
every entity of its contract (``store.repository("tickets")``) and the unit of
work they share. :class:`Store` adds the reference store's typed repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interfaces.repositories import (
    CartRepository,
    CategoryRepository,
    OrderRepository,
    ProductRepository,
    UserRepository,
)
from interfaces.repository import Repositories, Repository
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["EntityStore", "Store"]


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


@dataclass(frozen=True, kw_only=True)
class Store(EntityStore):
    """Every repository of the reference store, its generic ones and their unit of work.

    Use::

        with store.unit_of_work():
            user = store.users.create(NewUser(...))
            store.carts.add_item(user.id, product_id, 2)
    """

    users: UserRepository
    categories: CategoryRepository
    products: ProductRepository
    carts: CartRepository
    orders: OrderRepository
