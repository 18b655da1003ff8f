"""The unit of work: every call inside one; commit, rollback and nesting where declared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from support.factories import Seeder, new_user

from conformance.backends import Backend
from examples.store import NewCategory, Store
from interfaces import NoUnitOfWork


class Boom(Exception):
    """An application error that leaves the unit of work."""


@dataclass(frozen=True)
class Existing:
    user: int
    product: int


OUTSIDE: dict[str, Callable[[Store, Existing], object]] = {
    "users.get": lambda s, e: s.users.get(e.user),
    "users.create": lambda s, e: s.users.create(new_user(900)),
    "categories.list_all": lambda s, e: s.categories.list_all(),
    "categories.create": lambda s, e: s.categories.create(NewCategory(name="Outside")),
    "products.get": lambda s, e: s.products.get(e.product),
    "products.set_inventory": lambda s, e: s.products.set_inventory(e.product, 1),
    "carts.list_items": lambda s, e: s.carts.list_items(e.user),
    "carts.add_item": lambda s, e: s.carts.add_item(e.user, e.product),
    "orders.count_by_user": lambda s, e: s.orders.count_by_user(e.user),
    "orders.checkout": lambda s, e: s.orders.checkout(e.user),
}


@pytest.mark.parametrize("operation", list(OUTSIDE))
def test_calls_outside_a_unit_of_work_are_refused(
    store: Store, seed: Seeder, backend: Backend, operation: str
) -> None:
    if not backend.requires_unit_of_work:
        pytest.skip("this backend needs no unit of work")
    product, user = seed.product(inventory_quantity=5), seed.user()
    seed.cart(user.id, {product.id: 1})
    with pytest.raises(NoUnitOfWork):
        OUTSIDE[operation](store, Existing(user.id, product.id))
    with store.unit_of_work():
        assert store.products.get(product.id) == product
        assert store.carts.item_count(user.id) == 1
        assert store.orders.count_by_user(user.id) == 0
        assert not store.users.username_exists("user900")
        assert not store.categories.name_exists("Outside")


def test_reads_see_earlier_writes_of_the_same_unit_of_work(store: Store) -> None:
    with store.unit_of_work():
        user = store.users.create(new_user(1))
        assert store.users.get(user.id) == user
        assert store.users.find_by_username(user.username) == user
        category = store.categories.create(NewCategory(name="Fresh"))
        assert store.categories.list_all() == [category]


def test_nested_units_of_work_commit_with_the_outer_one(store: Store) -> None:
    with store.unit_of_work():
        with store.unit_of_work():
            inner = store.users.create(new_user(1))
        outer = store.users.create(new_user(2))
    with store.unit_of_work():
        assert store.users.get(inner.id) == inner
        assert store.users.get(outer.id) == outer


def test_an_error_leaving_the_unit_of_work_rolls_it_back(
    store: Store, seed: Seeder, backend: Backend
) -> None:
    if not backend.rolls_back_unit_of_work:
        pytest.skip("this backend commits every command on its own")
    product = seed.product(inventory_quantity=5)

    def fail_after_changes() -> None:
        with store.unit_of_work():
            store.users.create(new_user(500))
            store.products.reduce_inventory(product.id, 2)
            raise Boom

    with pytest.raises(Boom):
        fail_after_changes()
    with store.unit_of_work():
        assert not store.users.username_exists("user500")
        assert store.products.get(product.id) == product


def test_a_nested_unit_of_work_rolls_back_with_the_outer_one(
    store: Store, backend: Backend
) -> None:
    if not backend.rolls_back_unit_of_work:
        pytest.skip("this backend commits every command on its own")

    def fail_after_nested_change() -> None:
        with store.unit_of_work():
            with store.unit_of_work():
                store.users.create(new_user(1))
            raise Boom

    with pytest.raises(Boom):
        fail_after_nested_change()
    with store.unit_of_work():
        assert not store.users.username_exists("user1")
