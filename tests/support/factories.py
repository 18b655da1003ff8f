"""Valid domain requests and a :class:`Seeder` that stores them, for arranging tests.

Every value the factories choose is unique within one :class:`Seeder` (a serial
number goes into usernames, emails and names), so tests only spell out the
fields they are about.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from examples.store import (
    Category,
    NewCategory,
    NewOrder,
    NewOrderItem,
    NewProduct,
    NewUser,
    Order,
    Product,
    Store,
    User,
)

__all__ = ["Seeder", "new_category", "new_product", "new_user"]


def new_user(serial: int, **fields: Any) -> NewUser:
    """A valid :class:`NewUser` numbered ``serial``; ``fields`` override the defaults."""
    defaults: dict[str, Any] = {
        "username": f"user{serial}",
        "email": f"user{serial}@example.com",
        "password_hash": f"$2b$12$hash{serial}",
    }
    return NewUser(**{**defaults, **fields})


def new_category(serial: int, **fields: Any) -> NewCategory:
    """A valid root :class:`NewCategory` numbered ``serial``."""
    return NewCategory(**{"name": f"Category {serial:03d}", **fields})


def new_product(serial: int, seller_id: int, category_id: int, **fields: Any) -> NewProduct:
    """A valid :class:`NewProduct` numbered ``serial`` (price 9.99, 10 in stock)."""
    defaults: dict[str, Any] = {
        "seller_id": seller_id,
        "category_id": category_id,
        "name": f"Product {serial:03d}",
        "description": f"Description of product {serial}",
        "price": Decimal("9.99"),
        "inventory_quantity": 10,
    }
    return NewProduct(**{**defaults, **fields})


class Seeder:
    """Creates valid entities in ``store``, each call in its own unit of work.

    A unit of work opened inside another joins it, so a seeder can be used
    inside or outside a test's own ``with store.unit_of_work():`` block.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._serial = itertools.count(1)
        self._seller: User | None = None
        self._category: Category | None = None

    def user(self, **fields: Any) -> User:
        """A new user; ``fields`` override the factory's defaults."""
        with self._store.unit_of_work():
            return self._store.users.create(new_user(next(self._serial), **fields))

    def seller(self, **fields: Any) -> User:
        """A new user who is a seller."""
        return self.user(**{"is_seller": True, **fields})

    def category(self, name: str | None = None, parent_id: int | None = None) -> Category:
        """A new category (a root unless ``parent_id`` is given)."""
        fields: dict[str, Any] = {"parent_id": parent_id}
        if name is not None:
            fields["name"] = name
        with self._store.unit_of_work():
            return self._store.categories.create(new_category(next(self._serial), **fields))

    def product(
        self, *, seller_id: int | None = None, category_id: int | None = None, **fields: Any
    ) -> Product:
        """A new product; seller and category default to ones this seeder creates once."""
        seller = seller_id if seller_id is not None else self.default_seller().id
        category = category_id if category_id is not None else self.default_category().id
        new = new_product(next(self._serial), seller, category, **fields)
        with self._store.unit_of_work():
            return self._store.products.create(new)

    def products(self, count: int, **fields: Any) -> list[Product]:
        """``count`` new products sharing ``fields``."""
        return [self.product(**fields) for _ in range(count)]

    def default_seller(self) -> User:
        """The seller products get when the test does not name one."""
        if self._seller is None:
            self._seller = self.seller()
        return self._seller

    def default_category(self) -> Category:
        """The category products get when the test does not name one."""
        if self._category is None:
            self._category = self.category()
        return self._category

    def cart(self, user_id: int, quantities: Mapping[int, int]) -> None:
        """Put ``quantities`` (product id -> units) into the user's cart."""
        with self._store.unit_of_work():
            for product_id, quantity in quantities.items():
                self._store.carts.add_item(user_id, product_id, quantity)

    def order(self, user_id: int, lines: Iterable[tuple[Product, int]], **fields: Any) -> Order:
        """A new order of ``lines`` (product, units) at the products' prices."""
        items = tuple(
            NewOrderItem(product_id=p.id, quantity=q, price_at_time=p.price) for p, q in lines
        )
        with self._store.unit_of_work():
            return self._store.orders.create(NewOrder(user_id=user_id, items=items, **fields))
