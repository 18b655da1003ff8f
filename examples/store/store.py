"""The store's repositories of one backend (or of the router): typed ones and generic ones."""

from __future__ import annotations

from dataclasses import dataclass

from examples.store.repositories import (
    CartRepository,
    CategoryRepository,
    OrderRepository,
    ProductRepository,
    UserRepository,
)
from interfaces.store import EntityStore

__all__ = ["Store"]


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
