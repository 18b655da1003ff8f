"""The repositories of one backend (or of the router), bundled for wiring and tests."""

from __future__ import annotations

from dataclasses import dataclass

from interfaces.repositories import (
    CartRepository,
    CategoryRepository,
    OrderRepository,
    ProductRepository,
    UserRepository,
)
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["Store"]


@dataclass(frozen=True)
class Store:
    """Every repository of the reference store plus the unit of work they share.

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
    unit_of_work: UnitOfWorkFactory
